//===- NumericsTestUtil.h - Helpers of the numerics tests -------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// Shared by NumericsTest.cpp (hand-derived cases) and NumericsOracleTest.cpp
// (the generated vectors and ONNX's reference cases).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_UNITTESTS_NUMERICS_NUMERICSTESTUTIL_H
#define QUANTOPT_UNITTESTS_NUMERICS_NUMERICSTESTUTIL_H

#include "QuantOpt/Numerics/Numerics.h"
#include "QuantOpt/Runtime/Npy.h"

#include "llvm/ADT/APFloat.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

#include <cfloat>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <iterator>
#include <limits>
#include <string>
#include <vector>

#ifndef QUANTOPT_NUMERICS_TEST_DATA_DIR
#error "QUANTOPT_NUMERICS_TEST_DATA_DIR must name the directory of the vectors"
#endif

using namespace quantopt::numerics;
using llvm::APFloat;
using llvm::ArrayRef;
using llvm::Expected;
using llvm::fltSemantics;
using llvm::SmallString;
using llvm::StringRef;
using llvm::toString;
using quantopt::runtime::DType;
using quantopt::runtime::NpyArray;
using quantopt::runtime::readNpy;

namespace numtest {

constexpr float kInf = std::numeric_limits<float>::infinity();
constexpr float kNaN = std::numeric_limits<float>::quiet_NaN();

/// The rounding modes in the order of the rows of the generated q arrays.
inline const RoundingMode kModes[] = {RoundingMode::HalfEven,
                               RoundingMode::HalfAwayFromZero,
                               RoundingMode::HalfUp, RoundingMode::Reciprocal};

/// Integer storage kinds covered by the generated vectors.
inline const char *const kIntKindNames[] = {"i2", "i4", "i8", "i16",
                                     "u2", "u4", "u8", "u16"};
inline const char *const kFloatKindNames[] = {"f8E4M3FN", "f8E5M2", "f4E2M1FN"};

inline uint32_t bitsOf(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  return bits;
}

/// "value (hexfloat, 0xbits)" for failure messages.
inline std::string describe(float v) {
  char buffer[96];
  std::snprintf(buffer, sizeof(buffer), "%.9g (%a, 0x%08x)", v, v, bitsOf(v));
  return buffer;
}

/// Bit-exact comparison of two floats; any two NaNs compare equal.
inline ::testing::AssertionResult floatBitsEqual(const char *actualExpr,
                                          const char *expectedExpr,
                                          float actual, float expected) {
  if (std::isnan(actual) && std::isnan(expected))
    return ::testing::AssertionSuccess();
  if (bitsOf(actual) == bitsOf(expected))
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << actualExpr << " is " << describe(actual) << ", expected "
         << expectedExpr << " = " << describe(expected);
}

#define EXPECT_FLOAT_BITS_EQ(actual, expected)                                 \
  EXPECT_PRED_FORMAT2(floatBitsEqual, actual, expected)

inline std::string dataPath(StringRef relative) {
  SmallString<128> path(QUANTOPT_NUMERICS_TEST_DATA_DIR);
  llvm::sys::path::append(path, llvm::sys::path::Style::posix, relative);
  return std::string(path);
}

/// Reads `relative` (below the data directory), checks its dtype and copies
/// its elements to `values`; `shape`, if given, receives the dimensions.
template <typename T>
inline ::testing::AssertionResult loadNpy(StringRef relative, DType dtype,
                                   std::vector<T> &values,
                                   std::vector<int64_t> *shape = nullptr) {
  Expected<NpyArray> array = readNpy(dataPath(relative));
  if (!array)
    return ::testing::AssertionFailure() << toString(array.takeError());
  if (array->dtype != dtype)
    return ::testing::AssertionFailure()
           << relative.str() << " has dtype "
           << quantopt::runtime::getDTypeName(array->dtype).str()
           << ", expected " << quantopt::runtime::getDTypeName(dtype).str();
  const T *data = array->as<T>();
  values.assign(data, data + array->numElements());
  if (shape)
    *shape = array->shape;
  return ::testing::AssertionSuccess();
}

/// The row-major multi-index of element `linear` of a tensor of `shape`.
inline std::vector<int64_t> unravel(int64_t linear, ArrayRef<int64_t> shape) {
  std::vector<int64_t> index(shape.size());
  for (int64_t d = static_cast<int64_t>(shape.size()) - 1; d >= 0; --d) {
    index[d] = linear % shape[d];
    linear /= shape[d];
  }
  return index;
}

/// Returns the error message of `result`, or "" on success.
template <typename T> inline std::string errorOf(Expected<T> result) {
  return result ? std::string() : toString(result.takeError());
}

inline SolverOptions options(StorageKind storage, Scheme scheme, bool narrow = true,
                      bool powerOfTwo = false) {
  SolverOptions result;
  result.storage = storage;
  result.scheme = scheme;
  result.narrowRange = narrow;
  result.powerOfTwo = powerOfTwo;
  return result;
}

/// Solves `[rmin, rmax]`, failing the test on an error.
inline QuantParams solve(double rmin, double rmax, const SolverOptions &opts) {
  Expected<QuantParams> params = solveFromRange(rmin, rmax, opts);
  if (!params) {
    ADD_FAILURE() << "solveFromRange(" << rmin << ", " << rmax
                  << ") failed: " << toString(params.takeError());
    return QuantParams();
  }
  return *params;
}

} // namespace numtest

#endif // QUANTOPT_UNITTESTS_NUMERICS_NUMERICSTESTUTIL_H
