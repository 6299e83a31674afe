//===- Json.h - JSON parsing with a bound on nesting ------------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// llvm::json::parse recurses once per nesting level, so a hostile file of
// 100k '[' overflows the stack (issue 15). Every JSON file QuantOpt reads
// (statistics, recipes, --dump-observed indexes) goes through
// parseBoundedJson, which rejects nesting deeper than any of our formats
// uses before parsing. Header-only: each library that reads JSON includes it.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_SUPPORT_JSON_H
#define QUANTOPT_SUPPORT_JSON_H

#include "llvm/Support/Error.h"
#include "llvm/Support/JSON.h"

namespace quantopt {

/// Our JSON formats nest a few levels; 64 leaves room and bounds the stack.
inline constexpr unsigned kMaxJsonNesting = 64;

/// The largest JSON file read: llvm::json holds a parsed file in about ten
/// times its size. Statistics of a model with a million channels and a
/// histogram per tensor take tens of MB; 1 GiB leaves room.
inline constexpr uint64_t kMaxJsonBytes = uint64_t(1) << 30;

/// llvm::json::parse, after checking that the text is at most
/// kMaxJsonBytes long and that arrays and objects nest at most
/// kMaxJsonNesting deep (brackets inside strings do not count).
inline llvm::Expected<llvm::json::Value>
parseBoundedJson(llvm::StringRef text, uint64_t maxBytes = kMaxJsonBytes) {
  if (text.size() > maxBytes)
    return llvm::createStringError(
        llvm::inconvertibleErrorCode(),
        "the file is " + llvm::Twine(text.size()) +
            " bytes long; JSON files larger than " + llvm::Twine(maxBytes) +
            " bytes are refused");
  unsigned depth = 0;
  bool inString = false, escaped = false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (inString) {
      if (escaped)
        escaped = false;
      else if (c == '\\')
        escaped = true;
      else if (c == '"')
        inString = false;
      continue;
    }
    if (c == '"') {
      inString = true;
    } else if (c == '[' || c == '{') {
      if (++depth > kMaxJsonNesting)
        return llvm::createStringError(
            llvm::inconvertibleErrorCode(),
            "arrays and objects nest deeper than " +
                llvm::Twine(kMaxJsonNesting) + " levels (at byte " +
                llvm::Twine(i) + ")");
    } else if ((c == ']' || c == '}') && depth > 0) {
      --depth;
    }
  }
  return llvm::json::parse(text);
}

} // namespace quantopt

#endif // QUANTOPT_SUPPORT_JSON_H
