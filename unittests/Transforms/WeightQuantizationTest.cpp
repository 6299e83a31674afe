//===- WeightQuantizationTest.cpp - The packed sub-byte layout ------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// packSubByte and unpackSubByte define qnt.dequantize's `packed` layout once
// (element j of a row in byte j / (8 / bits), lowest bits first); the
// quantizer packs with one and the weight-only kernel unpacks with the
// other. Hand-derived bytes.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/Transforms/WeightQuantization.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/MLIRContext.h"

#include <gtest/gtest.h>

using namespace mlir;

namespace {

DenseElementsAttr ints(MLIRContext &ctx, ArrayRef<int64_t> shape,
                       unsigned bits, bool isSigned, ArrayRef<int64_t> values) {
  auto type = RankedTensorType::get(
      shape, IntegerType::get(&ctx, bits,
                              isSigned ? IntegerType::Signless
                                       : IntegerType::Unsigned));
  SmallVector<APInt> apints;
  for (int64_t v : values)
    apints.push_back(APInt(bits, v, /*isSigned=*/isSigned, /*implicitTrunc=*/true));
  return DenseElementsAttr::get(type, apints);
}

std::vector<int64_t> bytesOf(DenseElementsAttr attr) {
  std::vector<int64_t> out;
  for (APInt v : attr.getValues<APInt>())
    out.push_back(static_cast<int64_t>(v.getZExtValue()));
  return out;
}

TEST(WeightQuantization, Int4PacksLowNibbleFirstPerRow) {
  MLIRContext ctx;
  // Rows [-8, 7, -1, 0] and [1, 2, 3, -2]: nibbles 8,7 -> 0x78; F,0 -> 0x0F;
  // 1,2 -> 0x21; 3,E -> 0xE3.
  DenseElementsAttr stored = ints(ctx, {2, 4}, 4, true, {-8, 7, -1, 0, 1, 2, 3, -2});
  std::optional<DenseElementsAttr> packed = quantopt::packSubByte(stored);
  ASSERT_TRUE(packed.has_value());
  EXPECT_EQ(cast<RankedTensorType>(packed->getType()).getShape(),
            ArrayRef<int64_t>({2, 2}));
  EXPECT_EQ(bytesOf(*packed), (std::vector<int64_t>{0x78, 0x0F, 0x21, 0xE3}));
  std::optional<DenseElementsAttr> back = quantopt::unpackSubByte(
      *packed, cast<RankedTensorType>(stored.getType()));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, stored);
}

TEST(WeightQuantization, Uint2PacksFourPerByte) {
  MLIRContext ctx;
  // 3, 0, 1, 2 -> 0b10'01'00'11 = 0x93.
  DenseElementsAttr stored = ints(ctx, {4}, 2, false, {3, 0, 1, 2});
  std::optional<DenseElementsAttr> packed = quantopt::packSubByte(stored);
  ASSERT_TRUE(packed.has_value());
  EXPECT_EQ(bytesOf(*packed), (std::vector<int64_t>{0x93}));
  std::optional<DenseElementsAttr> back = quantopt::unpackSubByte(
      *packed, cast<RankedTensorType>(stored.getType()));
  ASSERT_TRUE(back.has_value());
  EXPECT_EQ(*back, stored);
}

TEST(WeightQuantization, UnpackRejectsMismatchedShapes) {
  MLIRContext ctx;
  DenseElementsAttr packed = ints(ctx, {2, 3}, 8, true, {0, 0, 0, 0, 0, 0});
  auto i4 = IntegerType::get(&ctx, 4);
  EXPECT_FALSE(quantopt::unpackSubByte(packed, RankedTensorType::get({2, 4}, i4)));
  EXPECT_FALSE(quantopt::unpackSubByte(packed, RankedTensorType::get({2, 5}, i4)));
  EXPECT_TRUE(quantopt::unpackSubByte(packed, RankedTensorType::get({2, 6}, i4)));
  EXPECT_FALSE(quantopt::unpackSubByte(
      packed, RankedTensorType::get({2, 6}, IntegerType::get(&ctx, 8))));
}

} // namespace

namespace {

TEST(WeightQuantization, DequantizeWithParamsHandDerived) {
  // A [2, 3] weight quantized per channel on axis 0 to i4 asymmetric by
  // quantizeWeight, then dequantized: row 0 [-1, 0, 2] has s = 3/15 = 0.2,
  // z = -8 - round(-1 / 0.2) = -3 (stored -8, -3, 7: exact), row 1
  // [0.5, 0.5, 0.5] has s = 0.5 / 15 and z = -8 (0.5 -> 15 - 8 = 7).
  MLIRContext ctx;
  ctx.loadDialect<mlir::qnt::QntDialect>();
  auto type = RankedTensorType::get({2, 3}, Float32Type::get(&ctx));
  auto weights = DenseElementsAttr::get(
      type, ArrayRef<float>{-1.0f, 0.0f, 2.0f, 0.5f, 0.5f, 0.5f});
  quantopt::WeightConfig config;
  config.storage = quantopt::numerics::StorageKind::I4;
  config.scheme = quantopt::numerics::Scheme::Asymmetric;
  auto q = quantopt::quantizeWeight(weights, config, 0, 1);
  ASSERT_TRUE(static_cast<bool>(q)) << llvm::toString(q.takeError());
  EXPECT_EQ(bytesOf(q->stored).size(), 6u);
  std::optional<std::vector<float>> back =
      quantopt::dequantizeWithParams(q->stored, q->params);
  ASSERT_TRUE(back.has_value());
  EXPECT_FLOAT_EQ((*back)[0], -1.0f);
  EXPECT_FLOAT_EQ((*back)[1], 0.0f);
  EXPECT_FLOAT_EQ((*back)[2], 2.0f);
  for (int i = 3; i < 6; ++i)
    EXPECT_NEAR((*back)[i], 0.5f, 1e-6f);
  // Parameters of another shape do not fit.
  auto other = DenseElementsAttr::get(
      RankedTensorType::get({3, 2}, Float32Type::get(&ctx)),
      ArrayRef<float>{1, 2, 3, 4, 5, 6});
  auto q3 = quantopt::quantizeWeight(other, config, 0, 1);
  ASSERT_TRUE(static_cast<bool>(q3));
  EXPECT_FALSE(quantopt::dequantizeWithParams(q3->stored, q->params).has_value());
}

} // namespace
