//===- TestSupport.cpp - Shared helpers of the calibration tests ---------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "TestSupport.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include <cstdio>
#include <cstring>

#ifndef QUANTOPT_CALIBRATION_TEST_DATA_DIR
#error "QUANTOPT_CALIBRATION_TEST_DATA_DIR must name the data directory"
#endif

namespace json = llvm::json;
using llvm::Expected;
using llvm::StringRef;
using llvm::toString;

namespace quantopt::calibration::test {

uint32_t bitsOf(float v) {
  uint32_t bits;
  std::memcpy(&bits, &v, sizeof(bits));
  return bits;
}

std::string describe(float v) {
  char buffer[96];
  std::snprintf(buffer, sizeof(buffer), "%.9g (%a, 0x%08x)", v, v, bitsOf(v));
  return buffer;
}

::testing::AssertionResult floatBitsEqual(const char *actualExpr,
                                          const char *expectedExpr,
                                          float actual, float expected) {
  if (bitsOf(actual) == bitsOf(expected))
    return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure()
         << actualExpr << " is " << describe(actual) << ", expected "
         << expectedExpr << " = " << describe(expected);
}

std::string dataPath(StringRef name) {
  llvm::SmallString<128> path(QUANTOPT_CALIBRATION_TEST_DATA_DIR);
  llvm::sys::path::append(path, llvm::sys::path::Style::posix, name);
  return std::string(path);
}

const json::Object *loadJSON(StringRef name) {
  auto buffer = llvm::MemoryBuffer::getFile(dataPath(name));
  if (!buffer) {
    ADD_FAILURE() << "cannot read " << dataPath(name) << ": "
                  << buffer.getError().message();
    return nullptr;
  }
  Expected<json::Value> value = json::parse((*buffer)->getBuffer());
  if (!value) {
    ADD_FAILURE() << name.str() << ": " << toString(value.takeError());
    return nullptr;
  }
  // Intentionally leaked: lives for the whole test binary.
  auto *kept = new json::Value(std::move(*value));
  return kept->getAsObject();
}

std::vector<float> decodeHex(StringRef hex) {
  std::vector<float> values;
  EXPECT_EQ(hex.size() % 8, 0u);
  for (size_t i = 0; i + 8 <= hex.size(); i += 8) {
    uint32_t bits = 0;
    bool bad = hex.substr(i, 8).getAsInteger(16, bits);
    EXPECT_FALSE(bad);
    float v;
    std::memcpy(&v, &bits, sizeof(v));
    values.push_back(v);
  }
  return values;
}

std::vector<std::vector<float>> getBatches(const json::Object &o) {
  std::vector<std::vector<float>> batches;
  for (const json::Value &b : *o.getArray("batches"))
    batches.push_back(decodeHex(*b.getAsString()));
  return batches;
}

} // namespace quantopt::calibration::test
