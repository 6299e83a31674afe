//===- NumericsMiniFloatTest.cpp - Minifloat and precision tests ----------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// Hand-derived cases of the float element formats (FloatFormats.cpp):
// float8/6/4 encoding and decoding, saturation, FNUZ, non-saturating
// casts, NaN, subnormals and the sign of zero, and f16/bf16 precision.
//
//===----------------------------------------------------------------------===//

#include "NumericsTestUtil.h"

using namespace numtest;

namespace {

//===----------------------------------------------------------------------===//
// Minifloats
//===----------------------------------------------------------------------===//

// Tests the format parameters of the three float kinds.
TEST(NumericsMiniFloatTest, Formats) {
  // E4M3FN: 1.75 * 2^(15-7) = 448 (S.1111.111 is NaN, so .110 is the max).
  EXPECT_EQ(getMaxFinite(StorageKind::F8E4M3FN), 448.0);
  // E5M2: 1.75 * 2^(30-15) = 57344 (exponent 31 is Inf/NaN).
  EXPECT_EQ(getMaxFinite(StorageKind::F8E5M2), 57344.0);
  // E2M1: 1.5 * 2^(3-1) = 6.
  EXPECT_EQ(getMaxFinite(StorageKind::F4E2M1FN), 6.0);
  MiniFloatFormat e4m3 = getMiniFloatFormat(StorageKind::F8E4M3FN);
  EXPECT_EQ(e4m3.exponentBits, 4u);
  EXPECT_EQ(e4m3.mantissaBits, 3u);
  EXPECT_EQ(e4m3.bias, 7);
  EXPECT_EQ(e4m3.minExponent(), -6);
  MiniFloatFormat e5m2 = getMiniFloatFormat(StorageKind::F8E5M2);
  EXPECT_EQ(e5m2.exponentBits, 5u);
  EXPECT_EQ(e5m2.mantissaBits, 2u);
  EXPECT_EQ(e5m2.bias, 15);
  EXPECT_EQ(e5m2.minExponent(), -14);
  MiniFloatFormat e2m1 = getMiniFloatFormat(StorageKind::F4E2M1FN);
  EXPECT_EQ(e2m1.exponentBits, 2u);
  EXPECT_EQ(e2m1.mantissaBits, 1u);
  EXPECT_EQ(e2m1.bias, 1);
  EXPECT_EQ(e2m1.minExponent(), 0);
  // The semantics agree with the formats.
  for (StorageKind kind :
       {StorageKind::F8E4M3FN, StorageKind::F8E5M2, StorageKind::F4E2M1FN}) {
    const fltSemantics &sem = getFloatSemantics(kind);
    EXPECT_EQ(APFloat::getSizeInBits(sem), getStorageBitWidth(kind));
    EXPECT_EQ(APFloat::semanticsPrecision(sem),
              getMiniFloatFormat(kind).mantissaBits + 1);
  }
}

// Tests decoding of special and boundary codes.
TEST(NumericsMiniFloatTest, Decode) {
  const StorageKind e4m3 = StorageKind::F8E4M3FN, e5m2 = StorageKind::F8E5M2,
                    e2m1 = StorageKind::F4E2M1FN;
  // E4M3FN: 0.1111.110 = 448, 1.1111.110 = -448, S.1111.111 = NaN,
  // 0.0111.000 = 2^0, 0.0001.000 = 2^-6 (smallest normal),
  // 0.0000.001 = 2^-3 * 2^-6 = 2^-9 (smallest subnormal), 0x80 = -0.
  EXPECT_EQ(decodeFloatBits(0x7E, e4m3), 448.0f);
  EXPECT_EQ(decodeFloatBits(0xFE, e4m3), -448.0f);
  EXPECT_TRUE(std::isnan(decodeFloatBits(0x7F, e4m3)));
  EXPECT_TRUE(std::isnan(decodeFloatBits(0xFF, e4m3)));
  EXPECT_EQ(decodeFloatBits(0x78, e4m3), 256.0f); // 0.1111.000: not Inf.
  EXPECT_EQ(decodeFloatBits(0x38, e4m3), 1.0f);
  EXPECT_EQ(decodeFloatBits(0x08, e4m3), std::ldexp(1.0f, -6));
  EXPECT_EQ(decodeFloatBits(0x01, e4m3), std::ldexp(1.0f, -9));
  EXPECT_EQ(decodeFloatBits(0x07, e4m3), 7 * std::ldexp(1.0f, -9));
  EXPECT_FLOAT_BITS_EQ(decodeFloatBits(0x80, e4m3), -0.0f);
  // E5M2: 0.11110.11 = 57344, 0.11111.00 = +Inf, 0.11111.xx = NaN,
  // 0.01111.00 = 1, 0.00000.01 = 2^-2 * 2^-14 = 2^-16.
  EXPECT_EQ(decodeFloatBits(0x7B, e5m2), 57344.0f);
  EXPECT_EQ(decodeFloatBits(0x7C, e5m2), kInf);
  EXPECT_EQ(decodeFloatBits(0xFC, e5m2), -kInf);
  EXPECT_TRUE(std::isnan(decodeFloatBits(0x7D, e5m2)));
  EXPECT_TRUE(std::isnan(decodeFloatBits(0x7E, e5m2)));
  EXPECT_TRUE(std::isnan(decodeFloatBits(0xFF, e5m2)));
  EXPECT_EQ(decodeFloatBits(0x3C, e5m2), 1.0f);
  EXPECT_EQ(decodeFloatBits(0x01, e5m2), std::ldexp(1.0f, -16));
  EXPECT_FLOAT_BITS_EQ(decodeFloatBits(0x80, e5m2), -0.0f);
  // E2M1: the 8 magnitudes 0, 0.5, 1, 1.5, 2, 3, 4, 6; bit 3 is the sign.
  const float e2m1Values[] = {0, 0.5f, 1, 1.5f, 2, 3, 4, 6};
  for (unsigned code = 0; code < 8; ++code) {
    EXPECT_FLOAT_BITS_EQ(decodeFloatBits(code, e2m1), e2m1Values[code]);
    EXPECT_FLOAT_BITS_EQ(decodeFloatBits(code | 8, e2m1), -e2m1Values[code]);
  }
}

// Tests encoding of the largest finite values and saturation beyond them.
TEST(NumericsMiniFloatTest, EncodeSaturates) {
  const StorageKind e4m3 = StorageKind::F8E4M3FN, e5m2 = StorageKind::F8E5M2,
                    e2m1 = StorageKind::F4E2M1FN;
  // E4M3FN: 448 = 0x7E. 464 is halfway to the (NaN) code 480 and 500, 1e9,
  // FLT_MAX and +-Inf are beyond: all saturate to +-448.
  for (float v :
       {448.0f, 464.0f, 479.0f, 480.0f, 500.0f, 1e9f, FLT_MAX, kInf}) {
    SCOPED_TRACE(describe(v));
    EXPECT_EQ(encodeFloatSaturating(v, e4m3), 0x7E);
    EXPECT_EQ(encodeFloatSaturating(-v, e4m3), 0xFE);
  }
  // 440 is halfway between 416 (0x7D, odd) and 448 (0x7E, even): 448.
  EXPECT_EQ(encodeFloatSaturating(440.0f, e4m3), 0x7E);
  // E5M2: 57344 = 0x7B; 61440 (halfway to 65536), 1e6 and +-Inf saturate.
  for (float v : {57344.0f, 61440.0f, 65536.0f, 1e6f, kInf}) {
    SCOPED_TRACE(describe(v));
    EXPECT_EQ(encodeFloatSaturating(v, e5m2), 0x7B);
    EXPECT_EQ(encodeFloatSaturating(-v, e5m2), 0xFB);
  }
  // E2M1: 6 = 0x7; 7 (halfway to 8), 100 and +-Inf saturate.
  for (float v : {6.0f, 7.0f, 100.0f, kInf}) {
    SCOPED_TRACE(describe(v));
    EXPECT_EQ(encodeFloatSaturating(v, e2m1), 0x7);
    EXPECT_EQ(encodeFloatSaturating(-v, e2m1), 0xF);
  }
}

// Tests the FNUZ kinds by hand: biases 8 and 16, maxima 240 and 57344, the
// NaN 0x80 and no negative zero (ONNX's Cast table).
TEST(NumericsMiniFloatTest, Fnuz) {
  const StorageKind e4 = StorageKind::F8E4M3FNUZ, e5 = StorageKind::F8E5M2FNUZ;
  EXPECT_EQ(getMaxFinite(e4), 240.0);
  EXPECT_EQ(getMaxFinite(e5), 57344.0);
  EXPECT_EQ(getMiniFloatFormat(e4).bias, 8);
  EXPECT_EQ(getMiniFloatFormat(e5).bias, 16);
  EXPECT_EQ(decodeFloatBits(0x7F, e4), 240.0f);
  EXPECT_EQ(decodeFloatBits(0x01, e4), 0x1p-10f); // smallest subnormal
  EXPECT_EQ(decodeFloatBits(0x01, e5), 0x1p-17f);
  EXPECT_EQ(decodeFloatBits(0x40, e4), 1.0f); // exponent field 8
  EXPECT_TRUE(std::isnan(decodeFloatBits(0x80, e4)));
  EXPECT_TRUE(std::isnan(decodeFloatBits(0x80, e5)));
  for (StorageKind kind : {e4, e5}) {
    EXPECT_EQ(getNaNBits(kind), 0x80);
    EXPECT_FALSE(hasNegativeZero(kind));
    // -0 and negatives that round to zero store +0, not the NaN.
    EXPECT_EQ(encodeFloatSaturating(-0.0f, kind), 0x00);
    EXPECT_EQ(encodeFloatSaturating(-1e-30f, kind), 0x00);
    EXPECT_EQ(encodeFloatNonSaturating(-1e-30f, kind), 0x00);
    // Infinities saturate to +-max (0x7F, 0xFF) as ONNX's reference does.
    EXPECT_EQ(encodeFloatSaturating(kInf, kind), 0x7F);
    EXPECT_EQ(encodeFloatSaturating(-kInf, kind), 0xFF);
  }
  EXPECT_TRUE(hasNegativeZero(StorageKind::F8E4M3FN));
  EXPECT_TRUE(hasNegativeZero(StorageKind::F4E2M1FN));
  // 0x1p-11 is halfway between 0 and the smallest subnormal: ties to +0.
  EXPECT_EQ(encodeFloatSaturating(-0x1p-11f, e4), 0x00);
  EXPECT_EQ(encodeFloatSaturating(-0x1.01p-11f, e4), 0x81);
}

// Tests non-saturating encoding (ONNX saturate = 0): the overflow boundary
// is max + half a step, the tie going to the even code; the overflow code
// is the infinity (E5M2), the signed NaN (E4M3FN) or 0x80 (FNUZ).
TEST(NumericsMiniFloatTest, EncodeNonSaturating) {
  const StorageKind e4m3 = StorageKind::F8E4M3FN, e5m2 = StorageKind::F8E5M2,
                    e4 = StorageKind::F8E4M3FNUZ, e5 = StorageKind::F8E5M2FNUZ;
  EXPECT_TRUE(hasOverflowValue(e4m3));
  EXPECT_TRUE(hasOverflowValue(e5));
  EXPECT_FALSE(hasOverflowValue(StorageKind::F4E2M1FN));
  EXPECT_FALSE(hasOverflowValue(StorageKind::F6E2M3FN));
  EXPECT_FALSE(hasOverflowValue(StorageKind::I8));
  // E4M3FN: 464 is halfway between 448 (0x7E, even) and 480: 448.
  EXPECT_EQ(encodeFloatNonSaturating(464.0f, e4m3), 0x7E);
  EXPECT_EQ(encodeFloatNonSaturating(-464.0f, e4m3), 0xFE);
  EXPECT_EQ(encodeFloatNonSaturating(464.03125f, e4m3), 0x7F);
  EXPECT_EQ(encodeFloatNonSaturating(-480.0f, e4m3), 0xFF);
  EXPECT_EQ(encodeFloatNonSaturating(kInf, e4m3), 0x7F);
  // E5M2: 61440 is halfway between 57344 (0x7B, odd) and 65536: +-Inf.
  EXPECT_EQ(encodeFloatNonSaturating(61439.996f, e5m2), 0x7B);
  EXPECT_EQ(encodeFloatNonSaturating(61440.0f, e5m2), 0x7C);
  EXPECT_EQ(encodeFloatNonSaturating(-61440.0f, e5m2), 0xFC);
  EXPECT_EQ(encodeFloatNonSaturating(-kInf, e5m2), 0xFC);
  // E4M3FNUZ: 248 is halfway between 240 (0x7F, odd) and 256: the NaN.
  EXPECT_EQ(encodeFloatNonSaturating(247.99998f, e4), 0x7F);
  EXPECT_EQ(encodeFloatNonSaturating(248.0f, e4), 0x80);
  EXPECT_EQ(encodeFloatNonSaturating(-248.0f, e4), 0x80);
  EXPECT_EQ(encodeFloatNonSaturating(kInf, e5), 0x80);
  EXPECT_EQ(encodeFloatNonSaturating(61440.0f, e5), 0x80);
  EXPECT_EQ(getOverflowBits(e4m3, true), 0xFF);
  EXPECT_EQ(getOverflowBits(e5m2, false), 0x7C);
  EXPECT_EQ(getOverflowBits(e4, true), 0x80);
  // NaN inputs store the NaN; in-range values as with saturation.
  EXPECT_EQ(encodeFloatNonSaturating(std::nanf(""), e5m2), getNaNBits(e5m2));
  EXPECT_EQ(encodeFloat(1.0625f, e4m3, false), 0x38);
  EXPECT_EQ(encodeFloat(500.0f, e4m3, true), 0x7E);
  EXPECT_EQ(quantizeToFloat(500.0f, 2.0f, e4, RoundingMode::HalfEven,
                            /*saturate=*/false),
            0x80);
}

// Tests the division's precision (ONNX's float16 QuantizeLinear), with
// cases where float16 and float32 quotients round apart.
TEST(NumericsPrecisionTest, Float16Division) {
  EXPECT_EQ(getPrecisionName(Precision::F16), "f16");
  EXPECT_EQ(roundToPrecision(1.0f + 0x1p-11f, Precision::F16), 1.0f);
  EXPECT_EQ(roundToPrecision(1.0f + 0x1p-10f, Precision::F16), 1.0f + 0x1p-10f);
  EXPECT_EQ(roundToPrecision(65520.0f, Precision::F16), kInf);
  EXPECT_EQ(roundToPrecision(1.0f + 0x1p-8f, Precision::BF16), 1.0f);
  EXPECT_EQ(roundToPrecision(0.1f, Precision::F32), 0.1f);
  EXPECT_TRUE(isValueOf(0.0638427734375f, Precision::F16));
  EXPECT_FALSE(isValueOf(0.1f, Precision::F16));
  // 134.875 / 0.0638427734375 = 2112.64... in float32 but 2112.0 in f16
  // (float16's step at 2048 is 2): 2113 against 2112.
  IntRange i16 = getIntRange(StorageKind::I16, false);
  EXPECT_EQ(quantizeAffine(134.875f, 0.0638427734375f, 0, i16), 2113);
  EXPECT_EQ(quantizeAffine(134.875f, 0.0638427734375f, 0, i16,
                           RoundingMode::HalfEven, Precision::F16),
            2112);
  // 23.15625 / 2.013671875 = 11.4995 in float32 (E4M3FN 11, 0x53) but
  // 11.5 in float16, a tie that goes to 12 (0x54).
  EXPECT_EQ(quantizeToFloat(23.15625f, 2.013671875f, StorageKind::F8E4M3FN),
            0x53);
  EXPECT_EQ(quantizeToFloat(23.15625f, 2.013671875f, StorageKind::F8E4M3FN,
                            RoundingMode::HalfEven, true, Precision::F16),
            0x54);
  // The input is rounded to the precision first: 1 + 2^-11 + 2^-13 is
  // 1 + 2^-10 in f16, so 2049.25 becomes 2050.
  float x = 1.0f + 0x1p-11f + 0x1p-13f;
  EXPECT_EQ(quantizeAffine(x, 0x1p-11f, 0, i16), 2049);
  EXPECT_EQ(quantizeAffine(x, 0x1p-11f, 0, i16, RoundingMode::HalfEven,
                           Precision::F16),
            2050);
}

// Tests the NaN bit patterns: canonical NaN, or +0 for f4E2M1FN (documented).
TEST(NumericsMiniFloatTest, NaN) {
  // E4M3FN NaN is 0.1111.111; E5M2 canonical quiet NaN is 0.11111.10;
  // E2M1FN has no NaN: +0.
  EXPECT_EQ(getNaNBits(StorageKind::F8E4M3FN), 0x7F);
  EXPECT_EQ(getNaNBits(StorageKind::F8E5M2), 0x7E);
  EXPECT_EQ(getNaNBits(StorageKind::F4E2M1FN), 0x0);
  EXPECT_EQ(encodeFloatSaturating(kNaN, StorageKind::F8E4M3FN), 0x7F);
  EXPECT_EQ(encodeFloatSaturating(-kNaN, StorageKind::F8E4M3FN), 0x7F);
  EXPECT_EQ(encodeFloatSaturating(kNaN, StorageKind::F8E5M2), 0x7E);
  EXPECT_EQ(encodeFloatSaturating(kNaN, StorageKind::F4E2M1FN), 0x0);
  // quantizeToFloat and a NaN input: the same bits, whatever the scale.
  EXPECT_EQ(quantizeToFloat(kNaN, 0.25f, StorageKind::F8E4M3FN), 0x7F);
  EXPECT_TRUE(
      std::isnan(dequantizeFromFloat(0x7F, 0.25f, StorageKind::F8E4M3FN)));
}

// Tests subnormals, ties to even and signed zeros.
TEST(NumericsMiniFloatTest, SubnormalsTiesAndZeros) {
  const StorageKind e4m3 = StorageKind::F8E4M3FN, e5m2 = StorageKind::F8E5M2,
                    e2m1 = StorageKind::F4E2M1FN;
  // E4M3FN smallest subnormal 2^-9 = 0x01; half of it ties 0 (even) and
  // 0x01: 0x00; 1.5 * 2^-10 is nearer 0x01; 3 * 2^-10 ties 0x01 and 0x02:
  // even 0x02.
  EXPECT_EQ(encodeFloatSaturating(std::ldexp(1.0f, -9), e4m3), 0x01);
  EXPECT_EQ(encodeFloatSaturating(std::ldexp(1.0f, -10), e4m3), 0x00);
  EXPECT_EQ(encodeFloatSaturating(std::ldexp(1.5f, -10), e4m3), 0x01);
  EXPECT_EQ(encodeFloatSaturating(std::ldexp(3.0f, -10), e4m3), 0x02);
  EXPECT_EQ(encodeFloatSaturating(-std::ldexp(1.0f, -9), e4m3), 0x81);
  // E4M3FN normals: 1.0625 ties 1.0 (0x38) and 1.125 (0x39): 0x38;
  // 1.1875 ties 1.125 (0x39) and 1.25 (0x3A): 0x3A.
  EXPECT_EQ(encodeFloatSaturating(1.0625f, e4m3), 0x38);
  EXPECT_EQ(encodeFloatSaturating(1.1875f, e4m3), 0x3A);
  EXPECT_EQ(encodeFloatSaturating(-1.1875f, e4m3), 0xBA);
  // Just above the tie rounds up.
  EXPECT_EQ(encodeFloatSaturating(std::nextafter(1.0625f, 2.0f), e4m3), 0x39);
  // E5M2 smallest subnormal 2^-16 = 0x01, half of it -> 0x00; 1.125 ties
  // 1.0 (0x3C) and 1.25 (0x3D): 0x3C; 1.375 ties 0x3D and 1.5 (0x3E): 0x3E.
  EXPECT_EQ(encodeFloatSaturating(std::ldexp(1.0f, -16), e5m2), 0x01);
  EXPECT_EQ(encodeFloatSaturating(std::ldexp(1.0f, -17), e5m2), 0x00);
  EXPECT_EQ(encodeFloatSaturating(1.125f, e5m2), 0x3C);
  EXPECT_EQ(encodeFloatSaturating(1.375f, e5m2), 0x3E);
  // E2M1: 0.25 ties 0 and 0.5 (0x1): 0x0; 0.75 ties 0.5 (0x1) and 1 (0x2):
  // 0x2; 2.5 ties 2 (0x4) and 3 (0x5): 0x4; 3.5 -> 4 (0x6); 5 ties 4 (0x6)
  // and 6 (0x7): 0x6.
  EXPECT_EQ(encodeFloatSaturating(0.5f, e2m1), 0x1);
  EXPECT_EQ(encodeFloatSaturating(0.25f, e2m1), 0x0);
  EXPECT_EQ(encodeFloatSaturating(0.75f, e2m1), 0x2);
  EXPECT_EQ(encodeFloatSaturating(2.5f, e2m1), 0x4);
  EXPECT_EQ(encodeFloatSaturating(3.5f, e2m1), 0x6);
  EXPECT_EQ(encodeFloatSaturating(5.0f, e2m1), 0x6);
  EXPECT_EQ(encodeFloatSaturating(-5.0f, e2m1), 0xE);
  // -0 keeps its sign bit; tiny negative values round to -0.
  EXPECT_EQ(encodeFloatSaturating(0.0f, e4m3), 0x00);
  EXPECT_EQ(encodeFloatSaturating(-0.0f, e4m3), 0x80);
  EXPECT_EQ(encodeFloatSaturating(-1e-10f, e4m3), 0x80);
  EXPECT_EQ(encodeFloatSaturating(-0.0f, e5m2), 0x80);
  EXPECT_EQ(encodeFloatSaturating(-0.0f, e2m1), 0x8);
  EXPECT_EQ(encodeFloatSaturating(-0.1f, e2m1), 0x8);
}

// Tests quantizeToFloat / dequantizeFromFloat with a scale.
TEST(NumericsMiniFloatTest, Scaled) {
  // 896 / 2 = 448 = 0x7E; 2 * 448 = 896.
  EXPECT_EQ(quantizeToFloat(896.0f, 2.0f, StorageKind::F8E4M3FN), 0x7E);
  EXPECT_FLOAT_BITS_EQ(dequantizeFromFloat(0x7E, 2.0f, StorageKind::F8E4M3FN),
                       896.0f);
  // 1e4 / 2 = 5000 > 448 saturates.
  EXPECT_EQ(quantizeToFloat(1e4f, 2.0f, StorageKind::F8E4M3FN), 0x7E);
  // 3 / 0.5 = 6 = 0x7 for E2M1; 0.5 * 6 = 3.
  EXPECT_EQ(quantizeToFloat(3.0f, 0.5f, StorageKind::F4E2M1FN), 0x7);
  EXPECT_FLOAT_BITS_EQ(dequantizeFromFloat(0x7, 0.5f, StorageKind::F4E2M1FN),
                       3.0f);
  // Decoded -Inf times a positive scale stays -Inf.
  EXPECT_EQ(dequantizeFromFloat(0xFC, 0.5f, StorageKind::F8E5M2), -kInf);
}

} // namespace
