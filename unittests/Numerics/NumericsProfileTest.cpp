//===- NumericsProfileTest.cpp - Tests for the framework profiles ---------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// Hand-derived cases for the torch profile (torch.ao's _calculate_qparams):
// the bit-for-bit comparison with torch's observers is
// test/quant-params/torch-profile.test.
//
//===----------------------------------------------------------------------===//

#include "NumericsTestUtil.h"

#include "gmock/gmock.h"

using namespace numtest;

namespace {
SolverOptions torchOptions(StorageKind storage, Scheme scheme) {
  SolverOptions options;
  options.storage = storage;
  options.scheme = scheme;
  options.profile = Profile::Torch;
  options.setDefaults();
  return options;
}
} // namespace

TEST(NumericsProfile, Names) {
  EXPECT_EQ(getProfileName(Profile::Torch), "torch");
  EXPECT_EQ(getProfileName(Profile::QuantOpt), "quantopt");
  EXPECT_EQ(parseProfileName("torch"), Profile::Torch);
  EXPECT_EQ(parseProfileName("quantopt"), Profile::QuantOpt);
  EXPECT_EQ(parseProfileName("tflite"), std::nullopt);
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
