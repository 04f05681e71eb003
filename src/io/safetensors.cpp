// The safetensors reader and writer. The reader trusts nothing in the file: every number in
// the header is checked against the file size before it is used, so a corrupt or hostile
// file ends in an IoError, never in a read past the buffer or a huge allocation.
#include "eigrad/io/safetensors.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstdio>
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

std::string base_name_of(const std::string& path) {
  const auto slash = path.find_last_of('/');
  return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string joined(const std::string& directory, const std::string& name) {
  return directory == "/" ? "/" + name : directory + "/" + name;
}

// Length of the well-formed UTF-8 sequence at s[i] (RFC 3629: no overlong forms, no
// surrogates, nothing above U+10FFFF, as JSON writers require), or 0 when it is ill-formed.
std::size_t utf8_sequence_length(const std::string& s, std::size_t i) {
  const auto byte = [&s](std::size_t k) { return k < s.size() ? static_cast<unsigned char>(s[k]) : 0u; };
  const unsigned lead = byte(i);
  if (lead < 0x80) return 1;
  unsigned second_min = 0x80, second_max = 0xBF;
  std::size_t length = 0;
  if (lead >= 0xC2 && lead <= 0xDF) {
    length = 2;
  } else if (lead >= 0xE0 && lead <= 0xEF) {
    length = 3;
    if (lead == 0xE0) second_min = 0xA0;
    if (lead == 0xED) second_max = 0x9F;
  } else if (lead >= 0xF0 && lead <= 0xF4) {
    length = 4;
    if (lead == 0xF0) second_min = 0x90;
    if (lead == 0xF4) second_max = 0x8F;
  } else {
    return 0;
  }
  if (byte(i + 1) < second_min || byte(i + 1) > second_max) return 0;
  for (std::size_t k = 2; k < length; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  return length;
}

bool is_utf8(const std::string& s) {
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t length = utf8_sequence_length(s, i);
    if (length == 0) return false;
    i += length;
  }
  return true;
}

// \p s with every byte that is not part of well-formed UTF-8 written as \xNN, so that a
// message quoting file contents or a caller's name is itself valid UTF-8.
std::string printable(const std::string& s) {
  static const char* const hex = "0123456789ABCDEF";
  std::string out;
  for (std::size_t i = 0; i < s.size();) {
    const std::size_t length = utf8_sequence_length(s, i);
    if (length == 0) {
      const auto b = static_cast<unsigned char>(s[i++]);
      out += "\\x";
      out += hex[b >> 4];
      out += hex[b & 15];
    } else {
      out.append(s, i, length);
      i += length;
    }
  }
  return out;
}

// Finds the first key repeated at the top level of a JSON text in one pass without building
// anything. A std::set keeps it n log n even for keys crafted to collide in a hash table
// (nlohmann's callback parser, used before, rescans the parent object at each entry's end:
// quadratic).
class TopLevelDuplicateFinder : public nlohmann::json_sax<Json> {
 public:
  std::string duplicate;

  bool null() override { return true; }
  bool boolean(bool) override { return true; }
  bool number_integer(number_integer_t) override { return true; }
  bool number_unsigned(number_unsigned_t) override { return true; }
  bool number_float(number_float_t, const string_t&) override { return true; }
  bool string(string_t&) override { return true; }
  bool binary(binary_t&) override { return true; }
  bool start_object(std::size_t) override { return ++depth_, true; }
  bool end_object() override { return --depth_, true; }
  bool start_array(std::size_t) override { return ++depth_, true; }
  bool end_array() override { return --depth_, true; }
  bool key(string_t& k) override {
    if (depth_ != 1 || seen_.insert(k).second) return true;
    duplicate = k;
    return false;  // one is enough: stop reading
  }
  bool parse_error(std::size_t, const std::string&, const Json::exception&) override { return false; }

 private:
  int depth_ = 0;
  std::set<std::string> seen_;
};

// The file a save to \p path writes: \p path itself, or, when it is a symbolic link, the file
// the link (chain) points to, so the link survives as it does with torch.save.
std::string final_target(const std::string& path) {
  std::string current = path;
  for (int hops = 0; hops < 40; ++hops) {  // Linux's own limit (ELOOP)
    struct stat st {};
    if (::lstat(current.c_str(), &st) != 0 || !S_ISLNK(st.st_mode)) return current;
    std::vector<char> link(static_cast<std::size_t>(std::max<off_t>(st.st_size, 255)) + 1);
    const ssize_t length = ::readlink(current.c_str(), link.data(), link.size());
    const int err = errno;
    EIGRAD_CHECK(length >= 0, IoError, in_file(path), "cannot read symbolic link '", current, "': ", errno_text(err));
    EIGRAD_CHECK(static_cast<std::size_t>(length) < link.size(), IoError, in_file(path), "symbolic link '", current,
                 "' changed while it was read");
    const std::string destination(link.data(), static_cast<std::size_t>(length));
    current = !destination.empty() && destination.front() == '/' ? destination : joined(directory_of(current), destination);
  }
  EIGRAD_FAIL(IoError, in_file(path), "too many levels of symbolic links");
}

// The temporary name of a save to \p target starts with this: a dot (hidden), a hash of the
// target's name (so each save cleans up only after saves of the same target), a fixed tag.
// Short whatever the target's length, so a target name near NAME_MAX still has a temporary.
std::string temporary_prefix(const std::string& target) {
  std::uint64_t hash = 14695981039346656037ULL;  // FNV-1a: the same in every build and run
  for (const char c : base_name_of(target)) hash = (hash ^ static_cast<unsigned char>(c)) * 1099511628211ULL;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(hash));
  return std::string(".") + hex + ".eigrad-tmp.";
}

std::string random_suffix() {
  static std::atomic<std::uint64_t> counter{0};
  std::uint64_t x = (static_cast<std::uint64_t>(::getpid()) << 32) ^ counter.fetch_add(1) ^
                    static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
  x ^= x >> 30;  // splitmix64's finaliser: neighbouring inputs give unrelated names
  x *= 0xbf58476d1ce4e5b9ULL;
  x ^= x >> 27;
  x *= 0x94d049bb133111ebULL;
  x ^= x >> 31;
  char hex[17];
  std::snprintf(hex, sizeof hex, "%016llx", static_cast<unsigned long long>(x));
  return hex;
}

// Removes \p file, a temporary of an earlier save, if that save is over: a save holds an
// exclusive flock() on its temporary until it is renamed or removed, and the kernel drops
// the lock when the process dies (SIGKILL included), so a lock we can take means an
// abandoned file. Best effort: anything unexpected leaves the file alone.
void remove_if_abandoned(const std::string& file) {
  const int fd = ::open(file.c_str(), O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) return;
  const ClosedOnExit closed_on_exit{fd};
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) return;  // a save in progress
  struct stat opened {}, named {};
  // Still the file we locked (not renamed away and replaced meanwhile)?
  if (::fstat(fd, &opened) == 0 && ::lstat(file.c_str(), &named) == 0 && S_ISREG(opened.st_mode) &&
      opened.st_dev == named.st_dev && opened.st_ino == named.st_ino)
    ::unlink(file.c_str());
}

void remove_abandoned_temporaries(const std::string& directory, const std::string& prefix) {
  DIR* dir = ::opendir(directory.c_str());
  if (dir == nullptr) return;
  std::vector<std::string> stale;
  while (const dirent* entry = ::readdir(dir))
    if (std::strncmp(entry->d_name, prefix.c_str(), prefix.size()) == 0) stale.emplace_back(entry->d_name);
  ::closedir(dir);
  for (const auto& name : stale) remove_if_abandoned(joined(directory, name));
}

// The temporary file of one save, created locked beside its target; removed on every way
// out unless commit() renamed it over the target.
class TemporaryFile {
 public:
  TemporaryFile(const std::string& path, const std::string& target) : path_(path), target_(target) {
    const std::string directory = directory_of(target);
    const std::string prefix = temporary_prefix(target);
    remove_abandoned_temporaries(directory, prefix);

    struct stat existing {};
    const bool exists = ::stat(target.c_str(), &existing) == 0;
    if (exists) {
      EIGRAD_CHECK(!S_ISDIR(existing.st_mode), IoError, in_file(path), "is a directory");
      // As torch.save (PermissionError) and shell redirection: a file we may not write is
      // refused, not replaced behind its owner's back by the rename.
      const bool writable = ::faccessat(AT_FDCWD, target.c_str(), W_OK, AT_EACCESS) == 0;
      const int err = errno;
      EIGRAD_CHECK(writable, IoError, in_file(path), "cannot overwrite: ", errno_text(err));
    }
    const mode_t mode = exists ? (existing.st_mode & 0777) : 0666;
    for (int attempt = 0; fd_ < 0; ++attempt) {
      name_ = joined(directory, prefix + random_suffix());
      // O_EXCL: never write through a file (or link) that someone else put at the temp name.
      // Created with at most the target's permissions, so its data is never more exposed.
      fd_ = ::open(name_.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
      const int err = errno;
      if (fd_ < 0 && err == EEXIST && attempt < 100) continue;
      EIGRAD_CHECK(fd_ >= 0, IoError, in_file(path), "cannot create temporary file '", name_, "': ", errno_text(err));
      ::flock(fd_, LOCK_EX);  // waits out a remove_if_abandoned() that got here first, then:
      struct stat st {};
      if (::fstat(fd_, &st) == 0 && st.st_nlink == 0) {  // ...it removed our fresh file: retry
        ::close(fd_);
        fd_ = -1;
      }
    }
    if (exists) {
      // Keep the target's owner and group where we may (root may; others keep the group
      // when they belong to it), then its exact permission bits, which umask trimmed.
      if (::fchown(fd_, existing.st_uid, existing.st_gid) != 0)
        (void)!::fchown(fd_, static_cast<uid_t>(-1), existing.st_gid);
      ::fchmod(fd_, mode);
    }
  }
  TemporaryFile(const TemporaryFile&) = delete;
  TemporaryFile& operator=(const TemporaryFile&) = delete;
  ~TemporaryFile() {
    if (!committed_) ::unlink(name_.c_str());
    if (fd_ >= 0) ::close(fd_);  // drops the lock, after the rename or unlink
  }

  // Writes every byte; a failure removes the file and throws.
  void write(const std::uint8_t* data, std::size_t size) {
    const int err = write_all(fd_, data, size);
    EIGRAD_CHECK(err == 0, IoError, in_file(path_), "cannot write temporary file '", name_, "': ", errno_text(err));
  }

  // Flushes the data to disk and renames the file over the target.
  void commit() {
    const bool synced = ::fsync(fd_) == 0;
    int err = errno;
    EIGRAD_CHECK(synced, IoError, in_file(path_), "cannot fsync temporary file '", name_, "': ", errno_text(err));
    // close() reports delayed write errors (NFS, full disks), so its result counts too. A
    // duplicate keeps the lock (it belongs to the open file, shared by both descriptors).
    const int lock = ::dup(fd_);
    const bool closed = ::close(fd_) == 0;
    err = errno;
    fd_ = lock;
    EIGRAD_CHECK(closed, IoError, in_file(path_), "cannot close temporary file '", name_, "': ", errno_text(err));
    const bool renamed = ::rename(name_.c_str(), target_.c_str()) == 0;
    err = errno;
    EIGRAD_CHECK(renamed, IoError, in_file(path_), "cannot rename temporary file into place: ", errno_text(err));
    committed_ = true;
  }

 private:
  std::string path_, target_, name_;
  int fd_ = -1;
  bool committed_ = false;
};

// The header of a save, validated: nothing touches the disk for a malformed dictionary.
std::string header_text(const std::string& path, const TensorDict& tensors,
                        const std::map<std::string, std::string>& metadata) {
  std::set<std::string> names;
  OrderedJson header = OrderedJson::object();
  if (!metadata.empty()) {
    OrderedJson meta = OrderedJson::object();
    for (const auto& [k, v] : metadata) {
      EIGRAD_CHECK(is_utf8(k), IoError, in_file(path), "cannot save metadata key '", printable(k),
                   "': not valid UTF-8 (JSON text must be)");
      EIGRAD_CHECK(is_utf8(v), IoError, in_file(path), "cannot save the value of metadata key '", printable(k),
                   "': not valid UTF-8 (JSON text must be)");
      meta[k] = v;
    }
    header[kMetadataKey] = std::move(meta);
  }
  std::uint64_t offset = 0;
  for (const auto& [name, e] : tensors) {
    EIGRAD_CHECK(!name.empty(), IoError, in_file(path), "cannot save a tensor with an empty name");
    EIGRAD_CHECK(is_utf8(name), IoError, in_file(path), "cannot save tensor '", printable(name),
                 "': its name is not valid UTF-8 (JSON text must be)");
    EIGRAD_CHECK(name != kMetadataKey, IoError, in_file(path), "cannot save a tensor named \"__metadata__\" (reserved)");
    EIGRAD_CHECK(names.insert(name).second, IoError, in_file(path), "cannot save two tensors named '", name, "'");
    const std::size_t itemsize = dtype_itemsize(e.dtype);
    EIGRAD_CHECK(itemsize != 0, IoError, in_file(path), "cannot save tensor '", name, "' of unknown dtype \"",
                 printable(e.dtype), "\"");
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
  return text;
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
  const std::string text = header_text(path, tensors, metadata);
  std::uint8_t length[8];
  for (int i = 0; i < 8; ++i) length[i] = static_cast<std::uint8_t>(static_cast<std::uint64_t>(text.size()) >> (8 * i));

  const std::string target = final_target(path);
  TemporaryFile temp(path, target);
  temp.write(length, 8);
  temp.write(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
  for (const auto& [name, e] : tensors) temp.write(e.data.data(), e.data.size());
  temp.commit();
  // Make the rename itself durable; failure here cannot be undone, so it is not an error.
  const int dir = ::open(directory_of(target).c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
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
  Json header;
  try {
    header = Json::parse(text, text + n);
  } catch (const Json::exception& e) {
    // The parser quotes the bytes it choked on, which may be anything.
    EIGRAD_FAIL(IoError, in_file(path), "header is not valid JSON: ", printable(e.what()));
  }
  EIGRAD_CHECK(header.is_object(), IoError, in_file(path), "header is JSON ", header.type_name(), ", not an object");
  // The object above kept the last of repeated names; a second pass finds them.
  TopLevelDuplicateFinder duplicates;
  Json::sax_parse(text, text + n, &duplicates);
  EIGRAD_CHECK(duplicates.duplicate.empty(), IoError, in_file(path), "header names '", duplicates.duplicate, "' twice");

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
