//===- NumericsProfileTest.cpp - Tests for the framework profiles ---------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// Hand-derived cases for the torch profile (torch.ao's _calculate_qparams)
// and the onnxruntime profile (ONNX Runtime's compute_scale_zp): the
// bit-for-bit comparisons are test/quant-params/torch-profile.test (torch's
// observers) and onnxruntime-profile.test (a NumPy transcription).
//
//===----------------------------------------------------------------------===//

#include "NumericsTestUtil.h"

#include "gmock/gmock.h"

using namespace numtest;

namespace {
SolverOptions profileOptions(Profile profile, StorageKind storage,
                             Scheme scheme) {
  SolverOptions options;
  options.storage = storage;
  options.scheme = scheme;
  options.profile = profile;
  options.setDefaults();
  return options;
}
SolverOptions torchOptions(StorageKind storage, Scheme scheme) {
  return profileOptions(Profile::Torch, storage, scheme);
}
SolverOptions ortOptions(StorageKind storage, Scheme scheme) {
  return profileOptions(Profile::OnnxRuntime, storage, scheme);
}
} // namespace

TEST(NumericsProfile, Names) {
  EXPECT_EQ(getProfileName(Profile::Torch), "torch");
  EXPECT_EQ(getProfileName(Profile::QuantOpt), "quantopt");
  EXPECT_EQ(parseProfileName("torch"), Profile::Torch);
  EXPECT_EQ(parseProfileName("quantopt"), Profile::QuantOpt);
  EXPECT_EQ(parseProfileName("onnxruntime"), Profile::OnnxRuntime);
  EXPECT_EQ(parseProfileName("tflite"), Profile::TfLite);
  EXPECT_EQ(getProfileName(Profile::OnnxRuntime), "onnxruntime");
  EXPECT_EQ(getProfileName(Profile::TfLite), "tflite");
  EXPECT_EQ(parseProfileName("mxnet"), std::nullopt);
  // torch quantizes weights by the float32 reciprocal of the scale.
  EXPECT_EQ(getQuantizeRounding(Profile::Torch), RoundingMode::Reciprocal);
  EXPECT_EQ(getQuantizeRounding(Profile::OnnxRuntime), RoundingMode::HalfEven);
  EXPECT_EQ(getQuantizeRounding(Profile::QuantOpt), RoundingMode::HalfEven);
}

// The defaults: symmetric int8 takes the narrow range under QuantOpt's
// profile, the full one under torch's; MX scales are powers of two.
TEST(NumericsProfile, Defaults) {
  SolverOptions ours;
  ours.setDefaults();
  EXPECT_TRUE(ours.narrowRange);
  SolverOptions torch = torchOptions(StorageKind::I8, Scheme::Symmetric);
  EXPECT_FALSE(torch.narrowRange);
  torch.setDefaults(true); // the user's choice wins
  EXPECT_TRUE(torch.narrowRange);
  SolverOptions mx;
  mx.storage = StorageKind::F4E2M1FN;
  mx.scheme = Scheme::Mx;
  mx.setDefaults(true);
  EXPECT_TRUE(mx.powerOfTwo);
  EXPECT_FALSE(mx.narrowRange); // float storage has no narrow range
}

// Symmetric int8 over [-1, 2.55]: 2.55 / 127.5 = 0.02 (float32 division);
// quint8's zero point 128.
TEST(NumericsProfile, TorchSymmetric) {
  auto s8 = solveFromRange(-1.0, 2.55,
                           torchOptions(StorageKind::I8, Scheme::Symmetric));
  ASSERT_TRUE(static_cast<bool>(s8));
  EXPECT_EQ(s8->scale, 2.55f / 127.5f);
  EXPECT_EQ(s8->zeroPoint, 0);
  auto u8 = solveFromRange(-1.0, 2.55,
                           torchOptions(StorageKind::U8, Scheme::Symmetric));
  ASSERT_TRUE(static_cast<bool>(u8));
  EXPECT_EQ(u8->scale, 2.55f / 127.5f);
  EXPECT_EQ(u8->zeroPoint, 128);
}

// Asymmetric u8 over [-1, 3]: s = 4 / 255, z = 0 - round(-1 / s) =
// round(63.75) = 64; qint8: -128 + 64 = -64.
TEST(NumericsProfile, TorchAsymmetric) {
  auto u8 = solveFromRange(-1.0, 3.0,
                           torchOptions(StorageKind::U8, Scheme::Asymmetric));
  ASSERT_TRUE(static_cast<bool>(u8));
  EXPECT_EQ(u8->scale, 4.0f / 255.0f);
  EXPECT_EQ(u8->zeroPoint, 64);
  auto s8 = solveFromRange(-1.0, 3.0,
                           torchOptions(StorageKind::I8, Scheme::Asymmetric));
  ASSERT_TRUE(static_cast<bool>(s8));
  EXPECT_EQ(s8->zeroPoint, -64);
}

// Degenerate ranges: every scale at least float32's epsilon 2^-23 (a zero
// range too; QuantOpt's profile gives 1 there and keeps tiny scales).
TEST(NumericsProfile, TorchEps) {
  const float eps = 0x1p-23f;
  auto zero = solveFromRange(0.0, 0.0,
                             torchOptions(StorageKind::U8, Scheme::Asymmetric));
  ASSERT_TRUE(static_cast<bool>(zero));
  EXPECT_EQ(zero->scale, eps);
  EXPECT_EQ(zero->zeroPoint, 0);
  auto tiny = solveFromRange(0.0, 1e-9,
                             torchOptions(StorageKind::I8, Scheme::Symmetric));
  ASSERT_TRUE(static_cast<bool>(tiny));
  EXPECT_EQ(tiny->scale, eps);
  SolverOptions ours;
  auto oursZero = solveFromRange(0.0, 0.0, ours);
  ASSERT_TRUE(static_cast<bool>(oursZero));
  EXPECT_EQ(oursZero->scale, 1.0f);
}

// reduce_range: i8 [-64, 63], u8 [0, 127]; symmetric i8 over amax 6.35:
// 6.35 / 63.5 = 0.1; symmetric u8 with it is refused, as torch does.
TEST(NumericsProfile, TorchReduceRange) {
  SolverOptions options = torchOptions(StorageKind::I8, Scheme::Symmetric);
  options.reduceRange = true;
  EXPECT_EQ(options.getIntRange().qmin, -64);
  EXPECT_EQ(options.getIntRange().qmax, 63);
  auto s8 = solveFromRange(-6.35, 1.0, options);
  ASSERT_TRUE(static_cast<bool>(s8));
  EXPECT_EQ(s8->scale, 6.35f / 63.5f);
  SolverOptions u8 = torchOptions(StorageKind::U8, Scheme::Asymmetric);
  u8.reduceRange = true;
  EXPECT_EQ(u8.getIntRange().qmax, 127);
  u8.scheme = Scheme::Symmetric;
  auto refused = solveFromRange(-1.0, 1.0, u8);
  ASSERT_FALSE(static_cast<bool>(refused));
  EXPECT_THAT(llvm::toString(refused.takeError()),
              testing::HasSubstr("does not reduce the range of symmetric u8"));
}

// A customised range [0, 15] in u8, symmetric: zero point floor(15 / 2) = 7
// (QuantOpt's profile: the upper mid-point 8); [-127, 127] in i8: 0.
TEST(NumericsProfile, TorchCustomRange) {
  SolverOptions options = torchOptions(StorageKind::U8, Scheme::Symmetric);
  options.rangeMin = 0;
  options.rangeMax = 15;
  auto p = solveFromRange(-3.0, 3.0, options);
  ASSERT_TRUE(static_cast<bool>(p));
  EXPECT_EQ(p->scale, 3.0f / 7.5f);
  EXPECT_EQ(p->zeroPoint, 7);
  options.profile = Profile::QuantOpt;
  auto ours = solveFromRange(-3.0, 3.0, options);
  ASSERT_TRUE(static_cast<bool>(ours));
  EXPECT_EQ(ours->zeroPoint, 8);
}

// What torch does not define is refused with a message.
TEST(NumericsProfile, TorchRefuses) {
  for (auto [storage, scheme] :
       {std::pair{StorageKind::F8E4M3FN, Scheme::Symmetric},
        std::pair{StorageKind::I8, Scheme::Minval},
        std::pair{StorageKind::U4, Scheme::Symmetric}}) {
    auto p = solveFromRange(-1.0, 1.0, torchOptions(storage, scheme));
    ASSERT_FALSE(static_cast<bool>(p));
    EXPECT_THAT(llvm::toString(p.takeError()),
                testing::HasSubstr("torch profile"));
  }
}

// ONNX Runtime, hand-derived. Symmetric i8 solves over [-127, 127]: amax
// 2.54 -> 5.08 / 254 = 0.02 (in float64, then float32), zero point 0;
// symmetric u8 over [0, 254]: the same scale, zero point round(254 / 2) =
// 127; the attribute keeps the full range (no narrow).
TEST(NumericsProfile, OnnxRuntimeSymmetric) {
  SolverOptions s8 = ortOptions(StorageKind::I8, Scheme::Symmetric);
  EXPECT_FALSE(s8.narrowRange);
  auto p = solveFromRange(-2.54, 1.0, s8);
  ASSERT_TRUE(static_cast<bool>(p));
  EXPECT_EQ(p->scale, static_cast<float>(double(2.54f + 2.54f) / 254.0));
  EXPECT_EQ(p->zeroPoint, 0);
  auto u = solveFromRange(-2.54, 1.0,
                          ortOptions(StorageKind::U8, Scheme::Symmetric));
  ASSERT_TRUE(static_cast<bool>(u));
  EXPECT_EQ(u->scale, p->scale);
  EXPECT_EQ(u->zeroPoint, 127);
}

// Asymmetric u8 over [-1, 3]: s = 4 / 255 in float64, z = round(0 + 1 / s)
// = round(63.75) = 64, from the float64 scale; reduce_range: [0, 127],
// s = 4 / 127, z = round(31.75) = 32; i8 reduce_range [-64, 64]:
// s = 4 / 128, z = round(-64 + 32) = -32.
TEST(NumericsProfile, OnnxRuntimeAsymmetric) {
  auto u8 = solveFromRange(-1.0, 3.0,
                           ortOptions(StorageKind::U8, Scheme::Asymmetric));
  ASSERT_TRUE(static_cast<bool>(u8));
  EXPECT_EQ(u8->scale, static_cast<float>(4.0 / 255.0));
  EXPECT_EQ(u8->zeroPoint, 64);
  SolverOptions reduced = ortOptions(StorageKind::U8, Scheme::Asymmetric);
  reduced.reduceRange = true;
  auto r = solveFromRange(-1.0, 3.0, reduced);
  ASSERT_TRUE(static_cast<bool>(r));
  EXPECT_EQ(r->scale, static_cast<float>(4.0 / 127.0));
  EXPECT_EQ(r->zeroPoint, 32);
  // The values keep u8's full range (QuantizeLinear clamps there).
  EXPECT_EQ(reduced.getIntRange().qmax, 255);
  SolverOptions s8 = ortOptions(StorageKind::I8, Scheme::Asymmetric);
  s8.reduceRange = true;
  auto q = solveFromRange(-1.0, 3.0, s8);
  ASSERT_TRUE(static_cast<bool>(q));
  EXPECT_EQ(q->scale, 4.0f / 128.0f);
  EXPECT_EQ(q->zeroPoint, -32);
}

// A scale below FLT_MIN (a zero or denormal-wide range) gives scale 1 and
// zero point 0, even for symmetric u8 (not 127) and asymmetric i8 (not
// -128).
TEST(NumericsProfile, OnnxRuntimeDegenerate) {
  for (Scheme scheme : {Scheme::Symmetric, Scheme::Asymmetric})
    for (StorageKind storage : {StorageKind::U8, StorageKind::I8}) {
      auto p = solveFromRange(0.0, 1e-40, ortOptions(storage, scheme));
      ASSERT_TRUE(static_cast<bool>(p));
      EXPECT_EQ(p->scale, 1.0f);
      EXPECT_EQ(p->zeroPoint, 0);
    }
  auto i2 =
      solveFromRange(-1.0, 1.0, ortOptions(StorageKind::I2, Scheme::Symmetric));
  ASSERT_FALSE(static_cast<bool>(i2));
  EXPECT_THAT(llvm::toString(i2.takeError()),
              testing::HasSubstr("4-, 8- and 16-bit integer storage"));
}

// TFLite, hand-derived: symmetric i8 on [-127, 127], amax 2.54 -> 2.54 /
// 127 = 0.02 in float32; asymmetric u8 over [-2.5, 252.5] * 2^-8: s = 2^-8,
// zero point from 2.5, rounded away from zero to 3 (QuantOpt's half to even
// gives 2); a zero range: scale 1 (TFLite stores 0), zero point qmin.
TEST(NumericsProfile, TfLite) {
  SolverOptions s8 =
      profileOptions(Profile::TfLite, StorageKind::I8, Scheme::Symmetric);
  EXPECT_TRUE(s8.narrowRange);
  auto p = solveFromRange(-2.54, 1.0, s8);
  ASSERT_TRUE(static_cast<bool>(p));
  EXPECT_EQ(p->scale, 2.54f / 127.0f);
  SolverOptions u8 =
      profileOptions(Profile::TfLite, StorageKind::U8, Scheme::Asymmetric);
  auto half = solveFromRange(-2.5 / 256, 252.5 / 256, u8);
  ASSERT_TRUE(static_cast<bool>(half));
  EXPECT_EQ(half->scale, 1.0f / 256);
  EXPECT_EQ(half->zeroPoint, 3);
  u8.profile = Profile::QuantOpt;
  auto ours = solveFromRange(-2.5 / 256, 252.5 / 256, u8);
  ASSERT_TRUE(static_cast<bool>(ours));
  EXPECT_EQ(ours->zeroPoint, 2);
  u8.profile = Profile::TfLite;
  auto zero = solveFromRange(0.0, 0.0, u8);
  ASSERT_TRUE(static_cast<bool>(zero));
  EXPECT_EQ(zero->scale, 1.0f);
  EXPECT_EQ(zero->zeroPoint, 0);
}

// TFLite's symmetric weight integers, hand-derived: with amax 127 the
// inverse is 1 and halves round away from zero (2.5 -> 3, where division
// and half to even give 2); with amax 0.3, 0.253937 * (127 / 0.3) is
// 107.49999 in float32 (107) while 0.253937 / (0.3 / 127) is 107.5 (108);
// amax 0 gives inverse 0; NaN gives 0 and infinities the ends.
TEST(NumericsProfile, TfLiteWeights) {
  EXPECT_EQ(getQuantizeRounding(Profile::TfLite),
            RoundingMode::HalfAwayFromZero);
  EXPECT_EQ(getQuantizeRounding(Profile::Torch), RoundingMode::Reciprocal);
  EXPECT_EQ(getQuantizeRounding(Profile::OnnxRuntime), RoundingMode::HalfEven);
  IntRange r = getIntRange(StorageKind::I8, /*narrow=*/true);
  EXPECT_EQ(quantizeTfLiteSymmetric(2.5f, 127.0f, r), 3);
  EXPECT_EQ(quantizeTfLiteSymmetric(-2.5f, 127.0f, r), -3);
  EXPECT_EQ(quantizeTfLiteSymmetric(0.5f, 127.0f, r), 1);
  EXPECT_EQ(quantizeAffine(2.5f, 1.0f, 0, r), 2);
  EXPECT_EQ(quantizeTfLiteSymmetric(0.253937f, 0.3f, r), 107);
  EXPECT_EQ(quantizeAffine(0.253937f, 0.3f / 127.0f, 0, r), 108);
  EXPECT_EQ(quantizeTfLiteSymmetric(-0.3f, 0.3f, r), -127);
  EXPECT_EQ(quantizeTfLiteSymmetric(5.0f, 0.0f, r), 0);
  EXPECT_EQ(quantizeTfLiteSymmetric(std::nanf(""), 1.0f, r), 0);
  EXPECT_EQ(quantizeTfLiteSymmetric(INFINITY, 1.0f, r), 127);
  EXPECT_EQ(quantizeTfLiteSymmetric(-INFINITY, 1.0f, r), -127);
}
