//===- NumericsMxTest.cpp - Tests for the OCP MX block formats ------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// Hand-derived cases for the MX element formats and their shared scales,
// and for the integer factor that lets MXFP4/MXFP6 weights run on the i8
// kernels. The bit-for-bit comparison with a NumPy transcription of the
// specification is test/Quantize/mx-weights.test.
//
//===----------------------------------------------------------------------===//

#include "NumericsTestUtil.h"

using namespace numtest;

// OCP MX v1.0, hand-derived: the six element formats (f6: E2M3 bias 1,
// largest 1.875 * 2^2 = 7.5, smallest 2^-3; E3M2 bias 3, largest 1.75 *
// 2^4 = 28, smallest 2^-4), emax_elem, the shared exponent floor(log2
// amax) - emax_elem with its E8M0 limits, and the solver's mx scheme.
TEST(NumericsMx, F6Formats) {
  EXPECT_EQ(getMaxFinite(StorageKind::F6E2M3FN), 7.5);
  EXPECT_EQ(getMaxFinite(StorageKind::F6E3M2FN), 28.0);
  EXPECT_EQ(decodeFloatBits(0x01, StorageKind::F6E2M3FN), 0.125f);
  EXPECT_EQ(decodeFloatBits(0x01, StorageKind::F6E3M2FN), 0.0625f);
  EXPECT_EQ(decodeFloatBits(0x1F, StorageKind::F6E2M3FN), 7.5f);
  EXPECT_EQ(decodeFloatBits(0x3F, StorageKind::F6E3M2FN), -28.0f);
  // Saturation (no Inf, no NaN: NaN stores +0), ties to even: 1.0625 is
  // halfway between E2M3's 1 and 1.125 and rounds to 1 (code 0x08).
  EXPECT_EQ(encodeFloatSaturating(100.0f, StorageKind::F6E2M3FN), 0x1F);
  EXPECT_EQ(encodeFloatSaturating(-100.0f, StorageKind::F6E3M2FN), 0x3F);
  EXPECT_EQ(encodeFloatSaturating(1.0625f, StorageKind::F6E2M3FN), 0x08);
  EXPECT_EQ(encodeFloatSaturating(1.1875f, StorageKind::F6E2M3FN), 0x0A);
  EXPECT_EQ(getNaNBits(StorageKind::F6E2M3FN), 0x0);
  MiniFloatFormat e3m2 = getMiniFloatFormat(StorageKind::F6E3M2FN);
  EXPECT_EQ(e3m2.exponentBits, 3u);
  EXPECT_EQ(e3m2.mantissaBits, 2u);
  EXPECT_EQ(e3m2.minExponent(), -2);
  // Every code decodes to what encoding it gives back (-0 aside).
  for (StorageKind kind : {StorageKind::F6E2M3FN, StorageKind::F6E3M2FN})
    for (unsigned code = 0; code < 64; ++code) {
      float v = decodeFloatBits(static_cast<uint8_t>(code), kind);
      EXPECT_EQ(encodeFloatSaturating(v, kind), code) << code;
    }
}

TEST(NumericsMx, SharedExponent) {
  EXPECT_EQ(getMxElementMaxExponent(StorageKind::F8E4M3FN), 8); // 448
  EXPECT_EQ(getMxElementMaxExponent(StorageKind::F8E5M2), 15);  // 57344
  EXPECT_EQ(getMxElementMaxExponent(StorageKind::F6E2M3FN), 2); // 7.5
  EXPECT_EQ(getMxElementMaxExponent(StorageKind::F6E3M2FN), 4); // 28
  EXPECT_EQ(getMxElementMaxExponent(StorageKind::F4E2M1FN), 2); // 6
  EXPECT_EQ(getMxElementMaxExponent(StorageKind::I8), 0);       // 127/64
  EXPECT_FALSE(isMxElementKind(StorageKind::I4));
  EXPECT_FALSE(isMxElementKind(StorageKind::U8));
  // floor(log2 6) - 2 = 0; floor(log2 7.99) - 2 = 0 (7.99 / 1 saturates
  // to 6: the spec's choice); floor(log2 1) - 2 = -2.
  EXPECT_EQ(getMxSharedExponent(6.0f, StorageKind::F4E2M1FN), 0);
  EXPECT_EQ(getMxSharedExponent(7.99f, StorageKind::F4E2M1FN), 0);
  EXPECT_EQ(getMxSharedExponent(1.0f, StorageKind::F4E2M1FN), -2);
  EXPECT_EQ(getMxSharedExponent(448.0f, StorageKind::F8E4M3FN), 0);
  EXPECT_EQ(getMxSharedExponent(0.75f, StorageKind::I8), -1);
  // E8M0's limits: 2^-127 for zero and tiny blocks (a subnormal amax
  // included), NaN (nullopt) for NaN, Inf or an exponent past 127.
  EXPECT_EQ(getMxSharedExponent(0.0f, StorageKind::F8E4M3FN), -127);
  EXPECT_EQ(getMxSharedExponent(std::ldexp(1.0f, -149), StorageKind::F4E2M1FN),
            -127);
  EXPECT_EQ(getMxSharedExponent(std::ldexp(1.0f, -120), StorageKind::F4E2M1FN),
            -122);
  EXPECT_EQ(getMxSharedExponent(std::ldexp(1.0f, 127), StorageKind::I8), 127);
  EXPECT_EQ(getMxSharedExponent(std::ldexp(1.0f, 127), StorageKind::F4E2M1FN),
            125);
  EXPECT_EQ(getMxSharedExponent(std::numeric_limits<float>::infinity(),
                                StorageKind::F8E4M3FN),
            std::nullopt);
  EXPECT_EQ(getMxSharedExponent(std::nanf(""), StorageKind::F8E5M2),
            std::nullopt);
  EXPECT_EQ(getMxScale(-2, StorageKind::F4E2M1FN), 0.25f);
  EXPECT_EQ(getMxScale(-127, StorageKind::I8), std::ldexp(1.0f, -133));
}

TEST(NumericsMx, Solver) {
  SolverOptions options;
  options.scheme = Scheme::Mx;
  options.storage = StorageKind::F4E2M1FN;
  // amax 3.1: floor(log2) = 1, e = -1, X = 0.5; 3.1 / 0.5 = 6.2 -> 6;
  // -1.3 / 0.5 = -2.6 -> -3 (E2M1 has 2 and 3; 2.6 is nearer 3).
  auto p = solveFromRange(-1.3, 3.1, options);
  ASSERT_TRUE(static_cast<bool>(p));
  EXPECT_EQ(p->scale, 0.5f);
  EXPECT_EQ(p->zeroPoint, 0);
  EXPECT_EQ(decodeFloatBits(quantizeToFloat(3.1f, p->scale, options.storage),
                            options.storage),
            6.0f);
  EXPECT_EQ(decodeFloatBits(quantizeToFloat(-1.3f, p->scale, options.storage),
                            options.storage),
            -3.0f);
  EXPECT_EQ(getSchemeName(Scheme::Mx), "mx");
  EXPECT_EQ(parseSchemeName("mx"), Scheme::Mx);
  // MXINT8: amax 0.75 -> e = -1, the i8 step 2^-7; 0.75 -> 96.
  options.storage = StorageKind::I8;
  p = solveFromRange(-0.75, 0.5, options);
  ASSERT_TRUE(static_cast<bool>(p));
  EXPECT_EQ(p->scale, std::ldexp(1.0f, -7));
  EXPECT_EQ(quantizeAffine(0.75f, p->scale, 0, {-127, 127}), 96);
  // Other element kinds and ranges past E8M0 are refused.
  options.storage = StorageKind::I4;
  auto refused = solveFromRange(-1, 1, options);
  EXPECT_FALSE(static_cast<bool>(refused));
  if (!refused)
    EXPECT_NE(llvm::toString(refused.takeError()).find("mx scheme"),
              std::string::npos);
  options.storage = StorageKind::I8;
  auto wide = solveFromRange(0, 3e38, options);
  EXPECT_TRUE(static_cast<bool>(wide));
  if (wide)
    EXPECT_EQ(wide->scale, std::ldexp(1.0f, 121));
}

// f4E2M1FN's smallest subnormal is 0.5 and its largest value 6: times 2 the
// codes are 0, 1, 2, 3, 4, 6, 8, 12; f6E2M3FN's are 0.125 and 7.5: times 8
// up to 60; f6E3M2FN's are 0.0625 and 28: times 16 that is 448, past i8,
// as are the f8 kinds. Every code of the two that fit gives an integer.
TEST(NumericsMx, Int8CodeFactor) {
  EXPECT_EQ(getInt8CodeFactor(StorageKind::F4E2M1FN), 2);
  EXPECT_EQ(getInt8CodeFactor(StorageKind::F6E2M3FN), 8);
  EXPECT_EQ(getInt8CodeFactor(StorageKind::F6E3M2FN), std::nullopt);
  EXPECT_EQ(getInt8CodeFactor(StorageKind::F8E4M3FN), std::nullopt);
  EXPECT_EQ(getInt8CodeFactor(StorageKind::F8E5M2), std::nullopt);
  EXPECT_EQ(getInt8CodeFactor(StorageKind::I8), std::nullopt);
  std::vector<float> e2m1;
  for (unsigned code = 0; code < 8; ++code)
    e2m1.push_back(decodeFloatBits(code, StorageKind::F4E2M1FN) * 2);
  EXPECT_EQ(e2m1, (std::vector<float>{0, 1, 2, 3, 4, 6, 8, 12}));
  EXPECT_EQ(decodeFloatBits(0xF, StorageKind::F4E2M1FN) * 2, -12.0f);
  for (unsigned code = 0; code < 64; ++code) {
    float v = decodeFloatBits(code, StorageKind::F6E2M3FN) * 8;
    EXPECT_EQ(v, std::trunc(v)) << code;
    EXPECT_LE(std::fabs(v), 60.0f) << code;
  }
  EXPECT_EQ(decodeFloatBits(0x1F, StorageKind::F6E2M3FN) * 8, 60.0f);
}

// getInt8Code is that integer per code, hand-derived for every E2M1 code
// (sign bit 3) and a few E2M3 codes (sign bit 5; 0x09 = 1.125 -> 9, 0x1F =
// 7.5 -> 60, 0x21 = -0.125 -> -1); getInt8CodeRange the largest of them.
TEST(NumericsMx, Int8Code) {
  const int8_t e2m1[16] = {0, 1,  2,  3,  4,  6,  8,  12,
                           0, -1, -2, -3, -4, -6, -8, -12};
  for (unsigned code = 0; code < 16; ++code)
    EXPECT_EQ(getInt8Code(code, StorageKind::F4E2M1FN), e2m1[code]) << code;
  EXPECT_EQ(getInt8CodeTable(StorageKind::F4E2M1FN),
            std::vector<int8_t>(std::begin(e2m1), std::end(e2m1)));
  std::vector<int8_t> e2m3 = getInt8CodeTable(StorageKind::F6E2M3FN);
  ASSERT_EQ(e2m3.size(), 64u);
  EXPECT_EQ(e2m3[0x09], 9);
  EXPECT_EQ(e2m3[0x1F], 60);
  EXPECT_EQ(e2m3[0x21], -1);
  EXPECT_EQ(e2m3[0x3F], -60);
  EXPECT_EQ(getInt8Code(0x09, StorageKind::F6E2M3FN), 9);
  EXPECT_EQ(getInt8Code(0x1F, StorageKind::F6E2M3FN), 60);
  EXPECT_EQ(getInt8Code(0x21, StorageKind::F6E2M3FN), -1);
  EXPECT_EQ(getInt8Code(0x3F, StorageKind::F6E2M3FN), -60);
  IntRange fp4 = getInt8CodeRange(StorageKind::F4E2M1FN);
  EXPECT_EQ(fp4.qmin, -12);
  EXPECT_EQ(fp4.qmax, 12);
  IntRange fp6 = getInt8CodeRange(StorageKind::F6E2M3FN);
  EXPECT_EQ(fp6.qmin, -60);
  EXPECT_EQ(fp6.qmax, 60);
}

// NVFP4, hand-derived: G = amax / 2688 (448 * 6); s_b = e4m3(clamp(amax_b
// / 6 / G, 2^-6, 448)) to nearest even (E4M3 steps by 1/8 in [1, 2)); s =
// G * s_b; blocks of 16 of f4E2M1FN elements.
TEST(NumericsNvFp4, Scales) {
  EXPECT_EQ(kNvFp4BlockSize, 16);
  EXPECT_EQ(getNvFp4TensorScale(2688.0f), 1.0f);
  EXPECT_EQ(getNvFp4TensorScale(26.88f), 26.88f / 2688.0f);
  EXPECT_EQ(getNvFp4TensorScale(0.0f), 1.0f); // an all-zero tensor
  EXPECT_EQ(getNvFp4TensorScale(std::numeric_limits<float>::infinity()),
            std::nullopt);
  EXPECT_EQ(getNvFp4TensorScale(std::nanf("")), std::nullopt);
  // 6 / 6 / 1 = 1; 7 / 6 = 1.1667 -> 1.125; 6.375 / 6 = 1.0625, halfway
  // between 1 and 1.125 -> 1 (even); 0 -> 2^-6; 6000 / 6 = 1000 -> 448.
  EXPECT_EQ(getNvFp4BlockScale(6.0f, 1.0f), 1.0f);
  EXPECT_EQ(getNvFp4BlockScale(7.0f, 1.0f), 1.125f);
  EXPECT_EQ(getNvFp4BlockScale(6.375f, 1.0f), 1.0f);
  EXPECT_EQ(getNvFp4BlockScale(6.75f, 1.0f), 1.125f);
  EXPECT_EQ(getNvFp4BlockScale(0.0f, 1.0f), 0.015625f);
  EXPECT_EQ(getNvFp4BlockScale(6000.0f, 1.0f), 448.0f);
  // With G = 0.25: 3 / 6 / 0.25 = 2.
  EXPECT_EQ(getNvFp4BlockScale(3.0f, 0.25f), 2.0f);
  EXPECT_EQ(getNvFp4BlockScale(-3.0f, 0.25f), 2.0f);
  float g = 26.88f / 2688.0f;
  float s = getNvFp4Scale(1.125f, g);
  EXPECT_EQ(s, g * 1.125f);
  EXPECT_EQ(getNvFp4BlockScaleOf(s, g), 1.125f);
  EXPECT_EQ(getNvFp4BlockScaleOf(std::nextafter(s, 1.0f), g), std::nullopt);
  EXPECT_EQ(getNvFp4BlockScaleOf(g * 0.0078125f, g), std::nullopt); // < 2^-6
  EXPECT_EQ(getNvFp4BlockScaleOf(g * 512.0f, g), std::nullopt);     // > 448
  EXPECT_EQ(getNvFp4BlockScaleOf(g * 1.0625f, g), std::nullopt);    // not E4M3
}

TEST(NumericsNvFp4, Solver) {
  SolverOptions options;
  options.scheme = Scheme::NvFp4;
  options.storage = StorageKind::F4E2M1FN;
  auto missing = solveFromRange(-1, 1, options);
  EXPECT_FALSE(static_cast<bool>(missing));
  if (!missing)
    EXPECT_NE(llvm::toString(missing.takeError()).find("tensor's scale"),
              std::string::npos);
  options.tensorScale = 0.25f;
  // amax 3 -> s_b = 2 -> s = 0.5; 2.9 / 0.5 = 5.8 -> 6.
  auto p = solveFromRange(-2.9, 3.0, options);
  ASSERT_TRUE(static_cast<bool>(p));
  EXPECT_EQ(p->scale, 0.5f);
  EXPECT_EQ(p->zeroPoint, 0);
  EXPECT_EQ(decodeFloatBits(quantizeToFloat(-2.9f, p->scale, options.storage),
                            options.storage),
            -6.0f);
  EXPECT_EQ(getSchemeName(Scheme::NvFp4), "nvfp4");
  options.storage = StorageKind::F8E4M3FN;
  auto wrongElements = solveFromRange(-1, 1, options);
  EXPECT_FALSE(static_cast<bool>(wrongElements));
  if (!wrongElements)
    llvm::consumeError(wrongElements.takeError());
}
