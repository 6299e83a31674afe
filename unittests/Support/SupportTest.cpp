//===- SupportTest.cpp - Bounded parsing helpers --------------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// The input bounds of QuantOpt/Support (issue 15): JSON size and nesting
// (Json.h) and the nesting of MLIR source before MLIR's recursive parser
// (SourceNesting.h). Hand-written inputs at and past each bound.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Support/Json.h"
#include "QuantOpt/Support/SourceNesting.h"

#include "gtest/gtest.h"

#include <string>

using namespace quantopt;

namespace {

std::string errorOf(llvm::Error err) {
  return err ? llvm::toString(std::move(err)) : std::string();
}

std::string nested(char open, char close, unsigned depth) {
  return std::string(depth, open) + std::string(depth, close);
}

TEST(SupportTest, JsonSizeBound) {
  EXPECT_TRUE(static_cast<bool>(parseBoundedJson("[1, 2]", 6)));
  auto tooLong = parseBoundedJson("[1, 2] ", 6);
  ASSERT_FALSE(static_cast<bool>(tooLong));
  EXPECT_EQ(errorOf(tooLong.takeError()),
            "the file is 7 bytes long; JSON files larger than 6 bytes are "
            "refused");
}

TEST(SupportTest, JsonNestingBound) {
  EXPECT_TRUE(static_cast<bool>(parseBoundedJson(nested('[', ']', 64))));
  auto deep = parseBoundedJson(nested('[', ']', 65));
  ASSERT_FALSE(static_cast<bool>(deep));
  EXPECT_EQ(errorOf(deep.takeError()),
            "arrays and objects nest deeper than 64 levels (at byte 64)");
  // Brackets in strings (with an escaped quote before them) do not count.
  EXPECT_TRUE(static_cast<bool>(
      parseBoundedJson("{\"a\": \"\\\"" + std::string(100, '[') + "\"}")));
}

TEST(SupportTest, SourceNestingEachKind) {
  for (auto [open, close] : {std::pair{'[', ']'}, std::pair{'(', ')'},
                             std::pair{'{', '}'}, std::pair{'<', '>'}}) {
    EXPECT_EQ(errorOf(checkSourceNesting(nested(open, close, 8), "m", 8)), "");
    EXPECT_EQ(errorOf(checkSourceNesting(nested(open, close, 9), "m", 8)),
              "m:1:9: error: brackets nest deeper than 8 levels; MLIR's "
              "parser recurses once per level, so QuantOpt refuses such "
              "input before parsing");
  }
}

TEST(SupportTest, SourceNestingCountsKindsTogether) {
  // Four levels of each kind: 16 in all.
  std::string mixed = "[[[[((((({{{{<<<<>>>>}}}})))))]]]]";
  EXPECT_EQ(errorOf(checkSourceNesting(mixed, "m", 17)), "");
  EXPECT_NE(errorOf(checkSourceNesting(mixed, "m", 15)), "");
}

TEST(SupportTest, SourceNestingLineAndColumn) {
  EXPECT_EQ(errorOf(checkSourceNesting("a\nbc [[[", "f.mlir", 2)),
            "f.mlir:2:6: error: brackets nest deeper than 2 levels; MLIR's "
            "parser recurses once per level, so QuantOpt refuses such input "
            "before parsing");
}

TEST(SupportTest, SourceNestingIgnoresStringsCommentsArrowsAndInequalities) {
  EXPECT_EQ(errorOf(checkSourceNesting("\"[[[[\\\"[[[[\" // ((((\n x", "m", 2)),
            "");
  // `->` and `>=` close nothing: the two `[` still count.
  EXPECT_NE(errorOf(checkSourceNesting("<< -> >= [[", "m", 3)), "");
  // A stray closer of one kind does not hide openers of another.
  EXPECT_NE(errorOf(checkSourceNesting(")))) [[[", "m", 2)), "");
  // `<=` opens nothing.
  EXPECT_EQ(errorOf(checkSourceNesting("<= <= <= <", "m", 1)), "");
}

} // namespace
