//===- NpyTest.cpp - Tests for the .npy reader and writer -----------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// The fixtures in data/ are written by data/make_npy.py; the expected values
// below are hard-coded copies of what that script writes.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Runtime/Npy.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"

#include "gtest/gtest.h"

#include <algorithm>
#include <cstring>
#include <iterator>
#include <limits>

#ifndef QUANTOPT_NPY_TEST_DATA_DIR
#error "QUANTOPT_NPY_TEST_DATA_DIR must name the directory of the fixtures"
#endif

using namespace llvm;
using namespace quantopt::runtime;

namespace {

const DType kAllDTypes[] = {DType::F32, DType::F64, DType::F16, DType::I8,
                            DType::U8,  DType::I16, DType::U16, DType::I32,
                            DType::U32, DType::I64, DType::U64, DType::Bool};

std::string dataPath(StringRef name) {
  SmallString<128> path(QUANTOPT_NPY_TEST_DATA_DIR);
  sys::path::append(path, name);
  return std::string(path);
}

/// Returns the error message of `result`, or "" on success.
std::string errorOf(Expected<NpyArray> result) {
  return result ? std::string() : toString(result.takeError());
}

/// Builds .npy bytes around an arbitrary header text (no padding).
std::string makeNpy(StringRef header, StringRef data, unsigned major = 1) {
  std::string out("\x93NUMPY");
  out += char(major);
  out += char(0);
  uint32_t len = header.size();
  for (unsigned i = 0, e = major == 1 ? 2 : 4; i < e; ++i)
    out += char((len >> (8 * i)) & 0xff);
  return out + header.str() + data.str();
}

std::string f32Bytes(std::initializer_list<float> values) {
  std::string s(values.size() * 4, '\0');
  std::memcpy(s.data(), values.begin(), s.size());
  return s;
}

template <typename T> std::vector<T> values(const NpyArray &array) {
  return std::vector<T>(array.as<T>(), array.as<T>() + array.numElements());
}

/// Reads `path` into `var`, failing the test with the error message on failure.
#define READ_NPY(var, path)                                                    \
  Expected<NpyArray> var##OrErr = readNpy(path);                               \
  ASSERT_TRUE(bool(var##OrErr)) << toString(var##OrErr.takeError());           \
  const NpyArray &var = *var##OrErr;

/// Expects that `result` failed with a message starting with `name` and
/// containing `phrase`.
#define EXPECT_NPY_ERROR(result, name, phrase)                                 \
  do {                                                                         \
    std::string msg = errorOf(result);                                         \
    EXPECT_TRUE(StringRef(msg).starts_with(std::string(name) + ": ")) << msg;  \
    EXPECT_NE(msg.find(phrase), std::string::npos) << msg;                     \
  } while (false)

//===----------------------------------------------------------------------===//
// DType
//===----------------------------------------------------------------------===//

TEST(NpyTest, DTypeNamesAndSizes) {
  const char *names[] = {"float32", "float64", "float16", "int8",
                         "uint8",   "int16",   "uint16",  "int32",
                         "uint32",  "int64",   "uint64",  "bool"};
  unsigned sizes[] = {4, 8, 2, 1, 1, 2, 2, 4, 4, 8, 8, 1};
  for (unsigned i = 0; i < std::size(kAllDTypes); ++i) {
    EXPECT_EQ(getDTypeName(kAllDTypes[i]), names[i]);
    EXPECT_EQ(getDTypeSize(kAllDTypes[i]), sizes[i]);
  }
}

TEST(NpyTest, NumElements) {
  NpyArray a;
  EXPECT_EQ(a.numElements(), 1); // Scalar.
  a.shape = {2, 3, 4};
  EXPECT_EQ(a.numElements(), 24);
  a.shape = {5, 0};
  EXPECT_EQ(a.numElements(), 0);
}

//===----------------------------------------------------------------------===//
// Round trips
//===----------------------------------------------------------------------===//

TEST(NpyTest, RoundTripEveryDType) {
  const char *descrs[] = {"'<f4'", "'<f8'", "'<f2'", "'|i1'", "'|u1'", "'<i2'",
                          "'<u2'", "'<i4'", "'<u4'", "'<i8'", "'<u8'", "'|b1'"};
  for (unsigned i = 0; i < std::size(kAllDTypes); ++i) {
    SCOPED_TRACE(getDTypeName(kAllDTypes[i]).str());
    NpyArray a;
    a.dtype = kAllDTypes[i];
    a.shape = {2, 3};
    for (int64_t j = 0, e = 6 * getDTypeSize(a.dtype); j < e; ++j)
      a.data.push_back(a.dtype == DType::Bool ? j % 2 : uint8_t(j * 37 + 1));

    std::string bytes = serializeNpy(a);
    EXPECT_EQ(bytes[6], 1) << "major version";
    EXPECT_EQ((bytes.size() - a.data.size()) % 64, 0u);
    EXPECT_EQ(bytes[bytes.size() - a.data.size() - 1], '\n');
    EXPECT_NE(bytes.find(std::string("'descr': ") + descrs[i]),
              std::string::npos);
    EXPECT_NE(bytes.find("'shape': (2, 3)"), std::string::npos);

    Expected<NpyArray> b = parseNpy(bytes, "mem");
    ASSERT_TRUE(bool(b)) << toString(b.takeError());
    EXPECT_EQ(b->dtype, a.dtype);
    EXPECT_EQ(b->shape, a.shape);
    EXPECT_EQ(b->data, a.data);
  }
}

TEST(NpyTest, RoundTripShapes) {
  std::vector<std::vector<int64_t>> shapes = {
      {}, {5}, {0, 3}, {1, 2, 1, 3}, {7, 1}};
  for (const std::vector<int64_t> &shape : shapes) {
    NpyArray a;
    a.dtype = DType::I16;
    a.shape = shape;
    for (int64_t j = 0; j < a.numElements(); ++j) {
      a.data.push_back(uint8_t(j));
      a.data.push_back(uint8_t(0x80 | j));
    }
    Expected<NpyArray> b = parseNpy(serializeNpy(a), "mem");
    ASSERT_TRUE(bool(b)) << toString(b.takeError());
    EXPECT_EQ(b->shape, shape);
    EXPECT_EQ(b->data, a.data);
  }
}

TEST(NpyTest, HugeHeaderUsesVersion2) {
  NpyArray a;
  a.dtype = DType::F32;
  a.shape.assign(30000, 1); // "(1, 1, ...)" does not fit in 65535 bytes.
  a.data = {0, 0, 0x80, 0x3f};
  std::string bytes = serializeNpy(a);
  EXPECT_EQ(bytes[6], 2);
  EXPECT_EQ((bytes.size() - 4) % 64, 0u);
  Expected<NpyArray> b = parseNpy(bytes, "mem");
  ASSERT_TRUE(bool(b)) << toString(b.takeError());
  EXPECT_EQ(b->shape, a.shape);
  EXPECT_EQ(*b->as<float>(), 1.0f);
}

TEST(NpyTest, MutableAccess) {
  NpyArray a;
  a.dtype = DType::I32;
  a.shape = {2};
  a.data.resize(8);
  a.as<int32_t>()[1] = -7;
  Expected<NpyArray> b = parseNpy(serializeNpy(a), "mem");
  ASSERT_TRUE(bool(b)) << toString(b.takeError());
  EXPECT_EQ(values<int32_t>(*b), (std::vector<int32_t>{0, -7}));
}

//===----------------------------------------------------------------------===//
// Files written by numpy
//===----------------------------------------------------------------------===//

TEST(NpyTest, ReadF32) {
  READ_NPY(a, dataPath("f32_2x3.npy"));
  EXPECT_EQ(a.dtype, DType::F32);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3}));
  EXPECT_EQ(values<float>(a),
            (std::vector<float>{-2.0f, -0.5f, 1.0f, 2.5f, 4.0f, 5.5f}));
}

TEST(NpyTest, ReadI8) {
  READ_NPY(a, dataPath("i8_1d.npy"));
  EXPECT_EQ(a.dtype, DType::I8);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{5}));
  EXPECT_EQ(values<int8_t>(a), (std::vector<int8_t>{-128, -1, 0, 1, 127}));
}

TEST(NpyTest, ReadU8Scalar) {
  READ_NPY(a, dataPath("u8_scalar.npy"));
  EXPECT_EQ(a.dtype, DType::U8);
  EXPECT_TRUE(a.shape.empty());
  EXPECT_EQ(a.numElements(), 1);
  ASSERT_EQ(a.data.size(), 1u);
  EXPECT_EQ(*a.as<uint8_t>(), 200);
}

TEST(NpyTest, ReadF16) {
  READ_NPY(a, dataPath("f16.npy"));
  EXPECT_EQ(a.dtype, DType::F16);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{4}));
  // 1.0, -2.0, 0.5, 65504.0 as IEEE binary16 bit patterns.
  EXPECT_EQ(values<uint16_t>(a),
            (std::vector<uint16_t>{0x3C00, 0xC000, 0x3800, 0x7BFF}));
}

TEST(NpyTest, ReadI32ThreeDims) {
  READ_NPY(a, dataPath("i32_3d.npy"));
  EXPECT_EQ(a.dtype, DType::I32);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 3, 4}));
  std::vector<int32_t> expected;
  for (int32_t i = 0; i < 24; ++i)
    expected.push_back(i - 12);
  EXPECT_EQ(values<int32_t>(a), expected);
}

TEST(NpyTest, ReadBool) {
  READ_NPY(a, dataPath("bool.npy"));
  EXPECT_EQ(a.dtype, DType::Bool);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(a.data, (std::vector<uint8_t>{1, 0, 1}));
}

TEST(NpyTest, ReadI64) {
  READ_NPY(a, dataPath("i64.npy"));
  EXPECT_EQ(a.dtype, DType::I64);
  EXPECT_EQ(values<int64_t>(a),
            (std::vector<int64_t>{std::numeric_limits<int64_t>::min(), -1,
                                  std::numeric_limits<int64_t>::max()}));
}

TEST(NpyTest, ReadBigEndianIsByteSwapped) {
  READ_NPY(a, dataPath("f32_big_endian.npy"));
  EXPECT_EQ(a.dtype, DType::F32);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{3}));
  EXPECT_EQ(values<float>(a), (std::vector<float>{1.0f, -2.5f, 3.25f}));
}

TEST(NpyTest, ReadVersion2) {
  READ_NPY(a, dataPath("f64_v2.npy"));
  EXPECT_EQ(a.dtype, DType::F64);
  EXPECT_EQ(a.shape, (std::vector<int64_t>{2, 2}));
  EXPECT_EQ(values<double>(a), (std::vector<double>{1.5, -0.25, 1e10, 3.0}));
}

TEST(NpyTest, SerializeMatchesNumpyBytes) {
  for (const char *name : {"f32_2x3.npy", "i8_1d.npy", "u8_scalar.npy",
                           "f16.npy", "i32_3d.npy", "bool.npy", "i64.npy"}) {
    SCOPED_TRACE(name);
    READ_NPY(a, dataPath(name));
    ErrorOr<std::unique_ptr<MemoryBuffer>> file =
        MemoryBuffer::getFile(dataPath(name));
    ASSERT_TRUE(bool(file));
    EXPECT_EQ(serializeNpy(a), (*file)->getBuffer().str());
  }
}

TEST(NpyTest, RejectFortranOrder) {
  std::string path = dataPath("fortran.npy");
  EXPECT_NPY_ERROR(readNpy(path), path,
                   "Fortran-ordered arrays are not supported; save with "
                   "np.ascontiguousarray");
}

TEST(NpyTest, RejectTruncated) {
  std::string path = dataPath("truncated.npy");
  EXPECT_NPY_ERROR(readNpy(path), path, "expected 24 bytes of data, found 19");
}

TEST(NpyTest, RejectBadMagic) {
  std::string path = dataPath("bad_magic.npy");
  EXPECT_NPY_ERROR(readNpy(path), path, "bad magic");
}

TEST(NpyTest, RejectMissingFile) {
  std::string path = dataPath("does_not_exist.npy");
  EXPECT_NPY_ERROR(readNpy(path), path, "cannot read file");
}

//===----------------------------------------------------------------------===//
// Header parsing
//===----------------------------------------------------------------------===//

TEST(NpyTest, HeaderSyntaxVariants) {
  std::string data = f32Bytes({1, 2, 3, 4, 5, 6});
  const char *headers[] = {
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }\n",
      "{'shape': (2, 3), 'descr': '<f4', 'fortran_order': False}",
      "{\"fortran_order\":False,\"shape\":(2,3),\"descr\":\"<f4\"}   \n",
      ("  {\t'descr' : '<f4' ,\n 'shape' : ( 2 , 3 , ) , "
       "'fortran_order' : False , }  \n"),
      "{'descr': '<f4', 'fortran_order': False, 'shape': (2L, 3L)}\n",
  };
  for (const char *header : headers) {
    SCOPED_TRACE(header);
    Expected<NpyArray> a = parseNpy(makeNpy(header, data), "mem");
    ASSERT_TRUE(bool(a)) << toString(a.takeError());
    EXPECT_EQ(a->dtype, DType::F32);
    EXPECT_EQ(a->shape, (std::vector<int64_t>{2, 3}));
    EXPECT_EQ(values<float>(*a), (std::vector<float>{1, 2, 3, 4, 5, 6}));
  }
}

TEST(NpyTest, HeaderShapes) {
  auto parseShape = [](StringRef shape, StringRef data) {
    std::string header =
        "{'descr': '|u1', 'fortran_order': False, 'shape': " + shape.str() +
        "}\n";
    return parseNpy(makeNpy(header, data), "mem");
  };
  Expected<NpyArray> scalar = parseShape("()", "x");
  ASSERT_TRUE(bool(scalar)) << toString(scalar.takeError());
  EXPECT_TRUE(scalar->shape.empty());
  Expected<NpyArray> vec = parseShape("(3,)", "abc");
  ASSERT_TRUE(bool(vec)) << toString(vec.takeError());
  EXPECT_EQ(vec->shape, (std::vector<int64_t>{3}));
  Expected<NpyArray> empty = parseShape("(4, 0)", "");
  ASSERT_TRUE(bool(empty)) << toString(empty.takeError());
  EXPECT_EQ(empty->shape, (std::vector<int64_t>{4, 0}));
}

TEST(NpyTest, Versions2And3) {
  std::string header =
      "{'descr': '<f4', 'fortran_order': False, 'shape': (1,), }\n";
  for (unsigned major : {2u, 3u}) {
    Expected<NpyArray> a = parseNpy(makeNpy(header, f32Bytes({7}), major), "m");
    ASSERT_TRUE(bool(a)) << toString(a.takeError());
    EXPECT_EQ(values<float>(*a), (std::vector<float>{7}));
  }
  EXPECT_NPY_ERROR(parseNpy(makeNpy(header, f32Bytes({7}), 4), "m"), "m",
                   "unsupported .npy format version 4.0");
}

TEST(NpyTest, RejectBadDTypes) {
  struct Case {
    const char *descr;
    const char *phrase;
  } cases[] = {
      {"'|O'", "unsupported object dtype '|O'"},
      {"'<U5'", "unsupported string dtype '<U5'"},
      {"'|S3'", "unsupported string dtype '|S3'"},
      {"'<c8'", "unsupported complex dtype '<c8'"},
      {"'<f3'", "unsupported dtype '<f3'"},
      {"'bogus'", "unsupported dtype 'bogus'"},
      {"[('a', '<f4'), ('b', '<i4')]",
       "unsupported structured dtype [('a', '<f4'), ('b', '<i4')]"},
  };
  for (const Case &c : cases) {
    std::string header = std::string("{'descr': ") + c.descr +
                         ", 'fortran_order': False, 'shape': (1,), }\n";
    EXPECT_NPY_ERROR(parseNpy(makeNpy(header, "12345678"), "x.npy"), "x.npy",
                     c.phrase);
  }
}

TEST(NpyTest, RejectBadHeaders) {
  std::string data = f32Bytes({1, 2, 3, 4, 5, 6});
  struct Case {
    const char *header;
    const char *phrase;
  } cases[] = {
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (-2, -3), }",
       "negative dimension -2 in shape (-2, -3)"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (2, 4), }",
       "expected 32 bytes of data, found 24"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (5,), }",
       "expected 20 bytes of data, found 24"},
      {"{'descr': '<f4', 'fortran_order': False}", "missing key 'shape'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (6,), 'x': 1}",
       "unexpected key 'x'"},
      {"{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, "
       "'shape': (6,)}",
       "duplicate key 'descr'"},
      {"{'descr': '<f4', 'fortran_order': 0, 'shape': (6,)}",
       "'fortran_order' must be True or False"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': 6}",
       "'shape' must be a tuple"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (6,)",
       "malformed header"},
      {"{'descr': '<f4' 'fortran_order': False, 'shape': (6,)}",
       "malformed header"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (6,)} x",
       "malformed header"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': ((((((((((((((((("
       "(((((((((((((((((((((((()))))))))))))))))))))))))))))))))))))))))}",
       "nested too deeply"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (9999999999, "
       "9999999999, 9999999999)}",
       "is too large"},
  };
  for (const Case &c : cases)
    EXPECT_NPY_ERROR(parseNpy(makeNpy(c.header, data), "y.npy"), "y.npy",
                     c.phrase);
}

TEST(NpyTest, RejectTruncatedPreambleAndHeader) {
  std::string good =
      makeNpy("{'descr': '|u1', 'fortran_order': False, 'shape': ()}\n", "x");
  EXPECT_NPY_ERROR(parseNpy(StringRef(good).take_front(4), "z"), "z",
                   "bad magic");
  EXPECT_NPY_ERROR(parseNpy(StringRef(good).take_front(9), "z"), "z",
                   "truncated .npy preamble");
  EXPECT_NPY_ERROR(parseNpy(StringRef(good).take_front(30), "z"), "z",
                   "truncated header");
}

//===----------------------------------------------------------------------===//
// Writing files
//===----------------------------------------------------------------------===//

class NpyWriteTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(sys::fs::createUniqueDirectory("npytest", dir));
  }
  void TearDown() override { sys::fs::remove_directories(dir); }

  std::string file(StringRef name) {
    SmallString<128> path(dir);
    sys::path::append(path, name);
    return std::string(path);
  }
  std::vector<std::string> listDir() {
    std::vector<std::string> names;
    std::error_code ec;
    for (sys::fs::directory_iterator it(dir, ec), end; it != end && !ec;
         it.increment(ec))
      names.push_back(sys::path::filename(it->path()).str());
    std::sort(names.begin(), names.end());
    return names;
  }

  SmallString<128> dir;
};

TEST_F(NpyWriteTest, WriteAndReadBack) {
  NpyArray a;
  a.dtype = DType::U16;
  a.shape = {3};
  a.data = {1, 0, 2, 0, 0xff, 0xff};
  std::string path = file("out.npy");
  ASSERT_FALSE(bool(writeNpy(path, a)));
  // Overwriting an existing file works too.
  a.data[0] = 9;
  ASSERT_FALSE(bool(writeNpy(path, a)));
  EXPECT_EQ(listDir(), (std::vector<std::string>{"out.npy"}));
  READ_NPY(b, path);
  EXPECT_EQ(b.dtype, DType::U16);
  EXPECT_EQ(b.shape, a.shape);
  EXPECT_EQ(values<uint16_t>(b), (std::vector<uint16_t>{9, 2, 0xffff}));
}

TEST_F(NpyWriteTest, InconsistentArrayLeavesNoFile) {
  NpyArray a;
  a.dtype = DType::F32;
  a.shape = {2};
  a.data = {1, 2, 3};
  std::string path = file("bad.npy");
  std::string msg = toString(writeNpy(path, a));
  EXPECT_TRUE(StringRef(msg).starts_with(path + ": ")) << msg;
  EXPECT_NE(msg.find("expected 8 bytes of data, found 3"), std::string::npos)
      << msg;
  a.shape = {-1};
  msg = toString(writeNpy(path, a));
  EXPECT_NE(msg.find("negative dimension -1"), std::string::npos) << msg;
  EXPECT_TRUE(listDir().empty());
}

TEST_F(NpyWriteTest, MissingDirectoryFails) {
  NpyArray a;
  a.dtype = DType::I8;
  a.data = {5};
  std::string path = file("no/such/dir/x.npy");
  std::string msg = toString(writeNpy(path, a));
  EXPECT_TRUE(StringRef(msg).starts_with(path + ": ")) << msg;
  EXPECT_TRUE(listDir().empty());
}

} // namespace

// quant-run --non-finite counts with countNonFinite: hand-made arrays of
// each float dtype (half: exponent bits all set is Inf with a zero
// mantissa, else NaN), none for integers.
TEST(NpyTest, CountNonFinite) {
  auto make = [](DType dtype, std::vector<int64_t> shape, const void *bytes,
                 size_t size) {
    NpyArray a;
    a.dtype = dtype;
    a.shape = std::move(shape);
    a.data.assign(static_cast<const uint8_t *>(bytes),
                  static_cast<const uint8_t *>(bytes) + size);
    return a;
  };
  float f[] = {1.0f, NAN, INFINITY, -INFINITY, -0.0f, NAN, 3e38f};
  NonFiniteCount c = countNonFinite(make(DType::F32, {7}, f, sizeof f));
  EXPECT_EQ(c.nan, 2);
  EXPECT_EQ(c.posInf, 1);
  EXPECT_EQ(c.negInf, 1);
  EXPECT_EQ(c.total(), 4);
  double d[] = {-INFINITY, -INFINITY, 1e308};
  c = countNonFinite(make(DType::F64, {3}, d, sizeof d));
  EXPECT_EQ(c.negInf, 2);
  EXPECT_EQ(c.total(), 2);
  // +Inf, -Inf, a quiet NaN, a signalling NaN, 1.0, 65504 (the largest).
  uint16_t h[] = {0x7C00, 0xFC00, 0x7E00, 0x7C01, 0x3C00, 0x7BFF};
  c = countNonFinite(make(DType::F16, {2, 3}, h, sizeof h));
  EXPECT_EQ(c.posInf, 1);
  EXPECT_EQ(c.negInf, 1);
  EXPECT_EQ(c.nan, 2);
  int32_t i[] = {0x7F800000, -1};
  EXPECT_EQ(countNonFinite(make(DType::I32, {2}, i, sizeof i)).total(), 0);
}
