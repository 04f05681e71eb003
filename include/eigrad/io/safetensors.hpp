#pragma once
/// \file safetensors.hpp
/// \brief Reading and writing the safetensors format (the checkpoint format of PyTorch,
///        NumPy and Hugging Face users).
///
/// Layout of a file: an 8-byte little-endian unsigned header length N, then N bytes of JSON
/// `{"name": {"dtype": "F32", "shape": [..], "data_offsets": [begin, end]}, ...,
/// "__metadata__": {"key": "value"}}` (offsets count from the first byte after the header),
/// then the raw little-endian data of every tensor. The functions here are type-erased: a
/// TensorEntry carries bytes, so optimizers and modules of either element type share them.
#include <cstdint>
#include <map>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "eigrad/shape.hpp"
#include "eigrad/tensor.hpp"

namespace eigrad::io {

/// One tensor of a safetensors file, type-erased: dtype ("F32", "F64", or another
/// safetensors dtype, which typed loads reject), shape, and raw little-endian bytes.
struct TensorEntry {
  std::string dtype;               ///< safetensors dtype tag, e.g. "F32"
  Shape shape;                     ///< extents, outermost first
  std::vector<std::uint8_t> data;  ///< numel * itemsize little-endian bytes
};

/// Named entries in file order.
using TensorDict = std::vector<std::pair<std::string, TensorEntry>>;

/// Bytes per element of a safetensors dtype tag ("F32" -> 4); 0 for an unknown tag.
std::size_t dtype_itemsize(const std::string& dtype);

/// The safetensors dtype tag of \p T: "F32" for float, "F64" for double.
template <class T>
constexpr const char* dtype_tag() {
  return std::is_same_v<T, float> ? "F32" : "F64";
}

/// Writes \p tensors (and the string pairs of \p metadata under "__metadata__") to \p path.
///
/// The write is atomic: the data goes to a fresh temporary file in the same directory, is
/// flushed to disk (fsync), and only then renamed over \p path, so a failure at any point
/// leaves a previous file at \p path intact. The temporary file is removed when the save
/// fails; one left by a save that died (even by SIGKILL) is removed by the next save to the
/// same path. Its name is short (`.<hash of the file name>.eigrad-tmp.<random>`), so any
/// name the file system accepts for \p path works.
///
/// As torch.save: when \p path is a symbolic link, the file it points to is written and the
/// link stays; an existing file keeps its permission bits (and its owner and group where
/// the caller may set them); a file the caller may not write is refused with an IoError, not
/// replaced. Throws IoError naming the path and the cause, including for an entry whose byte
/// count does not match its shape and dtype, a name that is empty, repeated or
/// "__metadata__", and a name, metadata key or metadata value that is not valid UTF-8 (JSON
/// holds only UTF-8), all before anything is written.
void save_safetensors(const std::string& path, const TensorDict& tensors,
                      const std::map<std::string, std::string>& metadata = {});

/// Reads \p path and validates everything: the header length against the file size, the
/// JSON, each dtype, shape and data_offsets pair, sizes equal to numel * itemsize, and
/// offsets that tile the data section exactly (inside the file, no overlap, no gap), and
/// that no name is repeated. The time grows as n log n with the header's size, however it
/// was crafted. Throws IoError with a message naming the path and the fault (bytes of the
/// file that are not UTF-8 appear in it as `\xNN`). The entries come back in
/// the order of their data in the file; \p metadata, when given, receives "__metadata__".
TensorDict load_safetensors(const std::string& path,
                            std::map<std::string, std::string>* metadata = nullptr);

/// The entry named \p name in \p dict, or null.
const TensorEntry* find_entry(const TensorDict& dict, const std::string& name);

/// Copies the values of \p t (moved to the CPU if needed) into an entry of dtype
/// dtype_tag<T>(). Autograd is not involved.
template <class T>
TensorEntry to_entry(const Tensor<T>& t);

/// A new CPU tensor holding the values of \p e. Throws IoError when the dtype is not
/// dtype_tag<T>(), the rank exceeds kMaxRank, or the byte count does not match the shape.
template <class T>
Tensor<T> from_entry(const TensorEntry& e);

/// Copies the values of \p e into the existing tensor \p dst (on any device) without
/// recording autograd; throws IoError like from_entry(), and also when the shapes differ.
template <class T>
void copy_entry_into(const TensorEntry& e, Tensor<T>& dst);

}  // namespace eigrad::io
