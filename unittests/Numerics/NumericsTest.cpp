//===- NumericsTest.cpp - Tests for the quantization numerics -------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// Hand-derived cases, each with a comment on how the expected value was
// derived: storage types, rounding, affine and minval quantization, the
// parameter solvers and granularities. Minifloats and precision are in
// NumericsMiniFloatTest.cpp, fixed-point multipliers and requantization in
// NumericsRequantizeTest.cpp; the comparisons against independent oracles
// (generated vectors, ONNX's reference cases) are in NumericsOracleTest.cpp.
//
//===----------------------------------------------------------------------===//

#include "NumericsTestUtil.h"

using namespace numtest;

namespace {

//===----------------------------------------------------------------------===//
// Storage types
//===----------------------------------------------------------------------===//

// Tests that every storage kind round-trips through its name and reports its
// width, signedness and float-ness.
TEST(NumericsStorageTest, NamesAndProperties) {
  struct Case {
    StorageKind kind;
    const char *name;
    unsigned bits;
    bool isSigned, isFloat;
  };
  // From the definitions of the types (floats carry a sign bit).
  const Case cases[] = {
      {StorageKind::I2, "i2", 2, true, false},
      {StorageKind::I4, "i4", 4, true, false},
      {StorageKind::I8, "i8", 8, true, false},
      {StorageKind::I16, "i16", 16, true, false},
      {StorageKind::I32, "i32", 32, true, false},
      {StorageKind::U2, "u2", 2, false, false},
      {StorageKind::U4, "u4", 4, false, false},
      {StorageKind::U8, "u8", 8, false, false},
      {StorageKind::U16, "u16", 16, false, false},
      {StorageKind::F8E4M3FN, "f8E4M3FN", 8, true, true},
      {StorageKind::F8E5M2, "f8E5M2", 8, true, true},
      {StorageKind::F4E2M1FN, "f4E2M1FN", 4, true, true},
      {StorageKind::F6E2M3FN, "f6E2M3FN", 6, true, true},
      {StorageKind::F6E3M2FN, "f6E3M2FN", 6, true, true},
      {StorageKind::F8E4M3FNUZ, "f8E4M3FNUZ", 8, true, true},
      {StorageKind::F8E5M2FNUZ, "f8E5M2FNUZ", 8, true, true},
  };
  ASSERT_EQ(allStorageKinds().size(), std::size(cases));
  for (auto [i, c] : llvm::enumerate(cases)) {
    SCOPED_TRACE(c.name);
    EXPECT_EQ(allStorageKinds()[i], c.kind);
    EXPECT_EQ(getStorageName(c.kind), c.name);
    EXPECT_EQ(parseStorageName(c.name), c.kind);
    EXPECT_EQ(getStorageBitWidth(c.kind), c.bits);
    EXPECT_EQ(isSignedStorage(c.kind), c.isSigned);
    EXPECT_EQ(isFloatStorage(c.kind), c.isFloat);
  }
  // Names are case-sensitive and exact.
  EXPECT_EQ(parseStorageName("I8"), std::nullopt);
  EXPECT_EQ(parseStorageName("f8e4m3fn"), std::nullopt);
  EXPECT_EQ(parseStorageName(""), std::nullopt);
}

// Tests getIntRange for every integer kind, narrow and full.
TEST(NumericsStorageTest, IntRanges) {
  struct Case {
    StorageKind kind;
    int64_t fullMin, fullMax, narrowMin;
  };
  // Signed: [-2^(b-1), 2^(b-1)-1]; unsigned: [0, 2^b-1]; narrow drops the
  // lowest code (qmin + 1), qmax unchanged.
  const Case cases[] = {
      {StorageKind::I2, -2, 1, -1},
      {StorageKind::I4, -8, 7, -7},
      {StorageKind::I8, -128, 127, -127},
      {StorageKind::I16, -32768, 32767, -32767},
      {StorageKind::I32, -2147483648LL, 2147483647LL, -2147483647LL},
      {StorageKind::U2, 0, 3, 1},
      {StorageKind::U4, 0, 15, 1},
      {StorageKind::U8, 0, 255, 1},
      {StorageKind::U16, 0, 65535, 1},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(getStorageName(c.kind).str());
    IntRange full = getIntRange(c.kind, /*narrow=*/false);
    IntRange narrow = getIntRange(c.kind, /*narrow=*/true);
    EXPECT_EQ(full.qmin, c.fullMin);
    EXPECT_EQ(full.qmax, c.fullMax);
    EXPECT_EQ(narrow.qmin, c.narrowMin);
    EXPECT_EQ(narrow.qmax, c.fullMax);
    EXPECT_TRUE(full.contains(c.fullMin));
    EXPECT_FALSE(narrow.contains(c.fullMin));
    EXPECT_TRUE(narrow.contains(c.fullMax));
    EXPECT_FALSE(full.contains(c.fullMax + 1));
  }
}

//===----------------------------------------------------------------------===//
// Rounding
//===----------------------------------------------------------------------===//

// Tests the rounding mode names round-trip.
TEST(NumericsRoundingTest, Names) {
  for (RoundingMode mode : kModes)
    EXPECT_EQ(parseRoundingName(getRoundingName(mode)), mode);
  EXPECT_EQ(getRoundingName(RoundingMode::HalfUp), "half_up");
  EXPECT_EQ(parseRoundingName("nearest"), std::nullopt);
}

// Tests every rounding mode at exact ties.
TEST(NumericsRoundingTest, Ties) {
  struct Case {
    float y, halfEven, halfAway, halfUp;
  };
  // Half-even picks the even neighbour, half-away moves away from zero,
  // half-up moves towards +infinity.
  const Case cases[] = {
      {0.5f, 0.0f, 1.0f, 1.0f},         {-0.5f, 0.0f, -1.0f, 0.0f},
      {1.5f, 2.0f, 2.0f, 2.0f},         {-1.5f, -2.0f, -2.0f, -1.0f},
      {2.5f, 2.0f, 3.0f, 3.0f},         {-2.5f, -2.0f, -3.0f, -2.0f},
      {3.5f, 4.0f, 4.0f, 4.0f},         {-3.5f, -4.0f, -4.0f, -3.0f},
      {126.5f, 126.0f, 127.0f, 127.0f}, {-127.5f, -128.0f, -128.0f, -127.0f},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(describe(c.y));
    EXPECT_EQ(roundToIntegral(c.y, RoundingMode::HalfEven), c.halfEven);
    EXPECT_EQ(roundToIntegral(c.y, RoundingMode::Reciprocal), c.halfEven);
    EXPECT_EQ(roundToIntegral(c.y, RoundingMode::HalfAwayFromZero), c.halfAway);
    EXPECT_EQ(roundToIntegral(c.y, RoundingMode::HalfUp), c.halfUp);
  }
}

// Tests values next to ties, where floor(y + 0.5f) in float32 goes wrong.
TEST(NumericsRoundingTest, NearTies) {
  // 0.49999997f = 0.5 - 2^-25: 0.49999997f + 0.5f rounds to 1.0f in float32,
  // but the exact value is below 0.5, so every mode gives 0.
  for (RoundingMode mode : kModes) {
    SCOPED_TRACE(getRoundingName(mode).str());
    EXPECT_EQ(roundToIntegral(0.49999997f, mode), 0.0f);
    EXPECT_EQ(roundToIntegral(-0.49999997f, mode), 0.0f);
    // 0.50000006f = 0.5 + 2^-24 is above the tie: 1.
    EXPECT_EQ(roundToIntegral(0.50000006f, mode), 1.0f);
    // -0.50000006f is below -0.5: -1 in every mode.
    EXPECT_EQ(roundToIntegral(-0.50000006f, mode), -1.0f);
    // 2^23 + 1 is integral; 8388609.0f + 0.5f would round up to 8388610.
    EXPECT_EQ(roundToIntegral(8388609.0f, mode), 8388609.0f);
    EXPECT_EQ(roundToIntegral(-8388609.0f, mode), -8388609.0f);
    // Large floats are integral already.
    EXPECT_EQ(roundToIntegral(1e30f, mode), 1e30f);
  }
  // 2.4999998f = 2.5 - 2^-22 rounds down in every mode; 2.5000002f up.
  EXPECT_EQ(roundToIntegral(2.4999998f, RoundingMode::HalfUp), 2.0f);
  EXPECT_EQ(roundToIntegral(2.5000002f, RoundingMode::HalfEven), 3.0f);
  // -2.4999998f: above -2.5, so -2 even for half-away.
  EXPECT_EQ(roundToIntegral(-2.4999998f, RoundingMode::HalfAwayFromZero),
            -2.0f);
}

// Tests that NaN and infinities pass through every rounding mode.
TEST(NumericsRoundingTest, NonFinite) {
  for (RoundingMode mode : kModes) {
    SCOPED_TRACE(getRoundingName(mode).str());
    EXPECT_TRUE(std::isnan(roundToIntegral(kNaN, mode)));
    EXPECT_EQ(roundToIntegral(kInf, mode), kInf);
    EXPECT_EQ(roundToIntegral(-kInf, mode), -kInf);
  }
}

//===----------------------------------------------------------------------===//
// Affine and minval quantization
//===----------------------------------------------------------------------===//

// Tests quantizeAffine on exact values, ties and the zero point.
TEST(NumericsAffineTest, Basic) {
  IntRange i8 = getIntRange(StorageKind::I8, false);
  IntRange u8 = getIntRange(StorageKind::U8, false);
  // 3.0 / 0.5 = 6 exactly; + z = 3 -> 9.
  EXPECT_EQ(quantizeAffine(3.0f, 0.5f, 3, i8), 9);
  // 1.25 / 0.5 = 2.5, a tie: even 2, away 3, up 3; + z = 10.
  EXPECT_EQ(quantizeAffine(1.25f, 0.5f, 10, u8, RoundingMode::HalfEven), 12);
  EXPECT_EQ(quantizeAffine(1.25f, 0.5f, 10, u8, RoundingMode::HalfAwayFromZero),
            13);
  EXPECT_EQ(quantizeAffine(1.25f, 0.5f, 10, u8, RoundingMode::HalfUp), 13);
  // -1.25 / 0.5 = -2.5: even -2, away -3, up -2; + z = 10.
  EXPECT_EQ(quantizeAffine(-1.25f, 0.5f, 10, u8, RoundingMode::HalfEven), 8);
  EXPECT_EQ(
      quantizeAffine(-1.25f, 0.5f, 10, u8, RoundingMode::HalfAwayFromZero), 7);
  EXPECT_EQ(quantizeAffine(-1.25f, 0.5f, 10, u8, RoundingMode::HalfUp), 8);
  // 0 and -0 map to the zero point.
  EXPECT_EQ(quantizeAffine(0.0f, 0.1f, 128, u8), 128);
  EXPECT_EQ(quantizeAffine(-0.0f, 0.1f, -5, i8), -5);
  // The rounding happens before the zero point is added: -0.5 / 1 rounds
  // (half even) to -0, + 3 = 3, not round(2.5) = 2.
  EXPECT_EQ(quantizeAffine(-0.5f, 1.0f, 3, i8), 3);
}

// Tests quantizeAffine saturation at both ends, NaN and infinities.
TEST(NumericsAffineTest, SaturationAndNonFinite) {
  IntRange i8 = getIntRange(StorageKind::I8, false);
  IntRange i8n = getIntRange(StorageKind::I8, true);
  IntRange u8 = getIntRange(StorageKind::U8, false);
  IntRange u4 = getIntRange(StorageKind::U4, false);
  // 100 / 0.1 = 1000 > 127: qmax; -1000 < -128: qmin (narrow -127).
  EXPECT_EQ(quantizeAffine(100.0f, 0.1f, 0, i8), 127);
  EXPECT_EQ(quantizeAffine(-100.0f, 0.1f, 0, i8), -128);
  EXPECT_EQ(quantizeAffine(-100.0f, 0.1f, 0, i8n), -127);
  // 127.5 + 0 rounds (half even) to 128 > 127: qmax; -128.5 -> -128.
  EXPECT_EQ(quantizeAffine(127.5f, 1.0f, 0, i8), 127);
  EXPECT_EQ(quantizeAffine(-128.5f, 1.0f, 0, i8), -128);
  // u8 with z = 128: 1e6 and -1e6 saturate to 255 and 0.
  EXPECT_EQ(quantizeAffine(1e6f, 2.0f, 128, u8), 255);
  EXPECT_EQ(quantizeAffine(-1e6f, 2.0f, 128, u8), 0);
  // The zero point can push an in-range rounded value out of range: 10 + 8.
  EXPECT_EQ(quantizeAffine(10.0f, 1.0f, 8, u4), 15);
  // 3e38 / 1e-3 overflows float32 to +Inf, which saturates.
  EXPECT_EQ(quantizeAffine(3e38f, 1e-3f, 0, i8), 127);
  EXPECT_EQ(quantizeAffine(-3e38f, 1e-3f, 0, i8), -128);
  // Infinities saturate in every rounding mode.
  for (RoundingMode mode : kModes) {
    SCOPED_TRACE(getRoundingName(mode).str());
    EXPECT_EQ(quantizeAffine(kInf, 0.1f, 3, i8, mode), 127);
    EXPECT_EQ(quantizeAffine(-kInf, 0.1f, 3, i8, mode), -128);
    EXPECT_EQ(quantizeAffine(-kInf, 0.1f, 3, i8n, mode), -127);
    // Documented: NaN maps to the zero point.
    EXPECT_EQ(quantizeAffine(kNaN, 0.1f, 3, i8, mode), 3);
    EXPECT_EQ(quantizeAffine(kNaN, 0.1f, 128, u8, mode), 128);
  }
}

// Tests that 32-bit storage saturates exactly although float(qmax) = 2^31.
TEST(NumericsAffineTest, I32Saturation) {
  IntRange i32 = getIntRange(StorageKind::I32, false);
  // 3e9 > 2^31 - 1: qmax, not the float 2^31 converted back.
  EXPECT_EQ(quantizeAffine(3e9f, 1.0f, 0, i32), 2147483647LL);
  EXPECT_EQ(quantizeAffine(-3e9f, 1.0f, 0, i32), -2147483648LL);
  // 2^30 is exact in float32 and in range.
  EXPECT_EQ(quantizeAffine(1073741824.0f, 1.0f, 0, i32), 1073741824LL);
}

// Tests dequantizeAffine = s * (q - z) in float32.
TEST(NumericsAffineTest, Dequantize) {
  // 0.5 * (10 - 4) = 3.
  EXPECT_FLOAT_BITS_EQ(dequantizeAffine(10, 0.5f, 4), 3.0f);
  // 2 * (0 - 128) = -256 (the ONNX DequantizeLinear example).
  EXPECT_FLOAT_BITS_EQ(dequantizeAffine(0, 2.0f, 128), -256.0f);
  // q == z gives +0 (positive scale times +0).
  EXPECT_FLOAT_BITS_EQ(dequantizeAffine(7, 0.1f, 7), 0.0f);
  // 0.1f * 3 rounded once in float32: float(3 * 0x3dcccccd) = 0x3e99999a.
  EXPECT_FLOAT_BITS_EQ(dequantizeAffine(3, 0.1f, 0), 0.1f * 3.0f);
  // 32768 * (-32768 - 0) = -2^30, exact.
  EXPECT_FLOAT_BITS_EQ(dequantizeAffine(-32768, 32768.0f, 0), -1073741824.0f);
}

// Tests that the reciprocal mode differs from the division for a scale found
// by the search in gen_vectors.py (search_reciprocal_case).
TEST(NumericsAffineTest, ReciprocalDiffersFromDivision) {
  IntRange i8 = getIntRange(StorageKind::I8, false);
  // 2.25f / 0.3f = 7.4999995f (0.3f is slightly above 0.3), which rounds to
  // 7; 1.0f / 0.3f = 3.3333333f and 2.25f * 3.3333333f rounds to 7.5f in
  // float32, a tie that goes to the even 8.
  EXPECT_EQ(2.25f / 0.3f, 7.4999995f);
  EXPECT_EQ(2.25f * (1.0f / 0.3f), 7.5f);
  EXPECT_EQ(quantizeAffine(2.25f, 0.3f, 0, i8, RoundingMode::HalfEven), 7);
  EXPECT_EQ(quantizeAffine(2.25f, 0.3f, 0, i8, RoundingMode::Reciprocal), 8);
  // The half modes divide, so they also see 7.4999995 and give 7.
  EXPECT_EQ(quantizeAffine(2.25f, 0.3f, 0, i8, RoundingMode::HalfUp), 7);
  EXPECT_EQ(quantizeAffine(2.25f, 0.3f, 0, i8, RoundingMode::HalfAwayFromZero),
            7);
}

// Tests the minval form q = round((x - m) / s) + qmin and its inverse.
TEST(NumericsMinvalTest, QuantizeDequantize) {
  IntRange u8 = getIntRange(StorageKind::U8, false);
  IntRange i8 = getIntRange(StorageKind::I8, false);
  // (1 - (-1)) / 0.5 = 4; + qmin 0 = 4; for i8 + qmin -128 = -124.
  EXPECT_EQ(quantizeMinval(1.0f, 0.5f, -1.0f, u8), 4);
  EXPECT_EQ(quantizeMinval(1.0f, 0.5f, -1.0f, i8), -124);
  // x == m gives qmin.
  EXPECT_EQ(quantizeMinval(-1.0f, 0.5f, -1.0f, i8), -128);
  // (-0.75 - (-1)) / 0.5 = 0.5, a tie: even 0, up 1.
  EXPECT_EQ(quantizeMinval(-0.75f, 0.5f, -1.0f, u8, RoundingMode::HalfEven), 0);
  EXPECT_EQ(quantizeMinval(-0.75f, 0.5f, -1.0f, u8, RoundingMode::HalfUp), 1);
  // Below m saturates to qmin, far above to qmax; +-Inf likewise.
  EXPECT_EQ(quantizeMinval(-5.0f, 0.5f, -1.0f, u8), 0);
  EXPECT_EQ(quantizeMinval(500.0f, 0.5f, -1.0f, u8), 255);
  EXPECT_EQ(quantizeMinval(kInf, 0.5f, -1.0f, i8), 127);
  EXPECT_EQ(quantizeMinval(-kInf, 0.5f, -1.0f, i8), -128);
  // Documented: NaN maps to qmin.
  EXPECT_EQ(quantizeMinval(kNaN, 0.5f, -1.0f, i8), -128);
  EXPECT_EQ(
      quantizeMinval(kNaN, 0.5f, -1.0f, getIntRange(StorageKind::U8, true)), 1);
  // 0.5 * (4 - 0) + (-1) = 1; 0.5 * (-124 - (-128)) + (-1) = 1.
  EXPECT_FLOAT_BITS_EQ(dequantizeMinval(4, 0.5f, -1.0f, 0), 1.0f);
  EXPECT_FLOAT_BITS_EQ(dequantizeMinval(-124, 0.5f, -1.0f, -128), 1.0f);
  // q == qmin gives m exactly.
  EXPECT_FLOAT_BITS_EQ(dequantizeMinval(-128, 0.1f, -0.3f, -128), -0.3f);
  // Two roundings, no fused multiply-add: float(float(0.1f * 7) + 0.2f).
  float product = 0.1f * 7.0f;
  EXPECT_FLOAT_BITS_EQ(dequantizeMinval(7, 0.1f, 0.2f, 0), product + 0.2f);
}

//===----------------------------------------------------------------------===//
// Parameter solvers
//===----------------------------------------------------------------------===//

// Tests the scheme names round-trip.
TEST(NumericsSolverTest, SchemeNames) {
  for (Scheme scheme : {Scheme::Symmetric, Scheme::Asymmetric, Scheme::Minval})
    EXPECT_EQ(parseSchemeName(getSchemeName(scheme)), scheme);
  EXPECT_EQ(parseSchemeName("affine"), std::nullopt);
}

// Tests the symmetric scheme: narrow, full, unsigned mid-point zero points.
TEST(NumericsSolverTest, Symmetric) {
  // Narrow i8: 1.27f / 127 = 0.01f (float32 division happens to give
  // exactly float(0.01)); amax is max(|-1.27|, |0.5|).
  QuantParams p =
      solve(-1.27, 0.5, options(StorageKind::I8, Scheme::Symmetric));
  EXPECT_FLOAT_BITS_EQ(p.scale, 0.01f);
  EXPECT_EQ(p.zeroPoint, 0);
  EXPECT_EQ(p.minValue, 0.0f);
  // amax on the positive side gives the same scale.
  p = solve(-0.5, 1.27, options(StorageKind::I8, Scheme::Symmetric));
  EXPECT_FLOAT_BITS_EQ(p.scale, 0.01f);
  // Full range i8: 255 / 2 = 127.5 levels per side: 127.5 / 127.5 = 1.
  p = solve(-127.5, 127.5,
            options(StorageKind::I8, Scheme::Symmetric, /*narrow=*/false));
  EXPECT_FLOAT_BITS_EQ(p.scale, 1.0f);
  EXPECT_EQ(p.zeroPoint, 0);
  // Narrow i4: 7 / 7 = 1.
  p = solve(-7.0, 3.0, options(StorageKind::I4, Scheme::Symmetric));
  EXPECT_FLOAT_BITS_EQ(p.scale, 1.0f);
  // Unsigned: zero point (qmin + qmax + 1) / 2: u8 (0 + 255 + 1) / 2 = 128
  // and narrow (1 + 255 + 1) / 2 = 128; scale 127.5 / 127.5 and 127 / 127.
  p = solve(-127.5, 1.0,
            options(StorageKind::U8, Scheme::Symmetric, /*narrow=*/false));
  EXPECT_FLOAT_BITS_EQ(p.scale, 1.0f);
  EXPECT_EQ(p.zeroPoint, 128);
  p = solve(-127.0, 1.0, options(StorageKind::U8, Scheme::Symmetric));
  EXPECT_FLOAT_BITS_EQ(p.scale, 1.0f);
  EXPECT_EQ(p.zeroPoint, 128);
  // u4: (0 + 15 + 1) / 2 = 8, narrow (1 + 15 + 1) / 2 = 8 (integer division).
  p = solve(-7.5, 7.5,
            options(StorageKind::U4, Scheme::Symmetric, /*narrow=*/false));
  EXPECT_FLOAT_BITS_EQ(p.scale, 1.0f);
  EXPECT_EQ(p.zeroPoint, 8);
  p = solve(-7.0, 7.0, options(StorageKind::U4, Scheme::Symmetric));
  EXPECT_FLOAT_BITS_EQ(p.scale, 1.0f);
  EXPECT_EQ(p.zeroPoint, 8);
  // u2: (0 + 3 + 1) / 2 = 2.
  p = solve(-1.0, 1.0, options(StorageKind::U2, Scheme::Symmetric));
  EXPECT_EQ(p.zeroPoint, 2);
  // i16 narrow: 3.2767 -> float32(3.2767f / 32767.0f), torch-like float math.
  p = solve(-3.2767, 0.0, options(StorageKind::I16, Scheme::Symmetric));
  EXPECT_FLOAT_BITS_EQ(p.scale, 3.2767f / 32767.0f);
}

// Tests the asymmetric scheme: range extended to 0, exact zero.
TEST(NumericsSolverTest, Asymmetric) {
  // [-1, 3] on full u8: scale 4 / 255; -1 / (4/255) = -63.75 -> round -64,
  // zp = 0 - (-64) = 64.
  QuantParams p = solve(-1.0, 3.0,
                        options(StorageKind::U8, Scheme::Asymmetric,
                                /*narrow=*/false));
  EXPECT_FLOAT_BITS_EQ(p.scale, 4.0f / 255.0f);
  EXPECT_EQ(p.zeroPoint, 64);
  EXPECT_EQ(quantizeAffine(0.0f, p.scale, p.zeroPoint,
                           getIntRange(StorageKind::U8, false)),
            64);
  // The same on full i8: zp = -128 + 64 = -64.
  p = solve(-1.0, 3.0,
            options(StorageKind::I8, Scheme::Asymmetric, /*narrow=*/false));
  EXPECT_FLOAT_BITS_EQ(p.scale, 4.0f / 255.0f);
  EXPECT_EQ(p.zeroPoint, -64);
  // All positive [2, 5] is extended to [0, 5]: scale 5/255, zp = qmin = 0.
  p = solve(2.0, 5.0,
            options(StorageKind::U8, Scheme::Asymmetric, /*narrow=*/false));
  EXPECT_FLOAT_BITS_EQ(p.scale, 5.0f / 255.0f);
  EXPECT_EQ(p.zeroPoint, 0);
  // All negative [-5, -2] -> [-5, 0]: zp = 0 - round(-5 / (5/255)) = 255.
  p = solve(-5.0, -2.0,
            options(StorageKind::U8, Scheme::Asymmetric, /*narrow=*/false));
  EXPECT_FLOAT_BITS_EQ(p.scale, 5.0f / 255.0f);
  EXPECT_EQ(p.zeroPoint, 255);
  // Narrow u4: [-1, 13] -> scale 14 / 14 = 1, zp = 1 - (-1) = 2.
  p = solve(-1.0, 13.0, options(StorageKind::U4, Scheme::Asymmetric));
  EXPECT_FLOAT_BITS_EQ(p.scale, 1.0f);
  EXPECT_EQ(p.zeroPoint, 2);
}

// Tests the minval scheme.
TEST(NumericsSolverTest, Minval) {
  // [-1, 3] on full u8: scale (3 - (-1)) / 255, m = -1, no zero point.
  QuantParams p =
      solve(-1.0, 3.0, options(StorageKind::U8, Scheme::Minval, false));
  EXPECT_FLOAT_BITS_EQ(p.scale, 4.0f / 255.0f);
  EXPECT_EQ(p.zeroPoint, 0);
  EXPECT_FLOAT_BITS_EQ(p.minValue, -1.0f);
  // Not extended to 0: [2, 17] on full u4 -> 15 / 15 = 1, m = 2.
  p = solve(2.0, 17.0, options(StorageKind::U4, Scheme::Minval, false));
  EXPECT_FLOAT_BITS_EQ(p.scale, 1.0f);
  EXPECT_FLOAT_BITS_EQ(p.minValue, 2.0f);
  // Narrow i4 has 14 levels: [0, 7] -> 0.5.
  p = solve(0.0, 7.0, options(StorageKind::I4, Scheme::Minval));
  EXPECT_FLOAT_BITS_EQ(p.scale, 0.5f);
}

// Tests the power-of-two option.
TEST(NumericsSolverTest, PowerOfTwo) {
  // 0.01 lies in (2^-7, 2^-6]: 2^-6 = 0.015625.
  QuantParams p = solve(-1.27, 1.27,
                        options(StorageKind::I8, Scheme::Symmetric,
                                /*narrow=*/true, /*powerOfTwo=*/true));
  EXPECT_FLOAT_BITS_EQ(p.scale, 0.015625f);
  // A power of two is kept: 31.75 / 127 = 0.25.
  p = solve(-31.75, 0.0,
            options(StorageKind::I8, Scheme::Symmetric, true, true));
  EXPECT_FLOAT_BITS_EQ(p.scale, 0.25f);
  // Float storage: 112 / 448 = 0.25 is kept; one float32 ulp above 112
  // gives a scale just above 0.25, rounded up to 0.5.
  p = solve(0.0, 112.0,
            options(StorageKind::F8E4M3FN, Scheme::Symmetric, true, true));
  EXPECT_FLOAT_BITS_EQ(p.scale, 0.25f);
  p = solve(0.0, std::nextafter(112.0f, 200.0f),
            options(StorageKind::F8E4M3FN, Scheme::Symmetric, true, true));
  EXPECT_FLOAT_BITS_EQ(p.scale, 0.5f);
  // Asymmetric: the zero point follows the rounded scale. [-1, 3] full u8:
  // 4/255 = 0.0157 is just above 2^-6 -> 2^-5; -1 / 2^-5 = -32, zp = 32.
  p = solve(-1.0, 3.0,
            options(StorageKind::U8, Scheme::Asymmetric, false, true));
  EXPECT_FLOAT_BITS_EQ(p.scale, 0.03125f);
  EXPECT_EQ(p.zeroPoint, 32);
  // Zero ranges keep scale 1 (already a power of two).
  p = solve(0.0, 0.0, options(StorageKind::I8, Scheme::Symmetric, true, true));
  EXPECT_FLOAT_BITS_EQ(p.scale, 1.0f);
}

// Tests float storage: scale amax / max finite, no zero point.
TEST(NumericsSolverTest, FloatStorage) {
  // 448 / 448 = 1; 57344 / 57344 = 1; 3 / 6 = 0.5.
  QuantParams p =
      solve(-448.0, 100.0, options(StorageKind::F8E4M3FN, Scheme::Symmetric));
  EXPECT_FLOAT_BITS_EQ(p.scale, 1.0f);
  EXPECT_EQ(p.zeroPoint, 0);
  EXPECT_EQ(p.minValue, 0.0f);
  p = solve(-1.0, 57344.0, options(StorageKind::F8E5M2, Scheme::Symmetric));
  EXPECT_FLOAT_BITS_EQ(p.scale, 1.0f);
  p = solve(-3.0, 3.0, options(StorageKind::F4E2M1FN, Scheme::Symmetric));
  EXPECT_FLOAT_BITS_EQ(p.scale, 0.5f);
  // The narrow flag does not matter for float storage.
  p = solve(-448.0, 0.0,
            options(StorageKind::F8E4M3FN, Scheme::Symmetric, false));
  EXPECT_FLOAT_BITS_EQ(p.scale, 1.0f);
  // All-zero: scale 1.
  p = solve(0.0, 0.0, options(StorageKind::F8E5M2, Scheme::Symmetric));
  EXPECT_FLOAT_BITS_EQ(p.scale, 1.0f);
}

// Tests degenerate ranges: all zero, constant, tiny.
TEST(NumericsSolverTest, DegenerateRanges) {
  // All zero: scale 1 for every scheme and integer storage; the zero point
  // is 0 / the unsigned mid-point (symmetric) or qmin - round(0) = qmin
  // (asymmetric).
  for (StorageKind kind : allStorageKinds()) {
    if (isFloatStorage(kind) || kind == StorageKind::I32)
      continue;
    SCOPED_TRACE(getStorageName(kind).str());
    for (bool narrow : {false, true}) {
      IntRange range = getIntRange(kind, narrow);
      QuantParams p = solve(0.0, 0.0, options(kind, Scheme::Symmetric, narrow));
      EXPECT_FLOAT_BITS_EQ(p.scale, 1.0f);
      EXPECT_EQ(p.zeroPoint,
                isSignedStorage(kind) ? 0 : (range.qmin + range.qmax + 1) / 2);
      p = solve(0.0, 0.0, options(kind, Scheme::Asymmetric, narrow));
      EXPECT_FLOAT_BITS_EQ(p.scale, 1.0f);
      EXPECT_EQ(p.zeroPoint, range.qmin);
      p = solve(0.0, 0.0, options(kind, Scheme::Minval, narrow));
      EXPECT_FLOAT_BITS_EQ(p.scale, 1.0f);
      EXPECT_FLOAT_BITS_EQ(p.minValue, 0.0f);
    }
  }
  // A constant 2.54: symmetric 2.54f / 127 = 0.02f (float32 gives exactly
  // float(0.02)); minval has zero width: scale 1, m = 2.54f.
  QuantParams p =
      solve(2.54, 2.54, options(StorageKind::I8, Scheme::Symmetric));
  EXPECT_FLOAT_BITS_EQ(p.scale, 0.02f);
  p = solve(2.54, 2.54, options(StorageKind::U8, Scheme::Minval));
  EXPECT_FLOAT_BITS_EQ(p.scale, 1.0f);
  EXPECT_FLOAT_BITS_EQ(p.minValue, 2.54f);
  // A constant -3 asymmetric: [-3, 0] on full u8, zp = -round(-255) = 255.
  p = solve(-3.0, -3.0, options(StorageKind::U8, Scheme::Asymmetric, false));
  EXPECT_FLOAT_BITS_EQ(p.scale, 3.0f / 255.0f);
  EXPECT_EQ(p.zeroPoint, 255);
  // Documented FLT_MIN floor: 1e-40 / 127 is subnormal, clamped to FLT_MIN.
  p = solve(0.0, 1e-40, options(StorageKind::I8, Scheme::Symmetric));
  EXPECT_FLOAT_BITS_EQ(p.scale, FLT_MIN);
  p = solve(1e-40, 2e-40, options(StorageKind::I8, Scheme::Minval));
  EXPECT_FLOAT_BITS_EQ(p.scale, FLT_MIN);
  // clampScale directly: zero width -> 1 whatever the raw value.
  EXPECT_FLOAT_BITS_EQ(clampScale(0.0, true), 1.0f);
  EXPECT_FLOAT_BITS_EQ(clampScale(0.5, true), 1.0f);
  EXPECT_FLOAT_BITS_EQ(clampScale(1e-45, false), FLT_MIN);
  EXPECT_FLOAT_BITS_EQ(clampScale(0.0, false), FLT_MIN);
  EXPECT_FLOAT_BITS_EQ(clampScale(0.5, false), 0.5f);
  // Converted to float32 first: 0.1 -> 0.1f.
  EXPECT_FLOAT_BITS_EQ(clampScale(0.1, false), 0.1f);
}

// Tests that invalid ranges and unsupported combinations fail.
TEST(NumericsSolverTest, Errors) {
  SolverOptions i8 = options(StorageKind::I8, Scheme::Symmetric);
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  EXPECT_NE(errorOf(solveFromRange(1.0, -1.0, i8)), "");
  EXPECT_NE(errorOf(solveFromRange(nan, 1.0, i8)), "");
  EXPECT_NE(errorOf(solveFromRange(0.0, nan, i8)), "");
  EXPECT_NE(errorOf(solveFromRange(-inf, 1.0, i8)), "");
  EXPECT_NE(errorOf(solveFromRange(0.0, inf, i8)), "");
  EXPECT_NE(errorOf(solveFromRange(
                -1.0, 1.0, options(StorageKind::I32, Scheme::Symmetric))),
            "");
  for (StorageKind kind :
       {StorageKind::F8E4M3FN, StorageKind::F8E5M2, StorageKind::F4E2M1FN}) {
    SCOPED_TRACE(getStorageName(kind).str());
    EXPECT_NE(errorOf(solveFromRange(-1.0, 1.0, options(kind, Scheme::Minval))),
              "");
    EXPECT_NE(
        errorOf(solveFromRange(-1.0, 1.0, options(kind, Scheme::Asymmetric))),
        "");
  }
  // rmin == rmax is valid.
  EXPECT_EQ(errorOf(solveFromRange(1.0, 1.0, i8)), "");
}

// Tests that ranges whose float32 scale overflows are errors, not inf scales:
// (FLT_MAX - -FLT_MAX) / 255 overflows in float32, 1e300 is inf as a float,
// and 2^ceil(log2(FLT_MAX / 1.5)) = 2^128 overflows.
TEST(NumericsSolverTest, ScaleOverflow) {
  EXPECT_NE(errorOf(solveFromRange(-FLT_MAX, FLT_MAX,
                                   options(StorageKind::U8, Scheme::Asymmetric))),
            "");
  EXPECT_NE(errorOf(solveFromRange(-1e300, 1e300,
                                   options(StorageKind::I8, Scheme::Symmetric))),
            "");
  SolverOptions pow2 = options(StorageKind::I2, Scheme::Symmetric);
  pow2.powerOfTwo = true;
  EXPECT_NE(errorOf(solveFromRange(0.0, FLT_MAX, pow2)), "");
  // The largest finite range that still fits.
  EXPECT_EQ(errorOf(solveFromRange(0.0, FLT_MAX,
                                   options(StorageKind::I8, Scheme::Symmetric))),
            "");
}

// Tests roundScaleToHalf on hand-derived f16 values: 0.1 lies between the
// f16 neighbours 0x2E66 = 1638/16384 = 0.0999755859375 and 0x2E67 =
// 0.10003662109375 and is nearer the first; 1 + 2^-11 is halfway between
// 1 and 1 + 2^-10 and rounds to the even 1; 1 + 3 * 2^-11 rounds to the
// even 1 + 2^-9; below 2^-14 the scale is raised to 2^-14; from 65520
// (halfway past 65504) it is +inf.
TEST(NumericsSolverTest, RoundScaleToHalf) {
  EXPECT_EQ(roundScaleToHalf(0.1f), 0.0999755859375f);
  EXPECT_EQ(roundScaleToHalf(1.0f + 0x1p-11f), 1.0f);
  EXPECT_EQ(roundScaleToHalf(1.0f + 3 * 0x1p-11f), 1.0f + 0x1p-9f);
  EXPECT_EQ(roundScaleToHalf(0.5f), 0.5f);
  EXPECT_EQ(roundScaleToHalf(0x1p-14f), 0x1p-14f);
  EXPECT_EQ(roundScaleToHalf(0x1p-20f), 0x1p-14f);
  EXPECT_EQ(roundScaleToHalf(FLT_MIN), 0x1p-14f);
  EXPECT_EQ(roundScaleToHalf(65504.0f), 65504.0f);
  EXPECT_EQ(roundScaleToHalf(65519.0f), 65504.0f);
  EXPECT_TRUE(std::isinf(roundScaleToHalf(65520.0f)));
}

// Tests that halfScale solves with the rounded scale: i4 symmetric narrow
// on [-0.7, 0.7] gives 0.7 / 7 = 0.1 in float32, rounded to
// 0.0999755859375; u8 asymmetric on [-2, 1.5] gives 3.5 / 255 =
// 0.013725490, rounded to 0.01372528076171875. The zero point comes from
// the rounded scale: on [-2.25, 1] the scale 3.25 / 255 = 0.012745098
// rounds to 0.012748718 and round(2.25 / s) = round(176.488) = 176 (177
// from the f32 scale, 176.538). Ranges past f16, the MX scheme and ranges
// of more than 11 bits are errors.
TEST(NumericsSolverTest, HalfScales) {
  SolverOptions i4 = options(StorageKind::I4, Scheme::Symmetric);
  i4.halfScale = true;
  Expected<QuantParams> p = solveFromRange(-0.7, 0.7, i4);
  ASSERT_TRUE(static_cast<bool>(p)) << toString(p.takeError());
  EXPECT_EQ(p->scale, 0.0999755859375f);
  SolverOptions u8 = options(StorageKind::U8, Scheme::Asymmetric);
  u8.halfScale = true;
  u8.narrowRange = false;
  p = solveFromRange(-2.0, 1.5, u8);
  ASSERT_TRUE(static_cast<bool>(p)) << toString(p.takeError());
  EXPECT_EQ(p->scale, 0.01372528076171875f);
  p = solveFromRange(-2.25, 1.0, u8);
  ASSERT_TRUE(static_cast<bool>(p)) << toString(p.takeError());
  EXPECT_EQ(p->zeroPoint, 176);
  EXPECT_NE(errorOf(solveFromRange(-1e6, 1e6, i4)).find("too wide for an f16"),
            std::string::npos);
  SolverOptions mx = options(StorageKind::I8, Scheme::Mx);
  mx.halfScale = true;
  EXPECT_NE(errorOf(solveFromRange(-1.0, 1.0, mx)).find("quantopt profile"),
            std::string::npos);
  SolverOptions i16 = options(StorageKind::I16, Scheme::Symmetric);
  i16.halfScale = true;
  EXPECT_NE(errorOf(solveFromRange(-1.0, 1.0, i16)).find("at most 11 bits"),
            std::string::npos);
}

//===----------------------------------------------------------------------===//
// Granularity
//===----------------------------------------------------------------------===//

// Tests getParamShape for every granularity.
TEST(NumericsGranularityTest, ParamShape) {
  using Shape = std::vector<int64_t>;
  auto shapeOf = [](ArrayRef<int64_t> shape, Granularity g) -> Shape {
    Expected<Shape> result = getParamShape(shape, g);
    if (!result) {
      ADD_FAILURE() << toString(result.takeError());
      return {};
    }
    return *result;
  };
  // Per tensor: [1], even for a scalar.
  EXPECT_EQ(shapeOf({4, 3}, {}), Shape{1});
  EXPECT_EQ(shapeOf({}, {}), Shape{1});
  // Per channel: [shape[axis]].
  EXPECT_EQ(shapeOf({4, 3}, {0, 0}), Shape{4});
  EXPECT_EQ(shapeOf({4, 3}, {1, 0}), Shape{3});
  EXPECT_EQ(shapeOf({2, 3, 5}, {2, 0}), Shape{5});
  // Per block: shape with shape[axis] / block; block == dim -> 1.
  EXPECT_EQ(shapeOf({2, 6}, {1, 2}), (Shape{2, 3}));
  EXPECT_EQ(shapeOf({2, 6}, {1, 6}), (Shape{2, 1}));
  EXPECT_EQ(shapeOf({4, 6}, {0, 2}), (Shape{2, 6}));
  EXPECT_EQ(shapeOf({2, 6}, {1, 1}), (Shape{2, 6}));
  // A shorter last block: ceil(6 / 4) = 2 blocks (4 + 2), ceil(6 / 12) = 1,
  // ceil(7 / 3) = 3 (3 + 3 + 1).
  EXPECT_EQ(shapeOf({2, 6}, {1, 4}), (Shape{2, 2}));
  EXPECT_EQ(shapeOf({2, 6}, {1, 12}), (Shape{2, 1}));
  EXPECT_EQ(shapeOf({7, 2}, {0, 3}), (Shape{3, 2}));
  // Element 6 of the axis is in the third (one-element) block; row-major
  // over the [3, 2] parameter array.
  EXPECT_EQ(getParamIndex({7, 2}, {6, 1}, {0, 3}), 5);
  EXPECT_EQ(getParamIndex({7, 2}, {5, 0}, {0, 3}), 2);
  EXPECT_EQ(getParamIndex({2, 6}, {1, 5}, {1, 4}), 3);
  // Errors: axis 2 of a rank-2 tensor; a negative block size.
  EXPECT_NE(errorOf(getParamShape({2, 6}, {2, 0})), "");
  EXPECT_NE(errorOf(getParamShape({2, 6}, {1, -2})), "");
  EXPECT_NE(errorOf(getParamShape({2, 6}, {2, 2})), "");
}

// Tests getParamIndex against hand-computed row-major group indices.
TEST(NumericsGranularityTest, ParamIndex) {
  // Per tensor: always 0.
  EXPECT_EQ(getParamIndex({4, 3}, {3, 2}, {}), 0);
  // Per channel: the index along the axis.
  EXPECT_EQ(getParamIndex({4, 3}, {2, 1}, {0, 0}), 2);
  EXPECT_EQ(getParamIndex({4, 3}, {2, 1}, {1, 0}), 1);
  // Per block [2, 6], axis 1, block 2 -> param shape [2, 3]: element (1, 5)
  // is in block 5 / 2 = 2 of row 1: 1 * 3 + 2 = 5.
  EXPECT_EQ(getParamIndex({2, 6}, {1, 5}, {1, 2}), 5);
  EXPECT_EQ(getParamIndex({2, 6}, {0, 1}, {1, 2}), 0);
  EXPECT_EQ(getParamIndex({2, 6}, {0, 2}, {1, 2}), 1);
  // Per block [4, 3], axis 0, block 2 -> param shape [2, 3]: (3, 1) is in
  // block 1 along axis 0, column 1: 1 * 3 + 1 = 4.
  EXPECT_EQ(getParamIndex({4, 3}, {3, 1}, {0, 2}), 4);
  // Block == dim: one block along the axis; [2, 6] -> [2, 1]: row index.
  EXPECT_EQ(getParamIndex({2, 6}, {1, 4}, {1, 6}), 1);
}

// Tests solveForTensor per tensor, per channel (axis 0 and 1) and per block.
TEST(NumericsGranularityTest, SolveForTensor) {
  // A 2x3 tensor whose rows have amax 1.27 and 2.54 and whose columns have
  // amax 2.54, 0.635 and 0.127.
  const float data[] = {-1.27f, 0.5f, 0.127f, 2.54f, -0.635f, 0.0f};
  const int64_t shape[] = {2, 3};
  SolverOptions opts = options(StorageKind::I8, Scheme::Symmetric);
  auto scales = [&](Granularity g) {
    std::vector<float> result;
    Expected<std::vector<QuantParams>> params =
        solveForTensor(data, shape, g, opts);
    if (!params) {
      ADD_FAILURE() << toString(params.takeError());
      return result;
    }
    for (const QuantParams &p : *params)
      result.push_back(p.scale);
    return result;
  };
  using Scales = std::vector<float>;
  // amax / 127 per group, in float32.
  EXPECT_EQ(scales({}), Scales{2.54f / 127.0f});
  EXPECT_EQ(scales({0, 0}), (Scales{1.27f / 127.0f, 2.54f / 127.0f}));
  EXPECT_EQ(scales({1, 0}),
            (Scales{2.54f / 127.0f, 0.635f / 127.0f, 0.127f / 127.0f}));
  // Blocks of 3 along axis 1 (block == dim): the same as per row.
  EXPECT_EQ(scales({1, 3}), (Scales{1.27f / 127.0f, 2.54f / 127.0f}));
  // Blocks of 1 along axis 1: one group per element, |x| / 127; the zero
  // element gets scale 1.
  EXPECT_EQ(scales({1, 1}),
            (Scales{1.27f / 127.0f, 0.5f / 127.0f, 0.127f / 127.0f,
                    2.54f / 127.0f, 0.635f / 127.0f, 1.0f}));
  // Blocks of 2 along axis 0 (block == dim): the same as per column.
  EXPECT_EQ(scales({0, 2}),
            (Scales{2.54f / 127.0f, 0.635f / 127.0f, 0.127f / 127.0f}));
  // Blocks of 2 along axis 1 (3 columns): blocks {0, 1} and {2} per row:
  // row 0 amax 1.27 then 0.127, row 1 amax 2.54 then 0 (scale 1).
  EXPECT_EQ(scales({1, 2}), (Scales{1.27f / 127.0f, 0.127f / 127.0f,
                                    2.54f / 127.0f, 1.0f}));
  // Wrong element count: error.
  EXPECT_NE(errorOf(solveForTensor(ArrayRef<float>(data).drop_back(), shape, {},
                                   opts)),
            "");
}

// Tests solveForTensor's handling of constant, single-element and
// non-finite data.
TEST(NumericsGranularityTest, SolveForTensorDegenerate) {
  SolverOptions asym = options(StorageKind::U8, Scheme::Asymmetric, false);
  // Single element -2 -> range [-2, 0]: scale 2/255, zp 255.
  const float single[] = {-2.0f};
  Expected<std::vector<QuantParams>> p = solveForTensor(single, {1}, {}, asym);
  ASSERT_TRUE(bool(p)) << toString(p.takeError());
  ASSERT_EQ(p->size(), 1u);
  EXPECT_FLOAT_BITS_EQ((*p)[0].scale, 2.0f / 255.0f);
  EXPECT_EQ((*p)[0].zeroPoint, 255);
  // All-zero tensor: scale 1, zp qmin 0.
  const float zeros[] = {0.0f, -0.0f, 0.0f, 0.0f};
  p = solveForTensor(zeros, {2, 2}, {0, 0}, asym);
  ASSERT_TRUE(bool(p)) << toString(p.takeError());
  for (const QuantParams &q : *p) {
    EXPECT_FLOAT_BITS_EQ(q.scale, 1.0f);
    EXPECT_EQ(q.zeroPoint, 0);
  }
  // Constant 5 under minval: zero width, scale 1, m = 5.
  const float fives[] = {5.0f, 5.0f, 5.0f};
  p = solveForTensor(fives, {3}, {},
                     options(StorageKind::U8, Scheme::Minval, false));
  ASSERT_TRUE(bool(p)) << toString(p.takeError());
  EXPECT_FLOAT_BITS_EQ((*p)[0].scale, 1.0f);
  EXPECT_FLOAT_BITS_EQ((*p)[0].minValue, 5.0f);
  // NaN and +-Inf are ignored for the range; a row without a finite
  // element behaves like an all-zero row (scale 1). Row 0 amax 1.27.
  const float nonFinite[] = {kNaN, -1.27f, kInf, -kInf, kNaN, kInf};
  p = solveForTensor(nonFinite, {2, 3}, {0, 0},
                     options(StorageKind::I8, Scheme::Symmetric));
  ASSERT_TRUE(bool(p)) << toString(p.takeError());
  ASSERT_EQ(p->size(), 2u);
  EXPECT_FLOAT_BITS_EQ((*p)[0].scale, 0.01f);
  EXPECT_FLOAT_BITS_EQ((*p)[1].scale, 1.0f);
}

TEST(NumericsCustomRange, BitsRangesAndSolver) {
  using namespace quantopt::numerics;
  // 3 signed bits: [-4, 3], narrow [-3, 3]; 3 unsigned bits: [0, 7].
  EXPECT_EQ(getBitsRange(StorageKind::I4, 3, false).qmin, -4);
  EXPECT_EQ(getBitsRange(StorageKind::I4, 3, false).qmax, 3);
  EXPECT_EQ(getBitsRange(StorageKind::I4, 3, true).qmin, -3);
  EXPECT_EQ(getBitsRange(StorageKind::U4, 3, false).qmin, 0);
  EXPECT_EQ(getBitsRange(StorageKind::U4, 3, false).qmax, 7);
  // Asymmetric over [-1, 2.5] on [-4, 3]: s = 3.5 / 7 = 0.5,
  // z = -4 - round(-1 / 0.5) = -2 (exact).
  SolverOptions options;
  options.storage = StorageKind::I4;
  options.scheme = Scheme::Asymmetric;
  options.narrowRange = false;
  options.rangeMin = -4;
  options.rangeMax = 3;
  auto p = solveFromRange(-1.0, 2.5, options);
  ASSERT_TRUE(static_cast<bool>(p));
  EXPECT_FLOAT_EQ(p->scale, 0.5f);
  EXPECT_EQ(p->zeroPoint, -2);
  // Symmetric over amax 1.4 on [-4, 3]: s = 1.4 / (7 / 2) = 0.4, z = 0; on
  // unsigned [0, 7] the zero point is the mid-point (0 + 7 + 1) / 2 = 4.
  options.scheme = Scheme::Symmetric;
  p = solveFromRange(-1.4, 0.5, options);
  ASSERT_TRUE(static_cast<bool>(p));
  EXPECT_FLOAT_EQ(p->scale, 0.4f);
  EXPECT_EQ(p->zeroPoint, 0);
  options.storage = StorageKind::U4;
  options.rangeMin = 0;
  options.rangeMax = 7;
  p = solveFromRange(-1.4, 0.5, options);
  ASSERT_TRUE(static_cast<bool>(p));
  EXPECT_EQ(p->zeroPoint, 4);
  EXPECT_EQ(options.getIntRange().qmax, 7);
}

} // namespace
