//===- Npy.h - Reading and writing .npy files --------------------*- C++
//-*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// A small reader and writer for numpy's `.npy` format (format versions 1.0,
// 2.0 and 3.0), restricted to C-ordered arrays of plain numeric and boolean
// element types.
//
// In memory, element data is always row-major and little-endian. Files whose
// descr is big-endian (for example '>f4') are accepted and byte-swapped to
// little-endian on read. Fortran-ordered, object, structured, string and
// complex arrays are rejected. The writer always emits little-endian descrs
// ('<f4', ...; '|i1', '|u1', '|b1' for one-byte types).
//
// This header has no MLIR types in its interface.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_RUNTIME_NPY_H
#define QUANTOPT_RUNTIME_NPY_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cassert>
#include <cstdint>
#include <string>
#include <vector>

namespace quantopt {
namespace runtime {

/// Element types supported by the `.npy` reader and writer. `F16` data is kept
/// as raw IEEE binary16 bit patterns (access it as `uint16_t`); `Bool` is one
/// byte per element (0 or 1).
enum class DType { F32, F64, F16, I8, U8, I16, U16, I32, U32, I64, U64, Bool };

/// Returns the numpy name of `dtype` without byte order: "float32", "int8",
/// "bool", ...
llvm::StringRef getDTypeName(DType dtype);

/// Returns the size of one element of `dtype` in bytes.
unsigned getDTypeSize(DType dtype);

/// An n-dimensional array as stored in a `.npy` file.
struct NpyArray {
  DType dtype = DType::F32;
  /// The dimensions; empty for a scalar (numpy shape `()`).
  std::vector<int64_t> shape;
  /// Row-major, little-endian raw element bytes. The size is always
  /// `numElements() * getDTypeSize(dtype)`.
  std::vector<uint8_t> data;

  /// The product of `shape` (1 for a scalar, 0 if any dimension is 0).
  int64_t numElements() const;

  /// Views the data as an array of `T`. `sizeof(T)` must equal the element
  /// size; the caller is responsible for picking a `T` that matches `dtype`.
  /// Assumes a little-endian host.
  template <typename T> const T *as() const {
    assert(sizeof(T) == getDTypeSize(dtype) && "element size mismatch");
    return reinterpret_cast<const T *>(data.data());
  }
  template <typename T> T *as() {
    assert(sizeof(T) == getDTypeSize(dtype) && "element size mismatch");
    return reinterpret_cast<T *>(data.data());
  }
};

/// How many elements of a float array are NaN, +Inf and -Inf (all zero for
/// other dtypes).
struct NonFiniteCount {
  int64_t nan = 0, posInf = 0, negInf = 0;
  int64_t total() const { return nan + posInf + negInf; }
};
NonFiniteCount countNonFinite(const NpyArray &array);

/// Reads and parses the `.npy` file at `path`. Error messages start with
/// `path` and name the problem.
llvm::Expected<NpyArray> readNpy(llvm::StringRef path);

/// Parses the contents of a `.npy` file. Error messages start with
/// `nameForErrors`.
llvm::Expected<NpyArray> parseNpy(llvm::StringRef bytes,
                                  llvm::StringRef nameForErrors);

/// Serializes `array` in `.npy` format: version 1.0, or 2.0 if the header
/// does not fit in 65535 bytes. The header is padded with spaces and a final
/// newline so that the data starts at a multiple of 64 bytes. `array` must be
/// consistent (non-negative dimensions, data size matching the shape).
std::string serializeNpy(const NpyArray &array);

/// A file name for `id` (a layer name): `<id>.npy` with every character
/// but [A-Za-z0-9._#-] replaced by '_' (and a leading '.' too), numbered
/// (`<id>.1.npy`, ...) when it is already in `used`; added to `used`.
/// `suffix` goes before `.npy` (e.g. ".xtx").
std::string getUniqueNpyName(llvm::StringRef id, std::vector<std::string> &used,
                             llvm::StringRef suffix = "");

/// Writes `array` to `path`. The bytes go to a temporary file in the same
/// directory that is renamed over `path` on success, so a failed write never
/// leaves a partial file behind. Error messages start with `path`.
llvm::Error writeNpy(llvm::StringRef path, const NpyArray &array);

} // namespace runtime
} // namespace quantopt

#endif // QUANTOPT_RUNTIME_NPY_H
