//===- TestData.h - Reading the algorithm tests' JSON cases -----*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_UNITTESTS_ALGORITHMS_TESTDATA_H
#define QUANTOPT_UNITTESTS_ALGORITHMS_TESTDATA_H

#include "QuantOpt/Numerics/Numerics.h"

#include "llvm/Support/JSON.h"
#include "llvm/Support/MemoryBuffer.h"

#include <gtest/gtest.h>

#include <vector>

namespace quantopt {
namespace testdata {

/// The numbers of array `key` of `o`.
template <typename T>
std::vector<T> getArray(const llvm::json::Object &o, llvm::StringRef key) {
  std::vector<T> out;
  for (const llvm::json::Value &v : *o.getArray(key))
    out.push_back(static_cast<T>(*v.getAsNumber()));
  return out;
}

/// The quantizer of a case: "storage", "scheme" and "narrow".
inline numerics::SolverOptions getSolver(const llvm::json::Object &k) {
  numerics::SolverOptions solver;
  solver.storage = *numerics::parseStorageName(*k.getString("storage"));
  solver.scheme = *numerics::parseSchemeName(*k.getString("scheme"));
  solver.narrowRange = *k.getBoolean("narrow");
  return solver;
}

/// data/`name`, parsed.
inline llvm::json::Value load(llvm::StringRef name) {
  auto buffer = llvm::MemoryBuffer::getFile(
      (QUANTOPT_ALGORITHMS_TEST_DATA_DIR "/" + name).str());
  EXPECT_TRUE(static_cast<bool>(buffer));
  auto parsed = llvm::json::parse((*buffer)->getBuffer());
  EXPECT_TRUE(static_cast<bool>(parsed));
  return std::move(*parsed);
}

} // namespace testdata
} // namespace quantopt

#endif // QUANTOPT_UNITTESTS_ALGORITHMS_TESTDATA_H
