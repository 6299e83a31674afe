//===- NumericsRequantizeTest.cpp - Requantization tests ------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// Hand-derived cases of fixed-point multipliers (computeFixedPointMultiplier,
// the double rounding against a transcription of TFLite's) and
// requantization.
//
//===----------------------------------------------------------------------===//

#include "NumericsTestUtil.h"

#include <random>

using namespace numtest;

namespace {

//===----------------------------------------------------------------------===//
// Requantization
//===----------------------------------------------------------------------===//

// Tests computeFixedPointMultiplier on exact powers of two and simple values.
TEST(NumericsFixedPointTest, Compute) {
  struct Case {
    double m;
    int32_t multiplier, shift;
  };
  // m = multiplier * 2^-shift with multiplier in [2^30, 2^31).
  const Case cases[] = {
      {0.5, 1 << 30, 31},            // 2^30 * 2^-31
      {1.0, 1 << 30, 30},            // 2^30 * 2^-30
      {0.25, 1 << 30, 32},           // 2^30 * 2^-32
      {0.75, 3 << 29, 31},           // 3 * 2^29 * 2^-31
      {2.0, 1 << 30, 29},            // 2^30 * 2^-29
      {1.0 / 3, 1431655765, 32},     // round(2^32 / 3) = 1431655765.33 -> down
      {2.0 / 3, 1431655765, 31},     // round(2^31 * 2/3) = 1431655765.33
      {1073741823.0, 2147483646, 1}, // (2^30 - 1) * 2 * 2^-1
      {std::ldexp(1.0, -32), 1 << 30, 62}, // the last unsaturated shift
      // 1 - 2^-33: 2^31 * m = 2^31 - 0.25 rounds up to 2^31, renormalized.
      {1.0 - std::ldexp(1.0, -33), 1 << 30, 30},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.m);
    Expected<FixedPointMultiplier> fp = computeFixedPointMultiplier(c.m);
    ASSERT_TRUE(bool(fp)) << toString(fp.takeError());
    EXPECT_EQ(fp->multiplier, c.multiplier);
    EXPECT_EQ(fp->shift, c.shift);
  }
}

// Tests that multipliers below 2^-32 saturate the shift at 62 and round the
// multiplier once, to nearest.
TEST(NumericsFixedPointTest, TinyMultipliers) {
  struct Case {
    double m;
    int32_t multiplier;
  };
  // With shift 62 the multiplier is round(m * 2^62).
  const Case cases[] = {
      {std::ldexp(1.0, -33), 1 << 29}, // 2^-33 * 2^62
      {std::ldexp(1.0, -40), 1 << 22}, // 2^-40 * 2^62
      {std::ldexp(3.0, -40), 3 << 22}, // 3 * 2^-40 * 2^62
      // m * 2^62 = 2^29 + 0.375 -> 2^29. (Rounding twice, first to 31 bits
      // (2^30 + 0.75 -> 2^30 + 1) and then by one bit, would give 2^29 + 1.)
      {std::ldexp(1073741824.75, -63), 1 << 29},
      // m * 2^62 = 2^29 + 0.5 -> 2^29 + 1 (ties up).
      {std::ldexp(1073741825.0, -63), (1 << 29) + 1},
      // 2^-63 * 2^62 = 0.5 -> 1; 2^-64 * 2^62 = 0.25 -> 0.
      {std::ldexp(1.0, -63), 1},
      {std::ldexp(1.0, -64), 0},
      // Far below: 1e-30 * 2^62 = 4.6e-12 -> 0.
      {1e-30, 0},
  };
  for (const Case &c : cases) {
    SCOPED_TRACE(c.m);
    Expected<FixedPointMultiplier> fp = computeFixedPointMultiplier(c.m);
    ASSERT_TRUE(bool(fp)) << toString(fp.takeError());
    EXPECT_EQ(fp->multiplier, c.multiplier);
    EXPECT_EQ(fp->shift, 62);
  }
}

// Tests that too large, non-positive and non-finite multipliers fail.
TEST(NumericsFixedPointTest, Rejected) {
  // 2^30 would need shift 0; NaN, +-Inf, 0, -0 and negatives are invalid.
  for (double m : {std::ldexp(1.0, 30), 1e10, 0.0, -0.0, -0.5, -1e-40,
                   std::numeric_limits<double>::quiet_NaN(),
                   std::numeric_limits<double>::infinity(),
                   -std::numeric_limits<double>::infinity()}) {
    SCOPED_TRACE(m);
    EXPECT_NE(errorOf(computeFixedPointMultiplier(m)), "");
  }
  // Just below 2^30 is accepted (shift 1).
  EXPECT_EQ(errorOf(computeFixedPointMultiplier(std::ldexp(1.0, 30) - 64)), "");
}

// Tests applyFixedPointMultiplier's rounding: half towards +infinity.
TEST(NumericsFixedPointTest, Apply) {
  const FixedPointMultiplier half{1 << 30, 31}; // 0.5
  const FixedPointMultiplier one{1 << 30, 30};  // 1.0
  const FixedPointMultiplier quarter{1 << 30, 32};
  // v * 0.5: 3 -> 1.5 -> 2; 5 -> 2.5 -> 3; -3 -> -1.5 -> -1;
  // -5 -> -2.5 -> -2; 1 -> 0.5 -> 1; -1 -> -0.5 -> 0 (ties up, not away).
  EXPECT_EQ(applyFixedPointMultiplier(3, half), 2);
  EXPECT_EQ(applyFixedPointMultiplier(5, half), 3);
  EXPECT_EQ(applyFixedPointMultiplier(-3, half), -1);
  EXPECT_EQ(applyFixedPointMultiplier(-5, half), -2);
  EXPECT_EQ(applyFixedPointMultiplier(1, half), 1);
  EXPECT_EQ(applyFixedPointMultiplier(-1, half), 0);
  EXPECT_EQ(applyFixedPointMultiplier(0, half), 0);
  // v * 0.25: 6 -> 1.5 -> 2; -6 -> -1.5 -> -1; 5 -> 1.25 -> 1;
  // -7 -> -1.75 -> -2.
  EXPECT_EQ(applyFixedPointMultiplier(6, quarter), 2);
  EXPECT_EQ(applyFixedPointMultiplier(-6, quarter), -1);
  EXPECT_EQ(applyFixedPointMultiplier(5, quarter), 1);
  EXPECT_EQ(applyFixedPointMultiplier(-7, quarter), -2);
  // m = 1 is the identity, including on 33-bit values.
  for (int64_t v :
       {int64_t(0), int64_t(-1), int64_t(2147483647), int64_t(-2147483648LL),
        int64_t(4294967295LL), int64_t(-4294967296LL)})
    EXPECT_EQ(applyFixedPointMultiplier(v, one), v);
  // The most negative 33-bit value with the largest multiplier and shift:
  // -2^32 * (2^31 - 1) * 2^-62 = -2 + 2^-30, rounds to -2.
  EXPECT_EQ(applyFixedPointMultiplier(-4294967296LL, {2147483647, 62}), -2);
}

// Tests TOSA's DOUBLE_ROUND (apply_scale_32 with double_round): for shifts
// above 31 the rounding term moves by 2^30 away from zero, as if the value
// were first rounded at bit 31 (half away from zero) and then at the shift.
TEST(NumericsFixedPointTest, DoubleRound) {
  const FixedPointMultiplier eighth{1 << 30, 33}; // 0.125
  // 3 * 2^30: rounded at bit 31, 1.5 -> 2; then 2 / 4 = 0.5 -> 1. A single
  // rounding gives 0.375 -> 0.
  EXPECT_EQ(applyFixedPointMultiplier(3, eighth, /*doubleRound=*/true), 1);
  EXPECT_EQ(applyFixedPointMultiplier(3, eighth), 0);
  // -3: -3 * 2^30 + (2^32 - 2^30) = 0, >> 33 = 0 (single: -0.375 -> 0).
  EXPECT_EQ(applyFixedPointMultiplier(-3, eighth, true), 0);
  // -5: -5 * 2^30 + (2^32 - 2^30) = -2^31, >> 33 = -1 (arithmetic shift);
  // single rounding: -0.625 -> -1 as well.
  EXPECT_EQ(applyFixedPointMultiplier(-5, eighth, true), -1);
  EXPECT_EQ(applyFixedPointMultiplier(-5, eighth), -1);
  // 4: 0.5 exactly -> 1 either way.
  EXPECT_EQ(applyFixedPointMultiplier(4, eighth, true), 1);
  // Shifts up to 31 are not affected: 3 * 0.5 = 1.5 -> 2 either way.
  EXPECT_EQ(applyFixedPointMultiplier(3, {1 << 30, 31}, true), 2);
  EXPECT_EQ(applyFixedPointMultiplier(-3, {1 << 30, 31}, true), -1);
  // Through requantizeFixedPoint: (3 - 0) * 0.125 -> 1, + 5 = 6.
  EXPECT_EQ(requantizeFixedPoint(3, 0, eighth, 5, {-128, 127}, true), 6);
  EXPECT_EQ(requantizeFixedPoint(3, 0, eighth, 5, {-128, 127}), 5);
}

// TFLite's reference requantization (tensorflow/lite/kernels/internal/
// common.h: MultiplyByQuantizedMultiplier, SaturatingRoundingDoublingHighMul,
// RoundingDivideByPOT; quantization_util.cc: QuantizeMultiplier), transcribed
// as the oracle of the next test.
namespace tflite_oracle {
int32_t highMul(int32_t a, int32_t b) {
  bool overflow = a == b && a == std::numeric_limits<int32_t>::min();
  int64_t ab = int64_t(a) * int64_t(b);
  int32_t nudge = ab >= 0 ? (1 << 30) : (1 - (1 << 30));
  int32_t high = static_cast<int32_t>((ab + nudge) / (int64_t(1) << 31));
  return overflow ? std::numeric_limits<int32_t>::max() : high;
}
int32_t divideByPOT(int32_t x, int exponent) {
  int64_t mask = (int64_t(1) << exponent) - 1;
  int64_t remainder = int64_t(x) & mask;
  int64_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}
int32_t multiply(int32_t x, int32_t multiplier, int shift) {
  int left = shift > 0 ? shift : 0, right = shift > 0 ? 0 : -shift;
  return divideByPOT(highMul(x * (1 << left), multiplier), right);
}
void quantizeMultiplier(double m, int32_t &multiplier, int &shift) {
  double q = std::frexp(m, &shift);
  int64_t fixed = static_cast<int64_t>(std::round(q * (int64_t(1) << 31)));
  if (fixed == (int64_t(1) << 31)) {
    fixed /= 2;
    ++shift;
  }
  if (shift < -31) {
    shift = 0;
    fixed = 0;
  }
  multiplier = static_cast<int32_t>(fixed);
}
} // namespace tflite_oracle

// Tests that fixed_point_double_round is TFLite's requantization: the same
// Q31 multiplier (TFLite's shift s is our 31 - s) and the same results as
// MultiplyByQuantizedMultiplier for 200,000 random accumulators and ratios
// from 2^-31 to 2^8 (left shifts with accumulators that do not overflow).
// Below 2^-31 TFLite flushes the multiplier to 0 and we keep 31 bits
// (docs/Numerics.md).
TEST(NumericsFixedPointTest, DoubleRoundIsTfLite) {
  std::mt19937_64 rng(20261205);
  std::uniform_real_distribution<double> log2Ratio(-31.0, 8.0);
  std::uniform_int_distribution<int32_t> acc(
      std::numeric_limits<int32_t>::min() + 1,
      std::numeric_limits<int32_t>::max());
  int checked = 0, leftShifts = 0;
  for (int i = 0; i < 200000; ++i) {
    double m = std::exp2(log2Ratio(rng));
    int32_t tflMultiplier;
    int tflShift;
    tflite_oracle::quantizeMultiplier(m, tflMultiplier, tflShift);
    Expected<FixedPointMultiplier> ours = computeFixedPointMultiplier(m);
    ASSERT_TRUE(bool(ours)) << toString(ours.takeError());
    ASSERT_EQ(ours->multiplier, tflMultiplier) << " m=" << m;
    ASSERT_EQ(ours->shift, 31 - tflShift) << " m=" << m;
    int32_t v = acc(rng);
    if (tflShift > 0) { // keep x * 2^left inside int32
      v >>= tflShift + 1;
      ++leftShifts;
    }
    ASSERT_EQ(applyFixedPointMultiplier(v, *ours, /*doubleRound=*/true),
              tflite_oracle::multiply(v, tflMultiplier, tflShift))
        << " v=" << v << " m=" << m;
    ++checked;
  }
  EXPECT_EQ(checked, 200000);
  EXPECT_GT(leftShifts, 10000);
  // Ties, by hand: 3 * 0.125 rounds at bit 31 first (TFLite's high
  // multiply), then at the shift: 1, where one rounding gives 0.
  EXPECT_EQ(tflite_oracle::multiply(3, 1 << 30, -2), 1);
  EXPECT_EQ(applyFixedPointMultiplier(3, {1 << 30, 33}, true), 1);
  EXPECT_EQ(tflite_oracle::multiply(-5, 1 << 30, -2), -1);
  EXPECT_EQ(applyFixedPointMultiplier(-5, {1 << 30, 33}, true), -1);
}

// Tests the agreement of explicit multipliers with a real ratio.
TEST(NumericsFixedPointTest, MultiplierMatches) {
  EXPECT_TRUE(fixedPointMultiplierMatches({1 << 30, 33}, 0.125));
  EXPECT_TRUE(fixedPointMultiplierMatches({3, 2}, 0.75));
  // 16-bit multipliers (TOSA scale32 = false) state the ratio as well.
  EXPECT_TRUE(fixedPointMultiplierMatches({24576, 15}, 0.75));
  EXPECT_TRUE(fixedPointMultiplierMatches({1 << 30, 33}, 0.125 * (1 + 1e-7)));
  EXPECT_FALSE(fixedPointMultiplierMatches({1 << 30, 33}, 0.125 * (1 + 1e-5)));
  EXPECT_FALSE(fixedPointMultiplierMatches({0, 33}, 0.0));
  EXPECT_FALSE(fixedPointMultiplierMatches({1 << 30, 63}, std::ldexp(1.0, -33)));
  EXPECT_FALSE(fixedPointMultiplierMatches({-1, 3}, 0.125));
}

// Tests the float requantize path: multiplier, half-even rounding and
// saturation.
TEST(NumericsRequantizeTest, Float) {
  // float(double(0.5f) / double(0.25f)) = 2.
  EXPECT_EQ(computeFloatMultiplier(0.5, 0.25), 2.0f);
  // The scales are float32 first: float(double(0.1f) / double(0.3f)).
  EXPECT_EQ(computeFloatMultiplier(0.1, 0.3),
            static_cast<float>(double(0.1f) / double(0.3f)));
  IntRange i8 = getIntRange(StorageKind::I8, false);
  IntRange i8n = getIntRange(StorageKind::I8, true);
  IntRange u8 = getIntRange(StorageKind::U8, false);
  // (100 - 0) * 2 = 200 > 127; -200 < -128 (narrow -127).
  EXPECT_EQ(requantizeFloat(100, 0, 2.0f, 0, i8), 127);
  EXPECT_EQ(requantizeFloat(-100, 0, 2.0f, 0, i8), -128);
  EXPECT_EQ(requantizeFloat(-100, 0, 2.0f, 0, i8n), -127);
  // Ties go to even: 5 * 0.5 = 2.5 -> 2; 7 * 0.5 = 3.5 -> 4; -5 -> -2.
  EXPECT_EQ(requantizeFloat(5, 0, 0.5f, 0, i8), 2);
  EXPECT_EQ(requantizeFloat(7, 0, 0.5f, 0, i8), 4);
  EXPECT_EQ(requantizeFloat(-5, 0, 0.5f, 0, i8), -2);
  // Zero points: (10 - 4) * 0.5 = 3, + 128 = 131.
  EXPECT_EQ(requantizeFloat(10, 4, 0.5f, 128, u8), 131);
  // u8 saturation through the output zero point: 300 + 128 and -300 + 128.
  EXPECT_EQ(requantizeFloat(300, 0, 1.0f, 128, u8), 255);
  EXPECT_EQ(requantizeFloat(-300, 0, 1.0f, 128, u8), 0);
  // An i32 accumulator at its extremes: (2^31 - 1) * 1 saturates i8.
  EXPECT_EQ(requantizeFloat(2147483647LL, 0, 1.0f, 0, i8), 127);
}

// Tests the integer-only requantize path: rounding and saturation.
TEST(NumericsRequantizeTest, FixedPoint) {
  const FixedPointMultiplier half{1 << 30, 31};
  const FixedPointMultiplier two{1 << 30, 29};
  IntRange i8 = getIntRange(StorageKind::I8, false);
  IntRange i8n = getIntRange(StorageKind::I8, true);
  IntRange u8 = getIntRange(StorageKind::U8, false);
  // 5 * 0.5 = 2.5 -> 3 (half up; the float path gives 2); -5 -> -2.
  EXPECT_EQ(requantizeFixedPoint(5, 0, half, 0, i8), 3);
  EXPECT_EQ(requantizeFixedPoint(-5, 0, half, 0, i8), -2);
  // (10 - 4) * 0.5 + 128 = 131.
  EXPECT_EQ(requantizeFixedPoint(10, 4, half, 128, u8), 131);
  // 100 * 2 = 200 > 127; -200 < -128 (narrow -127).
  EXPECT_EQ(requantizeFixedPoint(100, 0, two, 0, i8), 127);
  EXPECT_EQ(requantizeFixedPoint(-100, 0, two, 0, i8), -128);
  EXPECT_EQ(requantizeFixedPoint(-100, 0, two, 0, i8n), -127);
  // u8 saturation through the output zero point.
  EXPECT_EQ(requantizeFixedPoint(300, 0, half, 128, u8), 255);
  EXPECT_EQ(requantizeFixedPoint(-300, 0, half, 128, u8), 0);
  // An i32 accumulator: (2^31 - 1) * 0.5 -> 2^30, saturates i8.
  EXPECT_EQ(requantizeFixedPoint(2147483647LL, 0, half, 0, i8), 127);
}

} // namespace
