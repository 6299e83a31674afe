//===- NumericsOracleTest.cpp - The numerics against independent oracles -===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// Comparisons against independent oracles, read from .npy files in data/:
// vectors written by data/gen_vectors.py (numpy and exact arithmetic,
// written from the definitions, not from our C++), and the ONNX reference
// cases converted by data/convert_onnx_testdata.py. Every comparison is
// bit-exact.
//
//===----------------------------------------------------------------------===//

#include "NumericsTestUtil.h"

using namespace numtest;

namespace {

//===----------------------------------------------------------------------===//
// Generated vectors (data/gen_vectors.py)
//===----------------------------------------------------------------------===//

// Tests quantizeAffine (every rounding mode, narrow and full ranges) and
// dequantizeAffine against numpy for every integer storage kind.
TEST(NumericsVectorTest, Affine) {
  size_t checked = 0;
  for (StringRef name : kIntKindNames) {
    SCOPED_TRACE(name.str());
    StorageKind kind = *parseStorageName(name);
    std::string prefix = ("affine/" + name + "_").str();
    std::vector<float> x, scale, deq;
    std::vector<int32_t> zp, q;
    std::vector<uint8_t> narrow;
    std::vector<int64_t> qShape;
    ASSERT_TRUE(loadNpy(prefix + "x.npy", DType::F32, x));
    ASSERT_TRUE(loadNpy(prefix + "scale.npy", DType::F32, scale));
    ASSERT_TRUE(loadNpy(prefix + "zp.npy", DType::I32, zp));
    ASSERT_TRUE(loadNpy(prefix + "narrow.npy", DType::Bool, narrow));
    ASSERT_TRUE(loadNpy(prefix + "q.npy", DType::I32, q, &qShape));
    ASSERT_TRUE(loadNpy(prefix + "deq.npy", DType::F32, deq));
    size_t n = x.size();
    ASSERT_GT(n, 200u);
    ASSERT_EQ(scale.size(), n);
    ASSERT_EQ(zp.size(), n);
    ASSERT_EQ(narrow.size(), n);
    ASSERT_EQ(deq.size(), n);
    ASSERT_EQ(qShape, (std::vector<int64_t>{4, static_cast<int64_t>(n)}));
    for (size_t i = 0; i < n; ++i) {
      IntRange range = getIntRange(kind, narrow[i]);
      for (auto [m, mode] : llvm::enumerate(kModes)) {
        EXPECT_EQ(quantizeAffine(x[i], scale[i], zp[i], range, mode),
                  q[m * n + i])
            << getRoundingName(mode).str() << " i=" << i
            << " x=" << describe(x[i]) << " s=" << describe(scale[i])
            << " z=" << zp[i] << " narrow=" << int(narrow[i]);
        ++checked;
      }
      EXPECT_FLOAT_BITS_EQ(dequantizeAffine(q[i], scale[i], zp[i]), deq[i])
          << " i=" << i;
      ++checked;
    }
  }
  EXPECT_GT(checked, 8000u);
}

// Tests quantizeMinval (every rounding mode) and dequantizeMinval against
// numpy for every integer storage kind.
TEST(NumericsVectorTest, Minval) {
  for (StringRef name : kIntKindNames) {
    SCOPED_TRACE(name.str());
    StorageKind kind = *parseStorageName(name);
    IntRange range = getIntRange(kind, /*narrow=*/false);
    std::string prefix = ("minval/" + name + "_").str();
    std::vector<float> x, scale, minValue, deq;
    std::vector<int32_t> q;
    std::vector<int64_t> qShape;
    ASSERT_TRUE(loadNpy(prefix + "x.npy", DType::F32, x));
    ASSERT_TRUE(loadNpy(prefix + "scale.npy", DType::F32, scale));
    ASSERT_TRUE(loadNpy(prefix + "min.npy", DType::F32, minValue));
    ASSERT_TRUE(loadNpy(prefix + "q.npy", DType::I32, q, &qShape));
    ASSERT_TRUE(loadNpy(prefix + "deq.npy", DType::F32, deq));
    size_t n = x.size();
    ASSERT_GT(n, 100u);
    ASSERT_EQ(scale.size(), n);
    ASSERT_EQ(minValue.size(), n);
    ASSERT_EQ(deq.size(), n);
    ASSERT_EQ(qShape, (std::vector<int64_t>{4, static_cast<int64_t>(n)}));
    for (size_t i = 0; i < n; ++i) {
      for (auto [m, mode] : llvm::enumerate(kModes))
        EXPECT_EQ(quantizeMinval(x[i], scale[i], minValue[i], range, mode),
                  q[m * n + i])
            << getRoundingName(mode).str() << " i=" << i
            << " x=" << describe(x[i]) << " s=" << describe(scale[i])
            << " m=" << describe(minValue[i]);
      EXPECT_FLOAT_BITS_EQ(
          dequantizeMinval(q[i], scale[i], minValue[i], range.qmin), deq[i])
          << " i=" << i;
    }
  }
}

// Tests minifloat decoding of every code, encoding (values, midpoints and
// their neighbours, specials) and scaled quantize/dequantize against a
// brute-force oracle for every float storage kind.
TEST(NumericsVectorTest, MiniFloat) {
  for (StringRef name : kFloatKindNames) {
    SCOPED_TRACE(name.str());
    StorageKind kind = *parseStorageName(name);
    std::string prefix = ("minifloat/" + name + "_").str();

    std::vector<float> decoded;
    ASSERT_TRUE(loadNpy(prefix + "decode.npy", DType::F32, decoded));
    ASSERT_EQ(decoded.size(), size_t(1) << getStorageBitWidth(kind));
    for (auto [code, expected] : llvm::enumerate(decoded))
      EXPECT_FLOAT_BITS_EQ(decodeFloatBits(code, kind), expected)
          << " code=" << code;

    std::vector<float> encX;
    std::vector<uint8_t> encBits;
    ASSERT_TRUE(loadNpy(prefix + "enc_x.npy", DType::F32, encX));
    ASSERT_TRUE(loadNpy(prefix + "enc_bits.npy", DType::U8, encBits));
    ASSERT_EQ(encX.size(), encBits.size());
    for (size_t i = 0; i < encX.size(); ++i)
      EXPECT_EQ(encodeFloatSaturating(encX[i], kind), encBits[i])
          << " x=" << describe(encX[i]);

    std::vector<float> x, scale, deq;
    std::vector<uint8_t> bits;
    std::vector<int64_t> bitsShape;
    ASSERT_TRUE(loadNpy(prefix + "x.npy", DType::F32, x));
    ASSERT_TRUE(loadNpy(prefix + "scale.npy", DType::F32, scale));
    ASSERT_TRUE(loadNpy(prefix + "bits.npy", DType::U8, bits, &bitsShape));
    ASSERT_TRUE(loadNpy(prefix + "deq.npy", DType::F32, deq));
    size_t n = x.size();
    ASSERT_GT(n, 200u);
    ASSERT_EQ(scale.size(), n);
    ASSERT_EQ(deq.size(), n);
    ASSERT_EQ(bitsShape, (std::vector<int64_t>{2, static_cast<int64_t>(n)}));
    for (size_t i = 0; i < n; ++i) {
      EXPECT_EQ(quantizeToFloat(x[i], scale[i], kind, RoundingMode::HalfEven),
                bits[i])
          << " x=" << describe(x[i]) << " s=" << describe(scale[i]);
      EXPECT_EQ(quantizeToFloat(x[i], scale[i], kind, RoundingMode::Reciprocal),
                bits[n + i])
          << " reciprocal x=" << describe(x[i]) << " s=" << describe(scale[i]);
      EXPECT_FLOAT_BITS_EQ(dequantizeFromFloat(bits[i], scale[i], kind), deq[i])
          << " i=" << i;
    }
  }
}

// Tests the float8 kinds (the FNUZ kinds included) against a transcription
// of ONNX's reference conversions (data/gen_onnx_float8.py): the decoding of
// every code, and encodeFloat with and without saturation on every value,
// midpoint, their neighbours, overflows and specials. NaN results compare
// by NaN-ness (ONNX keeps a NaN input's sign in f8E4M3FN and f8E5M2, we
// store the canonical NaN); ONNX 1.16-1.18's two non-saturating quirk
// ranges are left out by the generator (docs/Numerics.md).
TEST(NumericsVectorTest, OnnxFloat8) {
  for (StringRef name : {"f8E4M3FN", "f8E5M2", "f8E4M3FNUZ", "f8E5M2FNUZ"}) {
    SCOPED_TRACE(name.str());
    StorageKind kind = *parseStorageName(name);
    std::string prefix = ("onnx_f8/" + name + "_").str();
    std::vector<float> decoded, x;
    std::vector<uint8_t> sat, nosat, keep;
    ASSERT_TRUE(loadNpy(prefix + "decode.npy", DType::F32, decoded));
    ASSERT_TRUE(loadNpy(prefix + "x.npy", DType::F32, x));
    ASSERT_TRUE(loadNpy(prefix + "sat.npy", DType::U8, sat));
    ASSERT_TRUE(loadNpy(prefix + "nosat.npy", DType::U8, nosat));
    ASSERT_TRUE(loadNpy(prefix + "nosat_keep.npy", DType::Bool, keep));
    ASSERT_EQ(decoded.size(), 256u);
    for (auto [code, expected] : llvm::enumerate(decoded)) {
      if (std::isnan(expected))
        EXPECT_TRUE(std::isnan(decodeFloatBits(code, kind))) << code;
      else
        EXPECT_FLOAT_BITS_EQ(decodeFloatBits(code, kind), expected)
            << " code=" << code;
    }
    ASSERT_GT(x.size(), 3000u);
    ASSERT_EQ(sat.size(), x.size());
    ASSERT_EQ(nosat.size(), x.size());
    ASSERT_EQ(keep.size(), x.size());
    size_t overflows = 0;
    for (size_t i = 0; i < x.size(); ++i) {
      for (bool saturate : {true, false}) {
        uint8_t want = saturate ? sat[i] : nosat[i];
        if (!saturate && !keep[i])
          continue;
        uint8_t got = encodeFloat(x[i], kind, saturate);
        if (std::isnan(decoded[want])) {
          EXPECT_TRUE(std::isnan(decodeFloatBits(got, kind)))
              << " x=" << describe(x[i]) << " saturate=" << saturate;
          EXPECT_EQ(got, getNaNBits(kind) | (got & 0x80));
        } else {
          EXPECT_EQ(got, want)
              << " x=" << describe(x[i]) << " saturate=" << saturate;
        }
        if (!saturate && std::isfinite(x[i]) && !std::isfinite(decoded[want]))
          ++overflows;
      }
    }
    EXPECT_GT(overflows, 20u); // the non-saturating overflows are covered
  }
}

// Tests computeFixedPointMultiplier, applyFixedPointMultiplier and
// requantizeFloat against exact rational / big-integer arithmetic.
TEST(NumericsVectorTest, Requantize) {
  std::vector<double> m;
  std::vector<int32_t> multiplier, shift;
  ASSERT_TRUE(loadNpy("requant/fp_m.npy", DType::F64, m));
  ASSERT_TRUE(loadNpy("requant/fp_multiplier.npy", DType::I32, multiplier));
  ASSERT_TRUE(loadNpy("requant/fp_shift.npy", DType::I32, shift));
  ASSERT_EQ(multiplier.size(), m.size());
  ASSERT_EQ(shift.size(), m.size());
  ASSERT_GT(m.size(), 200u);
  for (size_t i = 0; i < m.size(); ++i) {
    Expected<FixedPointMultiplier> fp = computeFixedPointMultiplier(m[i]);
    ASSERT_TRUE(bool(fp)) << toString(fp.takeError());
    EXPECT_EQ(fp->multiplier, multiplier[i]) << " m=" << m[i];
    EXPECT_EQ(fp->shift, shift[i]) << " m=" << m[i];
  }

  std::vector<int64_t> v, out;
  ASSERT_TRUE(loadNpy("requant/apply_v.npy", DType::I64, v));
  ASSERT_TRUE(loadNpy("requant/apply_multiplier.npy", DType::I32, multiplier));
  ASSERT_TRUE(loadNpy("requant/apply_shift.npy", DType::I32, shift));
  ASSERT_TRUE(loadNpy("requant/apply_out.npy", DType::I64, out));
  ASSERT_EQ(multiplier.size(), v.size());
  ASSERT_EQ(shift.size(), v.size());
  ASSERT_EQ(out.size(), v.size());
  for (size_t i = 0; i < v.size(); ++i)
    EXPECT_EQ(applyFixedPointMultiplier(v[i], {multiplier[i], shift[i]}),
              out[i])
        << " v=" << v[i] << " multiplier=" << multiplier[i]
        << " shift=" << shift[i];

  std::vector<int32_t> q, zIn, zOut, expected;
  std::vector<float> fm;
  ASSERT_TRUE(loadNpy("requant/float_q.npy", DType::I32, q));
  ASSERT_TRUE(loadNpy("requant/float_zin.npy", DType::I32, zIn));
  ASSERT_TRUE(loadNpy("requant/float_m.npy", DType::F32, fm));
  ASSERT_TRUE(loadNpy("requant/float_zout.npy", DType::I32, zOut));
  ASSERT_TRUE(loadNpy("requant/float_out.npy", DType::I32, expected));
  ASSERT_EQ(zIn.size(), q.size());
  ASSERT_EQ(fm.size(), q.size());
  ASSERT_EQ(zOut.size(), q.size());
  ASSERT_EQ(expected.size(), q.size());
  IntRange i8 = getIntRange(StorageKind::I8, false);
  for (size_t i = 0; i < q.size(); ++i)
    EXPECT_EQ(requantizeFloat(q[i], zIn[i], fm[i], zOut[i], i8), expected[i])
        << " q=" << q[i] << " zin=" << zIn[i] << " m=" << describe(fm[i])
        << " zout=" << zOut[i];
}

//===----------------------------------------------------------------------===//
// ONNX reference cases (data/convert_onnx_testdata.py)
//===----------------------------------------------------------------------===//

/// Loads the scalar or 1-D per-axis parameters of an ONNX (de)quantize case
/// and returns the granularity they imply.
::testing::AssertionResult
loadOnnxParams(StringRef dir, StringRef scaleName, StringRef zpName,
               ArrayRef<int64_t> shape, std::vector<float> &scale,
               std::vector<uint8_t> &zp, Granularity &granularity) {
  std::vector<int64_t> axis;
  auto r = loadNpy((dir + "/" + scaleName + ".npy").str(), DType::F32, scale);
  if (!r)
    return r;
  r = loadNpy((dir + "/" + zpName + ".npy").str(), DType::U8, zp);
  if (!r)
    return r;
  r = loadNpy((dir + "/axis.npy").str(), DType::I64, axis);
  if (!r)
    return r;
  if (scale.size() != zp.size() || axis.size() != 1)
    return ::testing::AssertionFailure() << "inconsistent parameters";
  granularity = Granularity();
  if (scale.size() > 1) {
    int64_t a = axis[0] < 0 ? axis[0] + shape.size() : axis[0];
    granularity = Granularity{a, 0};
  }
  Expected<std::vector<int64_t>> paramShape = getParamShape(shape, granularity);
  if (!paramShape)
    return ::testing::AssertionFailure() << toString(paramShape.takeError());
  if ((*paramShape)[0] != static_cast<int64_t>(scale.size()))
    return ::testing::AssertionFailure() << "parameter count mismatch";
  return ::testing::AssertionSuccess();
}

// Tests that quantizeAffine reproduces ONNX QuantizeLinear (u8, per tensor
// and per axis).
TEST(NumericsOnnxTest, QuantizeLinear) {
  for (StringRef dir : {"onnx/quantizelinear", "onnx/quantizelinear_axis"}) {
    SCOPED_TRACE(dir.str());
    std::vector<float> x, scale;
    std::vector<uint8_t> zp, y;
    std::vector<int64_t> shape, yShape;
    Granularity g;
    ASSERT_TRUE(loadNpy((dir + "/x.npy").str(), DType::F32, x, &shape));
    ASSERT_TRUE(loadNpy((dir + "/y.npy").str(), DType::U8, y, &yShape));
    ASSERT_EQ(shape, yShape);
    ASSERT_TRUE(
        loadOnnxParams(dir, "y_scale", "y_zero_point", shape, scale, zp, g));
    IntRange u8 = getIntRange(StorageKind::U8, false);
    for (size_t i = 0; i < x.size(); ++i) {
      int64_t p = getParamIndex(shape, unravel(i, shape), g);
      EXPECT_EQ(quantizeAffine(x[i], scale[p], zp[p], u8), int64_t(y[i]))
          << " i=" << i << " x=" << describe(x[i]);
    }
  }
}

// Tests that dequantizeAffine reproduces ONNX DequantizeLinear (u8, per
// tensor and per axis).
TEST(NumericsOnnxTest, DequantizeLinear) {
  for (StringRef dir :
       {"onnx/dequantizelinear", "onnx/dequantizelinear_axis"}) {
    SCOPED_TRACE(dir.str());
    std::vector<uint8_t> x, zp;
    std::vector<float> scale, y;
    std::vector<int64_t> shape, yShape;
    Granularity g;
    ASSERT_TRUE(loadNpy((dir + "/x.npy").str(), DType::U8, x, &shape));
    ASSERT_TRUE(loadNpy((dir + "/y.npy").str(), DType::F32, y, &yShape));
    ASSERT_EQ(shape, yShape);
    ASSERT_TRUE(
        loadOnnxParams(dir, "x_scale", "x_zero_point", shape, scale, zp, g));
    for (size_t i = 0; i < x.size(); ++i) {
      int64_t p = getParamIndex(shape, unravel(i, shape), g);
      EXPECT_FLOAT_BITS_EQ(dequantizeAffine(x[i], scale[p], zp[p]), y[i])
          << " i=" << i;
    }
  }
}

// Tests that the asymmetric full-range u8 solver plus quantizeAffine
// reproduce ONNX DynamicQuantizeLinear (scale, zero point and data).
TEST(NumericsOnnxTest, DynamicQuantizeLinear) {
  for (StringRef dir :
       {"onnx/dynamicquantizelinear", "onnx/dynamicquantizelinear_max_adjusted",
        "onnx/dynamicquantizelinear_min_adjusted"}) {
    SCOPED_TRACE(dir.str());
    std::vector<float> x, yScale;
    std::vector<uint8_t> y, yZeroPoint;
    std::vector<int64_t> shape;
    ASSERT_TRUE(loadNpy((dir + "/x.npy").str(), DType::F32, x, &shape));
    ASSERT_TRUE(loadNpy((dir + "/y.npy").str(), DType::U8, y));
    ASSERT_TRUE(loadNpy((dir + "/y_scale.npy").str(), DType::F32, yScale));
    ASSERT_TRUE(
        loadNpy((dir + "/y_zero_point.npy").str(), DType::U8, yZeroPoint));
    ASSERT_EQ(y.size(), x.size());
    ASSERT_EQ(yScale.size(), 1u);
    ASSERT_EQ(yZeroPoint.size(), 1u);
    Expected<std::vector<QuantParams>> params = solveForTensor(
        x, shape, Granularity(),
        options(StorageKind::U8, Scheme::Asymmetric, /*narrow=*/false));
    ASSERT_TRUE(bool(params)) << toString(params.takeError());
    ASSERT_EQ(params->size(), 1u);
    const QuantParams &p = (*params)[0];
    EXPECT_FLOAT_BITS_EQ(p.scale, yScale[0]);
    EXPECT_EQ(p.zeroPoint, yZeroPoint[0]);
    IntRange u8 = getIntRange(StorageKind::U8, false);
    for (size_t i = 0; i < x.size(); ++i)
      EXPECT_EQ(quantizeAffine(x[i], yScale[0], yZeroPoint[0], u8),
                int64_t(y[i]))
          << " i=" << i << " x=" << describe(x[i]);
  }
}

} // namespace
