//===- Npy.cpp - Reading and writing .npy files ---------------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// The format is described in numpy's `numpy/lib/format.py`: the magic string
// "\x93NUMPY", a major and a minor version byte, the header length (2 bytes
// little-endian in version 1.0, 4 bytes in 2.0 and 3.0), then an ASCII (UTF-8
// in 3.0) Python dict literal with the keys 'descr', 'fortran_order' and
// 'shape', padded with spaces and terminated by '\n', then the raw data.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Runtime/Npy.h"
#include "QuantOpt/Support/OutputFile.h"

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/Endian.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MathExtras.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <optional>

using namespace llvm;
using namespace quantopt::runtime;

static constexpr StringLiteral kMagic("\x93NUMPY");
static constexpr unsigned kAlign = 64;

static Error makeError(StringRef name, const Twine &msg) {
  return createStringError(inconvertibleErrorCode(), name + ": " + msg);
}

//===----------------------------------------------------------------------===//
// DType
//===----------------------------------------------------------------------===//

namespace {
struct DTypeInfo {
  DType dtype;
  const char *name;
  char kind; // numpy kind character: 'f', 'i', 'u' or 'b'.
  unsigned size;
};
} // namespace

static constexpr DTypeInfo kDTypes[] = {
    {DType::F32, "float32", 'f', 4}, {DType::F64, "float64", 'f', 8},
    {DType::F16, "float16", 'f', 2}, {DType::I8, "int8", 'i', 1},
    {DType::U8, "uint8", 'u', 1},    {DType::I16, "int16", 'i', 2},
    {DType::U16, "uint16", 'u', 2},  {DType::I32, "int32", 'i', 4},
    {DType::U32, "uint32", 'u', 4},  {DType::I64, "int64", 'i', 8},
    {DType::U64, "uint64", 'u', 8},  {DType::Bool, "bool", 'b', 1},
};

static const DTypeInfo &getInfo(DType dtype) {
  for (const DTypeInfo &info : kDTypes)
    if (info.dtype == dtype)
      return info;
  llvm_unreachable("unknown DType");
}

StringRef quantopt::runtime::getDTypeName(DType dtype) {
  return getInfo(dtype).name;
}

unsigned quantopt::runtime::getDTypeSize(DType dtype) {
  return getInfo(dtype).size;
}

int64_t NpyArray::numElements() const {
  int64_t n = 1;
  for (int64_t dim : shape)
    n *= dim;
  return n;
}

/// Returns the little-endian descr of `dtype`: '<f4', '|u1', ...
static std::string getDescr(DType dtype) {
  const DTypeInfo &info = getInfo(dtype);
  return std::string(1, info.size == 1 ? '|' : '<') + info.kind +
         std::to_string(info.size);
}

/// Decodes a descr string such as '<f4', '>i8', '|b1' or '?'. Sets
/// `bigEndian` for a '>' byte order.
static std::optional<DType> parseDescr(StringRef descr, bool &bigEndian) {
  bigEndian = descr.consume_front(">");
  if (!bigEndian)
    (void)(descr.consume_front("<") || descr.consume_front("|") ||
           descr.consume_front("="));
  if (descr == "?")
    return DType::Bool;
  unsigned size;
  if (descr.size() < 2 || descr.drop_front().getAsInteger(10, size))
    return std::nullopt;
  for (const DTypeInfo &info : kDTypes)
    if (info.kind == descr.front() && info.size == size)
      return info.dtype;
  return std::nullopt;
}

//===----------------------------------------------------------------------===//
// Header dict parsing
//===----------------------------------------------------------------------===//

namespace {
/// A Python literal as it appears in a .npy header.
struct PyValue {
  enum Kind { Str, Ident, Int, Tuple, List } kind = Ident;
  std::string str;            // Str: the contents; Ident: the name.
  int64_t intValue = 0;       // Int.
  std::vector<PyValue> elems; // Tuple, List.
  StringRef source;           // The literal's text in the header.
};

/// A recursive-descent parser for the subset of Python literal syntax used in
/// .npy headers: a dict with string keys whose values are strings, ints,
/// identifiers (True/False/None), tuples and lists.
class HeaderParser {
public:
  explicit HeaderParser(StringRef text) : rest(text) {}

  /// Parses the dict into (key, value) pairs. On failure returns false and
  /// sets `error`.
  bool parseDict(std::vector<std::pair<std::string, PyValue>> &items) {
    skipSpace();
    if (!expect('{'))
      return false;
    while (true) {
      skipSpace();
      if (rest.consume_front("}"))
        break;
      PyValue key, value;
      if (!parseValue(key))
        return false;
      if (key.kind != PyValue::Str)
        return fail("dict key " + key.source.str() + " is not a string");
      skipSpace();
      if (!expect(':') || !parseValue(value))
        return false;
      items.emplace_back(key.str, std::move(value));
      skipSpace();
      if (!rest.consume_front(",") && !rest.starts_with("}"))
        return fail("expected ',' or '}'");
    }
    skipSpace();
    if (!rest.empty())
      return fail("unexpected text after the dict");
    return true;
  }

  std::string error;

private:
  static constexpr unsigned kMaxDepth = 16;
  StringRef rest;
  unsigned depth = 0;

  bool fail(const Twine &msg) {
    error = msg.str();
    return false;
  }
  void skipSpace() { rest = rest.ltrim(" \t\r\n\f\v"); }
  bool expect(char c) {
    if (rest.consume_front(StringRef(&c, 1)))
      return true;
    return fail(Twine("expected '") + Twine(c) + "'");
  }

  bool parseValue(PyValue &value) {
    skipSpace();
    const char *begin = rest.data();
    if (!parseValueImpl(value))
      return false;
    value.source = StringRef(begin, rest.data() - begin);
    return true;
  }

  bool parseValueImpl(PyValue &value) {
    if (rest.empty())
      return fail("unexpected end of header");
    char c = rest.front();
    if (c == '\'' || c == '"') {
      value.kind = PyValue::Str;
      rest = rest.drop_front();
      while (!rest.empty() && rest.front() != c) {
        if (rest.front() == '\\' && rest.size() > 1)
          rest = rest.drop_front();
        value.str += rest.front();
        rest = rest.drop_front();
      }
      return expect(c);
    }
    if (c == '(' || c == '[') {
      if (depth == kMaxDepth)
        return fail("literals nested too deeply");
      ++depth;
      value.kind = c == '(' ? PyValue::Tuple : PyValue::List;
      char close = c == '(' ? ')' : ']';
      rest = rest.drop_front();
      while (true) {
        skipSpace();
        if (rest.consume_front(StringRef(&close, 1))) {
          --depth;
          return true;
        }
        value.elems.emplace_back();
        if (!parseValue(value.elems.back()))
          return false;
        skipSpace();
        if (!rest.consume_front(",") && !rest.starts_with(StringRef(&close, 1)))
          return fail(Twine("expected ',' or '") + Twine(close) + "'");
      }
    }
    if (c == '-' || isDigit(c)) {
      value.kind = PyValue::Int;
      StringRef text =
          rest.take_front(1 + rest.drop_front().take_while(isDigit).size());
      if (text.getAsInteger(10, value.intValue))
        return fail("invalid integer '" + text + "'");
      rest = rest.drop_front(text.size());
      rest.consume_front("L"); // Python 2 long suffix.
      return true;
    }
    if (isAlpha(c) || c == '_') {
      value.kind = PyValue::Ident;
      value.str =
          rest.take_while([](char ch) { return isAlnum(ch) || ch == '_'; })
              .str();
      rest = rest.drop_front(value.str.size());
      return true;
    }
    return fail(Twine("unexpected character '") + Twine(c) + "'");
  }
};
} // namespace

//===----------------------------------------------------------------------===//
// Reading
//===----------------------------------------------------------------------===//

static std::string formatShape(ArrayRef<int64_t> shape) {
  std::string s = "(";
  for (size_t i = 0; i < shape.size(); ++i)
    s += (i ? ", " : "") + std::to_string(shape[i]);
  return s + (shape.size() == 1 ? ",)" : ")");
}

/// Interprets the parsed header dict, filling dtype and shape of `array`.
static Error interpretHeader(StringRef name,
                             ArrayRef<std::pair<std::string, PyValue>> items,
                             NpyArray &array, bool &bigEndian) {
  const PyValue *descr = nullptr, *fortran = nullptr, *shape = nullptr;
  for (const auto &[key, value] : items) {
    const PyValue **slot = key == "descr"           ? &descr
                           : key == "fortran_order" ? &fortran
                           : key == "shape"         ? &shape
                                                    : nullptr;
    if (!slot)
      return makeError(name, "unexpected key '" + key + "' in header");
    if (*slot)
      return makeError(name, "duplicate key '" + key + "' in header");
    *slot = &value;
  }
  for (auto [value, key] :
       {std::pair(descr, "descr"), std::pair(fortran, "fortran_order"),
        std::pair(shape, "shape")})
    if (!value)
      return makeError(name, Twine("header is missing key '") + key + "'");

  if (fortran->kind != PyValue::Ident ||
      (fortran->str != "True" && fortran->str != "False"))
    return makeError(name, "'fortran_order' must be True or False, found " +
                               fortran->source);
  if (fortran->str == "True")
    return makeError(name, "Fortran-ordered arrays are not supported; save "
                           "with np.ascontiguousarray");

  if (descr->kind == PyValue::List)
    return makeError(name, "unsupported structured dtype " + descr->source);
  if (descr->kind != PyValue::Str)
    return makeError(name, "unsupported dtype descr " + descr->source);
  std::optional<DType> dtype = parseDescr(descr->str, bigEndian);
  if (!dtype) {
    StringRef code = StringRef(descr->str).ltrim("<>|=");
    char kind = code.empty() ? 0 : code.front();
    StringRef what = kind == 'O'                       ? "object "
                     : StringRef("SUa").contains(kind) ? "string "
                     : kind == 'V'                     ? "void "
                     : kind == 'c'                     ? "complex "
                     : StringRef("Mm").contains(kind)  ? "datetime "
                                                       : "";
    return makeError(name, "unsupported " + what + "dtype '" + descr->str +
                               "'; expected a bool, integer or float dtype");
  }
  array.dtype = *dtype;

  if (shape->kind != PyValue::Tuple)
    return makeError(name, "'shape' must be a tuple, found " + shape->source);
  array.shape.clear();
  for (const PyValue &dim : shape->elems) {
    if (dim.kind != PyValue::Int)
      return makeError(name, "shape " + shape->source +
                                 " contains a non-integer dimension");
    if (dim.intValue < 0)
      return makeError(name, "negative dimension " + Twine(dim.intValue) +
                                 " in shape " + shape->source);
    array.shape.push_back(dim.intValue);
  }
  return Error::success();
}

Expected<NpyArray> quantopt::runtime::parseNpy(StringRef bytes,
                                               StringRef nameForErrors) {
  StringRef name = nameForErrors;
  if (!bytes.starts_with(kMagic))
    return makeError(name, "not a .npy file (bad magic string)");
  if (bytes.size() < kMagic.size() + 2)
    return makeError(name, "truncated .npy preamble");
  unsigned major = uint8_t(bytes[6]), minor = uint8_t(bytes[7]);
  if (major < 1 || major > 3 || minor != 0)
    return makeError(name, "unsupported .npy format version " + Twine(major) +
                               "." + Twine(minor));
  size_t lenSize = major == 1 ? 2 : 4;
  size_t headerStart = kMagic.size() + 2 + lenSize;
  if (bytes.size() < headerStart)
    return makeError(name, "truncated .npy preamble");
  const char *lenPtr = bytes.data() + kMagic.size() + 2;
  uint64_t headerLen = major == 1 ? support::endian::read16le(lenPtr)
                                  : support::endian::read32le(lenPtr);
  if (bytes.size() - headerStart < headerLen)
    return makeError(name, "truncated header: expected " + Twine(headerLen) +
                               " bytes, found " +
                               Twine(bytes.size() - headerStart));
  StringRef header = bytes.substr(headerStart, headerLen);

  HeaderParser parser(header);
  std::vector<std::pair<std::string, PyValue>> items;
  if (!parser.parseDict(items))
    return makeError(name, "malformed header: " + parser.error + " in \"" +
                               header.rtrim().take_front(256) + "\"");
  NpyArray array;
  bool bigEndian = false;
  if (Error err = interpretHeader(name, items, array, bigEndian))
    return std::move(err);

  unsigned elemSize = getDTypeSize(array.dtype);
  int64_t numBytes = elemSize;
  for (int64_t dim : array.shape)
    if (MulOverflow(numBytes, dim, numBytes))
      return makeError(name,
                       "shape " + formatShape(array.shape) + " is too large");
  StringRef data = bytes.drop_front(headerStart + headerLen);
  if (uint64_t(numBytes) != data.size())
    return makeError(name, "expected " + Twine(numBytes) +
                               " bytes of data, found " + Twine(data.size()));
  array.data.assign(data.bytes_begin(), data.bytes_end());
  if (bigEndian && elemSize > 1)
    for (size_t i = 0; i < array.data.size(); i += elemSize)
      std::reverse(array.data.begin() + i, array.data.begin() + i + elemSize);
  return std::move(array);
}

NonFiniteCount quantopt::runtime::countNonFinite(const NpyArray &array) {
  NonFiniteCount count;
  auto add = [&](double v) {
    if (std::isnan(v))
      ++count.nan;
    else if (std::isinf(v))
      ++(v > 0 ? count.posInf : count.negInf);
  };
  int64_t n = array.numElements();
  switch (array.dtype) {
  case DType::F32:
    for (int64_t i = 0; i < n; ++i)
      add(array.as<float>()[i]);
    break;
  case DType::F64:
    for (int64_t i = 0; i < n; ++i)
      add(array.as<double>()[i]);
    break;
  case DType::F16:
    // IEEE half: all exponent bits set is Inf (mantissa 0) or NaN.
    for (int64_t i = 0; i < n; ++i) {
      uint16_t bits = array.as<uint16_t>()[i];
      if ((bits & 0x7C00) == 0x7C00)
        add((bits & 0x03FF) ? std::nan("") : (bits & 0x8000) ? -INFINITY
                                                             : INFINITY);
    }
    break;
  default:
    break;
  }
  return count;
}

Expected<NpyArray> quantopt::runtime::readNpy(StringRef path) {
  ErrorOr<std::unique_ptr<MemoryBuffer>> buffer = MemoryBuffer::getFile(
      path, /*IsText=*/false, /*RequiresNullTerminator=*/false);
  if (!buffer)
    return makeError(path, "cannot read file: " + buffer.getError().message());
  return parseNpy((*buffer)->getBuffer(), path);
}

//===----------------------------------------------------------------------===//
// Writing
//===----------------------------------------------------------------------===//

/// Returns a description of what makes `array` unserializable, or "".
static std::string checkArray(const NpyArray &array) {
  int64_t numBytes = getDTypeSize(array.dtype);
  for (int64_t dim : array.shape) {
    if (dim < 0)
      return "negative dimension " + std::to_string(dim) + " in shape " +
             formatShape(array.shape);
    if (MulOverflow(numBytes, dim, numBytes))
      return "shape " + formatShape(array.shape) + " is too large";
  }
  if (uint64_t(numBytes) != array.data.size())
    return "expected " + std::to_string(numBytes) + " bytes of data, found " +
           std::to_string(array.data.size());
  return "";
}

std::string quantopt::runtime::serializeNpy(const NpyArray &array) {
  assert(checkArray(array).empty() && "inconsistent NpyArray");
  std::string dict =
      "{'descr': '" + getDescr(array.dtype) +
      "', 'fortran_order': False, 'shape': " + formatShape(array.shape) + ", }";
  // The header length counts the padding and the terminating newline.
  auto paddedLen = [&](size_t preamble) {
    return alignTo(preamble + dict.size() + 1, kAlign) - preamble;
  };
  unsigned major = 1;
  uint64_t headerLen = paddedLen(kMagic.size() + 4);
  if (headerLen > UINT16_MAX) {
    major = 2;
    headerLen = paddedLen(kMagic.size() + 6);
  }

  std::string out(kMagic);
  out += char(major);
  out += char(0);
  char lenBytes[4];
  support::endian::write32le(lenBytes, uint32_t(headerLen));
  out.append(lenBytes, major == 1 ? 2 : 4);
  out += dict;
  out.append(headerLen - dict.size() - 1, ' ');
  out += '\n';
  assert(out.size() % kAlign == 0 && "misaligned header");
  out.append(array.data.begin(), array.data.end());
  return out;
}

Error quantopt::runtime::writeNpy(StringRef path, const NpyArray &array) {
  std::string problem = checkArray(array);
  if (!problem.empty())
    return makeError(path, "cannot write array: " + problem);
  // In one step: a temporary file renamed over `path` (a symlink's target;
  // an existing file's mode kept).
  if (Error err = quantopt::writeOutputFile(path, serializeNpy(array)))
    return makeError(path, toString(std::move(err)));
  return Error::success();
}

std::string quantopt::runtime::getUniqueNpyName(llvm::StringRef id,
                                                std::vector<std::string> &used,
                                                llvm::StringRef suffix) {
  std::string base = id.str();
  for (char &ch : base)
    if (!llvm::isAlnum(ch) && ch != '.' && ch != '_' && ch != '#' && ch != '-')
      ch = '_';
  if (base.empty() || base[0] == '.')
    base.insert(base.begin(), '_');
  std::string file = base + suffix.str() + ".npy";
  for (unsigned n = 1; llvm::is_contained(used, file); ++n)
    file = base + "." + std::to_string(n) + suffix.str() + ".npy";
  used.push_back(file);
  return file;
}
