//===- SourceNesting.h - A bound on the nesting of MLIR source --*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// MLIR's parser recurses once per level of nested attributes, types and
// regions, so a module of a few thousand '[' overflows the stack (found by
// fuzz/fuzz-module.cpp, issue 15). The parser has no depth limit of its
// own, so every tool that parses a module (quant-opt, quant-run,
// quant-compile, the module fuzz target) first checks its text with
// checkSourceNesting, which rejects nesting deeper than any model uses
// before parsing. Header-only, as Json.h.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_SUPPORT_SOURCENESTING_H
#define QUANTOPT_SUPPORT_SOURCENESTING_H

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Error.h"

#include <string>

namespace quantopt {

/// Real modules nest a few dozen levels (regions in regions, dense literals
/// of rank <= 8, types in types); 256 leaves room and keeps the parser's
/// recursion far from the stack's end, sanitizer builds included.
inline constexpr unsigned kMaxSourceNesting = 256;

/// Fails, naming `name:line:col` of the first bracket past the bound, when
/// the brackets `(`, `[`, `{` and `<` of `text` (outside string literals and
/// `//` comments) nest deeper than `maxDepth`. Each kind is counted apart so
/// that a stray closer of one kind cannot hide openers of another; the `>`
/// of `->` and of `>=` (an affine set's inequality) close nothing, the `<`
/// of `<=` opens nothing.
inline llvm::Error checkSourceNesting(llvm::StringRef text,
                                      llvm::StringRef name,
                                      unsigned maxDepth = kMaxSourceNesting) {
  unsigned open[4] = {0, 0, 0, 0};
  bool inString = false, escaped = false, inComment = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inComment) {
      inComment = c != '\n';
      continue;
    }
    if (inString) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"' || c == '\n')
        inString = false;
      continue;
    }
    int kind = -1;
    bool opener = false;
    switch (c) {
    case '"':
      inString = true;
      continue;
    case '/':
      inComment = i + 1 < text.size() && text[i + 1] == '/';
      continue;
    case '(': kind = 0; opener = true; break;
    case ')': kind = 0; break;
    case '[': kind = 1; opener = true; break;
    case ']': kind = 1; break;
    case '{': kind = 2; opener = true; break;
    case '}': kind = 2; break;
    case '<':
      kind = 3;
      opener = !(i + 1 < text.size() && text[i + 1] == '=');
      break;
    case '>':
      if ((i > 0 && text[i - 1] == '-') ||
          (i + 1 < text.size() && text[i + 1] == '='))
        continue; // an arrow, or `>=` in an affine set
      kind = 3;
      break;
    default:
      continue;
    }
    if (!opener) {
      if (open[kind] > 0)
        --open[kind];
      continue;
    }
    ++open[kind];
    if (open[0] + open[1] + open[2] + open[3] > maxDepth) {
      llvm::StringRef before = text.take_front(i);
      size_t line = before.count('\n') + 1;
      size_t lineStart = before.rfind('\n');
      size_t col = lineStart == llvm::StringRef::npos ? i + 1 : i - lineStart;
      return llvm::createStringError(
          llvm::inconvertibleErrorCode(),
          name + ":" + llvm::Twine(line) + ":" + llvm::Twine(col) +
              ": error: brackets nest deeper than " + llvm::Twine(maxDepth) +
              " levels; MLIR's parser recurses once per level, so QuantOpt "
              "refuses such input before parsing");
    }
  }
  return llvm::Error::success();
}

} // namespace quantopt

#endif // QUANTOPT_SUPPORT_SOURCENESTING_H
