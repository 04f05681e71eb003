// The safetensors reader and writer. The reader trusts nothing in the file: every number in
// the header is checked against the file size before it is used, so a corrupt or hostile
// file ends in an IoError, never in a read past the buffer or a huge allocation.
#include "eigrad/io/safetensors.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <limits>
#include <set>
#include <sstream>

#include <nlohmann/json.hpp>

#include "eigrad/autograd/grad_mode.hpp"
#include "eigrad/errors.hpp"

namespace eigrad::io {
namespace {

using Json = nlohmann::json;
using OrderedJson = nlohmann::ordered_json;

// The reference implementation's cap: a header this large is corruption, not a checkpoint.
constexpr std::uint64_t kMaxHeaderBytes = 100'000'000;
constexpr const char* kMetadataKey = "__metadata__";

// How every message about the file at \p path begins.
std::string in_file(const std::string& path) { return "safetensors file '" + path + "': "; }

std::string errno_text(int err) { return std::strerror(err); }

// Closes a file descriptor on every way out of a scope, the throwing ones included.
struct ClosedOnExit {
  int fd;
  ~ClosedOnExit() { ::close(fd); }
};

bool host_is_little_endian() {
  const std::uint16_t probe = 1;
  std::uint8_t first = 0;
  std::memcpy(&first, &probe, 1);
  return first == 1;
}

// Reverses the bytes of every element so the buffer is little-endian on big-endian hosts.
void swap_elements(std::uint8_t* bytes, std::size_t count, std::size_t itemsize) {
  for (std::size_t i = 0; i < count; ++i) std::reverse(bytes + i * itemsize, bytes + (i + 1) * itemsize);
}

std::string offsets_text(std::uint64_t begin, std::uint64_t end) {
  return "[" + std::to_string(begin) + ", " + std::to_string(end) + "]";
}

// numel * itemsize, or nullopt-like false when it overflows 64 bits.
bool byte_size(const Shape& shape, std::size_t itemsize, std::uint64_t* out) {
  std::uint64_t n = itemsize;
  for (const auto d : shape) {
    const auto ud = static_cast<std::uint64_t>(d);
    if (ud != 0 && n > std::numeric_limits<std::uint64_t>::max() / ud) return false;
    n *= ud;
  }
  *out = n;
  return true;
}

// Writes every byte, retrying short writes and interrupts; returns 0 or an errno value.
int write_all(int fd, const std::uint8_t* data, std::size_t size) {
  while (size > 0) {
    const ssize_t w = ::write(fd, data, size);
    if (w < 0) {
      if (errno == EINTR) continue;
      return errno;
    }
    data += w;
    size -= static_cast<std::size_t>(w);
  }
  return 0;
}

std::string directory_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  if (slash == 0) return "/";
  return path.substr(0, slash);
}

struct Parsed {
  std::string name;
  TensorEntry entry;
  std::uint64_t begin = 0, end = 0;
};

Parsed parse_entry(const std::string& path, const std::string& name, const Json& info) {
  Parsed p;
  p.name = name;
  const std::string where = "tensor '" + name + "'";
  EIGRAD_CHECK(info.is_object(), IoError, in_file(path), where, " is described by ", info.dump(),
               ", not a JSON object");
  const auto dtype_it = info.find("dtype");
  EIGRAD_CHECK(dtype_it != info.end(), IoError, in_file(path), where, " has no \"dtype\"");
  EIGRAD_CHECK(dtype_it->is_string(), IoError, in_file(path), where, " has dtype ", dtype_it->dump(), ", not a string");
  p.entry.dtype = dtype_it->get<std::string>();
  const std::size_t itemsize = dtype_itemsize(p.entry.dtype);
  EIGRAD_CHECK(itemsize != 0, IoError, in_file(path), where, " has unknown dtype \"", p.entry.dtype, "\"");

  const auto shape_it = info.find("shape");
  EIGRAD_CHECK(shape_it != info.end(), IoError, in_file(path), where, " has no \"shape\"");
  EIGRAD_CHECK(shape_it->is_array(), IoError, in_file(path), where, " has shape ", shape_it->dump(), ", not an array");
  for (const auto& d : *shape_it) {
    EIGRAD_CHECK(d.is_number_unsigned() &&
                     d.get<std::uint64_t>() <= static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()),
                 IoError, in_file(path), where, " has shape ", shape_it->dump(),
                 " with an extent that is not a non-negative integer");
    p.entry.shape.push_back(static_cast<std::int64_t>(d.get<std::uint64_t>()));
  }

  const auto off_it = info.find("data_offsets");
  EIGRAD_CHECK(off_it != info.end(), IoError, in_file(path), where, " has no \"data_offsets\"");
  EIGRAD_CHECK(off_it->is_array() && off_it->size() == 2 && (*off_it)[0].is_number_unsigned() &&
                   (*off_it)[1].is_number_unsigned(),
               IoError, in_file(path), where, " has data_offsets ", off_it->dump(), ", not two non-negative integers");
  p.begin = (*off_it)[0].get<std::uint64_t>();
  p.end = (*off_it)[1].get<std::uint64_t>();
  EIGRAD_CHECK(p.begin <= p.end, IoError, in_file(path), where, " has data_offsets ", offsets_text(p.begin, p.end),
               " that end before they begin");

  std::uint64_t expected = 0;
  EIGRAD_CHECK(byte_size(p.entry.shape, itemsize, &expected), IoError, in_file(path), where, " has shape ",
               to_string(p.entry.shape), " too large to address");
  EIGRAD_CHECK(p.end - p.begin == expected, IoError, in_file(path), where, " has dtype ", p.entry.dtype, " and shape ",
               to_string(p.entry.shape), " (", expected, " bytes) but data_offsets ", offsets_text(p.begin, p.end),
               " span ", p.end - p.begin, " bytes");
  return p;
}

// Reads the whole regular file at path.
std::vector<std::uint8_t> read_file(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  int err = errno;  // read before the message parts, whose allocations may change errno
  EIGRAD_CHECK(fd >= 0, IoError, in_file(path), "cannot open: ", errno_text(err));
  const ClosedOnExit closed_on_exit{fd};
  struct stat st {};
  const bool stat_ok = ::fstat(fd, &st) == 0;
  err = errno;
  EIGRAD_CHECK(stat_ok, IoError, in_file(path), "cannot stat: ", errno_text(err));
  EIGRAD_CHECK(S_ISREG(st.st_mode), IoError, in_file(path), "not a regular file");
  std::vector<std::uint8_t> bytes(static_cast<std::size_t>(st.st_size));
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t r = ::read(fd, bytes.data() + done, bytes.size() - done);
    err = errno;
    if (r < 0 && err == EINTR) continue;
    EIGRAD_CHECK(r >= 0, IoError, in_file(path), "read error: ", errno_text(err));
    if (r == 0) break;  // the file shrank while we read it; validation reports the truncation
    done += static_cast<std::size_t>(r);
  }
  bytes.resize(done);
  return bytes;
}

}  // namespace

std::size_t dtype_itemsize(const std::string& dtype) {
  static const std::map<std::string, std::size_t> sizes = {
      {"BOOL", 1}, {"U8", 1},  {"I8", 1},  {"F8_E5M2", 1}, {"F8_E4M3", 1}, {"I16", 2},
      {"U16", 2},  {"F16", 2}, {"BF16", 2}, {"I32", 4},    {"U32", 4},     {"F32", 4},
      {"I64", 8},  {"U64", 8}, {"F64", 8}};
  const auto it = sizes.find(dtype);
  return it == sizes.end() ? 0 : it->second;
}

const TensorEntry* find_entry(const TensorDict& dict, const std::string& name) {
  for (const auto& [n, e] : dict)
    if (n == name) return &e;
  return nullptr;
}

void save_safetensors(const std::string& path, const TensorDict& tensors,
                      const std::map<std::string, std::string>& metadata) {
  // Validate first: nothing touches the disk for a malformed dictionary.
  std::set<std::string> names;
  OrderedJson header = OrderedJson::object();
  if (!metadata.empty()) {
    OrderedJson meta = OrderedJson::object();
    for (const auto& [k, v] : metadata) meta[k] = v;
    header[kMetadataKey] = std::move(meta);
  }
  std::uint64_t offset = 0;
  for (const auto& [name, e] : tensors) {
    EIGRAD_CHECK(!name.empty(), IoError, in_file(path), "cannot save a tensor with an empty name");
    EIGRAD_CHECK(name != kMetadataKey, IoError, in_file(path), "cannot save a tensor named \"__metadata__\" (reserved)");
    EIGRAD_CHECK(names.insert(name).second, IoError, in_file(path), "cannot save two tensors named '", name, "'");
    const std::size_t itemsize = dtype_itemsize(e.dtype);
    EIGRAD_CHECK(itemsize != 0, IoError, in_file(path), "cannot save tensor '", name, "' of unknown dtype \"", e.dtype,
                 "\"");
    std::uint64_t expected = 0;
    EIGRAD_CHECK(byte_size(e.shape, itemsize, &expected) && expected == e.data.size(), IoError, in_file(path),
                 "cannot save tensor '", name, "': dtype ", e.dtype, " and shape ", to_string(e.shape), " need ",
                 expected, " bytes but it holds ", e.data.size());
    for (const auto d : e.shape)
      EIGRAD_CHECK(d >= 0, IoError, in_file(path), "cannot save tensor '", name, "' with negative extent in shape ",
                   to_string(e.shape));
    OrderedJson info = OrderedJson::object();
    info["dtype"] = e.dtype;
    info["shape"] = e.shape;
    info["data_offsets"] = {offset, offset + e.data.size()};
    header[name] = std::move(info);
    offset += e.data.size();
  }
  std::string text = header.dump();
  // Pad with spaces (valid JSON whitespace) so the data starts 8-byte aligned, as the
  // reference implementation does; readers may then map the data in place.
  text.append((8 - text.size() % 8) % 8, ' ');

  std::uint8_t length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(text.size()) >> (8 * i));

  static std::atomic<unsigned> counter{0};
  const auto stamp = std::chrono::steady_clock::now().time_since_epoch().count();
  const std::string temp = path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter++) + "-" +
                           std::to_string(static_cast<unsigned long long>(stamp) % 1000000007ULL);
  // O_EXCL: never write through a file (or link) that someone else put at the temp name.
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
  int err = errno;
  EIGRAD_CHECK(fd >= 0, IoError, in_file(path), "cannot create temporary file '", temp, "': ", errno_text(err));
  err = write_all(fd, length, 8);
  if (err == 0) err = write_all(fd, reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  for (std::size_t i = 0; err == 0 && i < tensors.size(); ++i)
    err = write_all(fd, tensors[i].second.data.data(), tensors[i].second.data.size());
  const char* step = "write";
  if (err == 0 && ::fsync(fd) != 0) {
    err = errno;
    step = "fsync";
  }
  // close() reports delayed write errors (NFS, full disks), so its result counts too.
  if (::close(fd) != 0 && err == 0) {
    err = errno;
    step = "close";
  }
  if (err != 0) {
    ::unlink(temp.c_str());
    EIGRAD_FAIL(IoError, in_file(path), "cannot ", step, " temporary file '", temp, "': ", errno_text(err));
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    err = errno;
    ::unlink(temp.c_str());
    EIGRAD_FAIL(IoError, in_file(path), "cannot rename temporary file into place: ", errno_text(err));
  }
  // Make the rename itself durable; failure here cannot be undone, so it is not an error.
  const int dir = ::open(directory_of(path).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir >= 0) {
    ::fsync(dir);
    ::close(dir);
  }
}

TensorDict load_safetensors(const std::string& path, std::map<std::string, std::string>* metadata) {
  const std::vector<std::uint8_t> bytes = read_file(path);
  EIGRAD_CHECK(bytes.size() >= 8, IoError, in_file(path), "truncated: ", bytes.size(),
               " bytes, fewer than the 8-byte header length");
  std::uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | bytes[static_cast<std::size_t>(i)];
  const std::uint64_t available = bytes.size() - 8;
  EIGRAD_CHECK(n <= kMaxHeaderBytes, IoError, in_file(path), "header length ", n, " exceeds the limit of ",
               kMaxHeaderBytes, " bytes (corrupt header length)");
  EIGRAD_CHECK(n <= available, IoError, in_file(path), "header length ", n, " exceeds the ", available,
               " bytes that follow it (truncated file or corrupt header length)");
  EIGRAD_CHECK(n >= 2, IoError, in_file(path), "header length ", n, " is too small to hold a JSON object");

  const auto* text = reinterpret_cast<const char*>(bytes.data() + 8);
  std::set<std::string> seen;
  std::string duplicate;
  const Json::parser_callback_t reject_duplicates = [&](int depth, Json::parse_event_t event, Json& parsed) {
    if (event == Json::parse_event_t::key && depth == 1 && parsed.is_string() &&
        !seen.insert(parsed.get<std::string>()).second && duplicate.empty())
      duplicate = parsed.get<std::string>();
    return true;
  };
  Json header;
  try {
    header = Json::parse(text, text + n, reject_duplicates);
  } catch (const Json::exception& e) {
    EIGRAD_FAIL(IoError, in_file(path), "header is not valid JSON: ", e.what());
  }
  EIGRAD_CHECK(header.is_object(), IoError, in_file(path), "header is JSON ", header.type_name(), ", not an object");
  EIGRAD_CHECK(duplicate.empty(), IoError, in_file(path), "header names '", duplicate, "' twice");

  const std::uint64_t data_size = available - n;
  std::map<std::string, std::string> meta;
  std::vector<Parsed> parsed;
  for (const auto& [name, info] : header.items()) {
    if (name == kMetadataKey) {
      EIGRAD_CHECK(info.is_object(), IoError, in_file(path), "\"__metadata__\" is not a JSON object");
      for (const auto& [k, v] : info.items()) {
        EIGRAD_CHECK(v.is_string(), IoError, in_file(path), "\"__metadata__\" value of '", k, "' is ", v.dump(),
                     ", not a string");
        meta[k] = v.get<std::string>();
      }
      continue;
    }
    Parsed p = parse_entry(path, name, info);
    EIGRAD_CHECK(p.end <= data_size, IoError, in_file(path), "tensor '", name, "' has data_offsets ",
                 offsets_text(p.begin, p.end), " outside the ", data_size,
                 "-byte data section (truncated file or corrupt offsets)");
    parsed.push_back(std::move(p));
  }

  std::sort(parsed.begin(), parsed.end(), [](const Parsed& a, const Parsed& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  std::uint64_t expected = 0;
  const Parsed* previous = nullptr;
  for (const auto& p : parsed) {
    EIGRAD_CHECK(p.begin >= expected, IoError, in_file(path), "tensor '", p.name, "' data_offsets ",
                 offsets_text(p.begin, p.end), " overlap those of '", previous->name, "' ",
                 offsets_text(previous->begin, previous->end));
    EIGRAD_CHECK(p.begin <= expected, IoError, in_file(path), "gap of ", p.begin - expected,
                 " bytes in the data section before tensor '", p.name, "' ", offsets_text(p.begin, p.end));
    expected = p.end;
    previous = &p;
  }
  EIGRAD_CHECK(expected == data_size, IoError, in_file(path), data_size - expected,
               " bytes after the last tensor's data (the header lists ", expected, " of the ", data_size,
               " data bytes)");

  TensorDict out;
  out.reserve(parsed.size());
  const std::uint8_t* data = bytes.data() + 8 + n;
  for (auto& p : parsed) {
    p.entry.data.assign(data + p.begin, data + p.end);
    out.emplace_back(std::move(p.name), std::move(p.entry));
  }
  if (metadata != nullptr) *metadata = std::move(meta);
  return out;
}

template <class T>
TensorEntry to_entry(const Tensor<T>& t) {
  EIGRAD_CHECK(t.defined(), ValueError, "to_entry: the tensor is undefined");
  const Tensor<T> cpu = t.to(Device::cpu());
  TensorEntry e;
  e.dtype = dtype_tag<T>();
  e.shape = cpu.shape();
  const auto count = static_cast<std::size_t>(cpu.numel());
  e.data.resize(count * sizeof(T));
  if (count > 0) std::memcpy(e.data.data(), cpu.data(), e.data.size());
  if (!host_is_little_endian()) swap_elements(e.data.data(), count, sizeof(T));
  return e;
}

template <class T>
Tensor<T> from_entry(const TensorEntry& e) {
  EIGRAD_CHECK(e.dtype == dtype_tag<T>(), IoError, "tensor of dtype ", e.dtype, " cannot load into a ", dtype_name<T>(),
               " tensor (expected ", dtype_tag<T>(), ")");
  EIGRAD_CHECK(e.shape.size() <= static_cast<std::size_t>(kMaxRank), IoError, "tensor of shape ", to_string(e.shape),
               " has rank ", e.shape.size(), ", above the maximum ", kMaxRank);
  for (const auto d : e.shape)
    EIGRAD_CHECK(d >= 0, IoError, "tensor shape ", to_string(e.shape), " has a negative extent");
  std::uint64_t expected = 0;
  EIGRAD_CHECK(byte_size(e.shape, sizeof(T), &expected) && expected == e.data.size(), IoError, "tensor of dtype ",
               e.dtype, " and shape ", to_string(e.shape), " holds ", e.data.size(), " bytes, expected ", expected);
  Tensor<T> out = empty<T>(e.shape);
  const auto count = static_cast<std::size_t>(out.numel());
  if (count > 0) {
    std::memcpy(out.data(), e.data.data(), e.data.size());
    if (!host_is_little_endian()) swap_elements(reinterpret_cast<std::uint8_t*>(out.data()), count, sizeof(T));
  }
  return out;
}

template <class T>
void copy_entry_into(const TensorEntry& e, Tensor<T>& dst) {
  EIGRAD_CHECK(dst.defined(), ValueError, "copy_entry_into: the destination tensor is undefined");
  EIGRAD_CHECK(e.shape == dst.shape(), IoError, "tensor of shape ", to_string(e.shape),
               " cannot load into a tensor of shape ", to_string(dst.shape()));
  const Tensor<T> src = from_entry<T>(e);
  NoGradGuard no_grad;  // loading is not a differentiable operation, and dst may be a leaf
  dst.copy_(dst.device().is_cpu() ? src : src.to(dst.device()));
}

template TensorEntry to_entry<float>(const Tensor<float>&);
template TensorEntry to_entry<double>(const Tensor<double>&);
template Tensor<float> from_entry<float>(const TensorEntry&);
template Tensor<double> from_entry<double>(const TensorEntry&);
template void copy_entry_into<float>(const TensorEntry&, Tensor<float>&);
template void copy_entry_into<double>(const TensorEntry&, Tensor<double>&);

}  // namespace eigrad::io
