//===- TestSupport.h - Shared helpers of the calibration tests --*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// Bit-exact float assertions and the readers of the oracle files in data/
// (JSON written once by the generator scripts next to them), shared by
// CalibrationTest.cpp and TorchHistogramTest.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_UNITTESTS_CALIBRATION_TESTSUPPORT_H
#define QUANTOPT_UNITTESTS_CALIBRATION_TESTSUPPORT_H

#include "llvm/ADT/StringRef.h"
#include "llvm/Support/JSON.h"

#include "gtest/gtest.h"

#include <cstdint>
#include <string>
#include <vector>

namespace quantopt::calibration::test {

uint32_t bitsOf(float v);
/// The value, its hex float and its bit pattern.
std::string describe(float v);

/// Bit-exact comparison of two floats (the sign of zero and NaN payloads
/// included).
::testing::AssertionResult floatBitsEqual(const char *actualExpr,
                                          const char *expectedExpr,
                                          float actual, float expected);

#define EXPECT_FLOAT_BITS_EQ(actual, expected)                                 \
  EXPECT_PRED_FORMAT2(::quantopt::calibration::test::floatBitsEqual, actual,   \
                      expected)

/// The path of data/`name`.
std::string dataPath(llvm::StringRef name);
/// Parses data/`name`, kept for the whole test binary; null (with a test
/// failure) when it cannot be read or parsed.
const llvm::json::Object *loadJSON(llvm::StringRef name);
/// Decodes a string of 8-hex-digit float32 bit patterns.
std::vector<float> decodeHex(llvm::StringRef hex);
/// The hex-encoded batches of `o["batches"]`.
std::vector<std::vector<float>> getBatches(const llvm::json::Object &o);

} // namespace quantopt::calibration::test

#endif // QUANTOPT_UNITTESTS_CALIBRATION_TESTSUPPORT_H
