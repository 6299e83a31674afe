//===- OnnxConvOps.cpp - ONNX convolutions and Resize ---------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// Conv (1-D and 2-D; group 1, depthwise and grouped), ConvTranspose and
// Resize (nearest and linear).
//
// - A 1-D window op runs as the 2-D one on [N, C, 1, W] (a unit height), so
//   every convolution is a linalg 2-D convolution: conv_2d_nchw_fchw,
//   depthwise_conv_2d_nchw_chw, or conv_2d_ngchw_gfchw for other groups.
// - ConvTranspose is the convolution of the input spread out by the strides
//   (a strided tensor.insert_slice into zeros, padded by dilation*(k-1) minus
//   the pads) with the spatially flipped weight, its in/out channels swapped
//   per group (done once on the constant at import), stride 1. Negative
//   padding (pads larger than the kernel's reach) becomes a crop.
// - Resize reads its input with tensor.extract at coordinates computed per
//   output element from ONNX's coordinate_transformation_mode (in double, as
//   ONNX's reference computes them), rounded by nearest_mode or weighted
//   linearly between the two neighbours of each resized axis (clamped to
//   the edge, as ONNX Runtime and the reference do).
//
//===----------------------------------------------------------------------===//

#include "OnnxImporterImpl.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace quantopt;
using namespace quantopt::onnx_import;

namespace {
/// Inserts a unit dimension at position 2 of x's type ([N, C, W] ->
/// [N, C, 1, W]).
RankedTensorType withUnitHeight(RankedTensorType type) {
  SmallVector<int64_t> shape(type.getShape());
  shape.insert(shape.begin() + 2, 1);
  return RankedTensorType::get(shape, type.getElementType());
}
const SmallVector<ReassociationIndices> kUnitHeight{{0}, {1}, {2, 3}};
} // namespace

Value Importer::reshapeTo(Value v, RankedTensorType type,
                          ArrayRef<ReassociationIndices> reassociation) {
  // A constant (a weight) is reshaped here, so that the layer's weight is an
  // arith.constant for every pass (calibration's observers too), not a
  // reshape of one.
  DenseElementsAttr constant;
  if (matchPattern(v, m_Constant(&constant)))
    return arith::ConstantOp::create(b, loc, constant.reshape(type));
  if (type.getRank() > cast<RankedTensorType>(v.getType()).getRank())
    return tensor::ExpandShapeOp::create(b, loc, type, v, reassociation);
  return tensor::CollapseShapeOp::create(b, loc, type, v, reassociation);
}

Value Importer::liftTo2d(Value x) {
  auto type = cast<RankedTensorType>(x.getType());
  return reshapeTo(x, withUnitHeight(type), kUnitHeight);
}

Value Importer::dropUnitHeight(Value y) {
  return tensor::CollapseShapeOp::create(b, loc, y, kUnitHeight);
}

llvm::Expected<Value> Importer::addChannelBias(Value y, int biasIndex) {
  if (!hasInput(biasIndex))
    return y;
  auto bias = getInput(biasIndex);
  if (!bias)
    return bias.takeError();
  auto yType = cast<RankedTensorType>(y.getType());
  int64_t m = yType.getDimSize(1);
  auto biasType = cast<RankedTensorType>(bias->getType());
  if (biasType.getRank() != 1 || biasType.getDimSize(0) != m)
    return fail("the bias must have one value per output channel (" +
                llvm::Twine(m) + ")");
  // The bias runs along the channels: [M] as [M, 1, ...].
  SmallVector<int64_t> shape(yType.getRank() - 1, 1);
  shape[0] = m;
  ReassociationIndices all;
  for (int64_t d = 0; d + 1 < yType.getRank(); ++d)
    all.push_back(d);
  Value expanded = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(shape, yType.getElementType()), *bias,
      SmallVector<ReassociationIndices>{all});
  return addFloat(y, expanded);
}

llvm::Expected<Value>
Importer::buildConv2d(Value x, Value w, ArrayRef<int64_t> pads,
                      ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations,
                      int64_t group) {
  auto xType = cast<RankedTensorType>(x.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  Type element = xType.getElementType();
  int64_t c = xType.getDimSize(1), m = wType.getDimSize(0);
  if (group <= 0 || c % group || m % group || wType.getDimSize(1) * group != c)
    return fail("group=" + llvm::Twine(group) + " does not divide the " +
                llvm::Twine(c) + " input and " + llvm::Twine(m) +
                " output channels as the weight's shape says");
  Value padded = pad(x, pads, FloatAttr::get(element, 0.0));
  auto pType = cast<RankedTensorType>(padded.getType());
  SmallVector<int64_t> outShape{xType.getDimSize(0), m, 0, 0};
  for (int d = 0; d < 2; ++d) {
    int64_t reach = dilations[d] * (wType.getDimSize(2 + d) - 1) + 1;
    if (pType.getDimSize(2 + d) < reach)
      return fail("the kernel (with its dilation) is larger than the padded "
                  "input");
    outShape[2 + d] = (pType.getDimSize(2 + d) - reach) / strides[d] + 1;
  }
  SmallVector<std::pair<Value, int64_t>> dyn;
  if (xType.isDynamicDim(0))
    dyn.push_back({x, 0});
  auto stridesAttr = b.getI64TensorAttr(strides);
  auto dilationsAttr = b.getI64TensorAttr(dilations);
  Attribute zero = FloatAttr::get(element, 0.0);
  if (group == 1) {
    Value init = filled(emptyTensor(outShape, element, dyn), zero);
    return linalg::Conv2DNchwFchwOp::create(
               b, loc, TypeRange{init.getType()}, ValueRange{padded, w},
               ValueRange{init}, stridesAttr, dilationsAttr)
        .getResult(0);
  }
  if (group == c && m == c) {
    // Depthwise, multiplier 1: [C, 1, KH, KW] -> [C, KH, KW].
    Value init = filled(emptyTensor(outShape, element, dyn), zero);
    Value w3 = reshapeTo(
        w,
        RankedTensorType::get({m, wType.getDimSize(2), wType.getDimSize(3)},
                              element),
        {{0, 1}, {2}, {3}});
    return linalg::DepthwiseConv2DNchwChwOp::create(
               b, loc, TypeRange{init.getType()}, ValueRange{padded, w3},
               ValueRange{init}, stridesAttr, dilationsAttr)
        .getResult(0);
  }
  // Other groups: [N, G, C/G, H, W] * [G, M/G, C/G, KH, KW].
  SmallVector<ReassociationIndices> splitChannels{{0}, {1, 2}, {3}, {4}};
  SmallVector<int64_t> xShape(pType.getShape());
  xShape.insert(xShape.begin() + 1, group);
  xShape[2] = c / group;
  Value xg = tensor::ExpandShapeOp::create(
      b, loc, RankedTensorType::get(xShape, element), padded, splitChannels);
  Value wg = reshapeTo(
      w,
      RankedTensorType::get({group, m / group, c / group, wType.getDimSize(2),
                             wType.getDimSize(3)},
                            element),
      {{0, 1}, {2}, {3}, {4}});
  SmallVector<int64_t> gShape{outShape[0], group, m / group, outShape[2],
                              outShape[3]};
  Value init = filled(emptyTensor(gShape, element, dyn), zero);
  Value yg = linalg::Conv2DNgchwGfchwOp::create(
                 b, loc, TypeRange{init.getType()}, ValueRange{xg, wg},
                 ValueRange{init}, stridesAttr, dilationsAttr)
                 .getResult(0);
  return tensor::CollapseShapeOp::create(b, loc, yg, splitChannels)
      .getResult();
}

llvm::Expected<Importer::ConvWindow>
Importer::getConvWindow(RankedTensorType xType, RankedTensorType wType) {
  auto isStatic = [](RankedTensorType t) {
    for (int64_t d = 1; d < t.getRank(); ++d)
      if (t.isDynamicDim(d))
        return false;
    return true;
  };
  int64_t rank = xType.getRank();
  if ((rank != 3 && rank != 4) || wType.getRank() != rank ||
      !isa<FloatType>(xType.getElementType()))
    return fail("only 1-D and 2-D floating-point convolutions (NCW/NCHW) are "
                "supported");
  if (!isStatic(xType) || !wType.hasStaticShape())
    return fail("convolutions need static channel and spatial sizes and a "
                "static weight shape");
  int64_t spatial = rank - 2;
  ConvWindow window;
  window.spatial = spatial;
  for (int64_t d = 0; d < spatial; ++d)
    window.kernel.push_back(wType.getDimSize(2 + d));
  SmallVector<int64_t> given = getInts("kernel_shape", window.kernel);
  if (given != window.kernel)
    return fail("kernel_shape does not match the weight's shape");
  window.strides = getInts("strides", SmallVector<int64_t>(spatial, 1));
  window.dilations = getInts("dilations", SmallVector<int64_t>(spatial, 1));
  if (static_cast<int64_t>(window.strides.size()) != spatial ||
      static_cast<int64_t>(window.dilations.size()) != spatial)
    return fail("expected " + llvm::Twine(spatial) +
                " strides and dilations");
  for (int64_t d = 0; d < spatial; ++d)
    if (window.strides[d] <= 0 || window.dilations[d] <= 0)
      return fail("strides and dilations must be positive");
  window.group = getInt("group", 1);
  return window;
}

void Importer::ConvWindow::liftTo2d() {
  if (spatial == 2)
    return;
  kernel.insert(kernel.begin(), 1);
  strides.insert(strides.begin(), 1);
  dilations.insert(dilations.begin(), 1);
  if (pads.size() == 2)
    pads = {0, pads[0], 0, pads[1]};
}

llvm::Error Importer::importConv() {
  auto x = getInput(0), w = getInput(1);
  if (!x)
    return x.takeError();
  if (!w)
    return w.takeError();
  auto xType = cast<RankedTensorType>(x->getType());
  auto wType = cast<RankedTensorType>(w->getType());
  auto window = getConvWindow(xType, wType);
  if (!window)
    return window.takeError();
  auto pads = getPads(xType, window->kernel, window->strides,
                      window->dilations);
  if (!pads)
    return pads.takeError();
  window->pads = *pads;
  Value x4 = *x, w4 = *w;
  if (window->spatial == 1) {
    x4 = liftTo2d(x4);
    w4 = liftTo2d(w4);
  }
  window->liftTo2d();
  auto y = buildConv2d(x4, w4, window->pads, window->strides,
                       window->dilations, window->group);
  if (!y)
    return y.takeError();
  auto biased = addChannelBias(*y, 2);
  if (!biased)
    return biased.takeError();
  setOutput(0, window->spatial == 1 ? dropUnitHeight(*biased) : *biased);
  return llvm::Error::success();
}

llvm::Error Importer::importConvTranspose() {
  auto x = getInput(0);
  if (!x)
    return x.takeError();
  DenseElementsAttr weight = getConstantInput(1);
  if (!weight)
    return fail("the weight must be a constant (it is flipped at import)");
  auto xType = cast<RankedTensorType>(x->getType());
  auto wType = cast<RankedTensorType>(weight.getType());
  Type element = xType.getElementType();
  if (wType.getElementType() != element)
    return fail("the weight's element type differs from the input's");
  int64_t group = getInt("group", 1);
  int64_t c = xType.getDimSize(1);
  if (group <= 0 || wType.getRank() < 1 || wType.getDimSize(0) != c ||
      c % group)
    return fail("the weight must be [C, M/group, k...] with group dividing "
                "the " + llvm::Twine(c) + " input channels");
  // The window checks see the weight as a convolution's [M/g, C/g, k...].
  auto window = getConvWindow(xType, wType);
  if (!window)
    return window.takeError();
  int64_t spatial = window->spatial;
  SmallVector<int64_t> outputPadding =
      getInts("output_padding", SmallVector<int64_t>(spatial, 0));
  SmallVector<int64_t> outputShape = getInts("output_shape", {});
  if (static_cast<int64_t>(outputPadding.size()) != spatial)
    return fail("expected " + llvm::Twine(spatial) + " output_padding values");
  if (!outputShape.empty() &&
      static_cast<int64_t>(outputShape.size()) != spatial) {
    if (static_cast<int64_t>(outputShape.size()) != spatial + 2)
      return fail("output_shape must give the spatial sizes");
    outputShape.erase(outputShape.begin(), outputShape.begin() + 2);
  }
  std::string autoPad = getString("auto_pad", "NOTSET");
  if (!llvm::is_contained({"NOTSET", "VALID", "SAME_UPPER", "SAME_LOWER"},
                          llvm::StringRef(autoPad)))
    return fail("unknown auto_pad '" + autoPad + "'");
  // The pads at both ends: given, or derived from the output shape (given,
  // or input * stride for SAME_*), as ONNX's operator definition says.
  SmallVector<int64_t> begin(spatial, 0), end(spatial, 0), full(spatial);
  SmallVector<int64_t> pads = getInts("pads", SmallVector<int64_t>(2 * spatial, 0));
  if (static_cast<int64_t>(pads.size()) != 2 * spatial)
    return fail("expected " + llvm::Twine(2 * spatial) + " pads");
  for (int64_t d = 0; d < spatial; ++d) {
    int64_t in = xType.getDimSize(2 + d);
    full[d] = window->strides[d] * (in - 1) + outputPadding[d] +
              (window->kernel[d] - 1) * window->dilations[d] + 1;
    int64_t target = -1;
    if (!outputShape.empty())
      target = outputShape[d];
    else if (autoPad == "SAME_UPPER" || autoPad == "SAME_LOWER")
      target = in * window->strides[d];
    if (target >= 0) {
      // A negative total (an output larger than the full one) pads the
      // end: halves round down, as in ONNX's reference.
      int64_t total = full[d] - target;
      int64_t half = total >= 0 ? total / 2 : -((1 - total) / 2);
      begin[d] = autoPad == "SAME_UPPER" ? half : total - half;
      end[d] = total - begin[d];
    } else if (autoPad == "NOTSET") {
      begin[d] = pads[d];
      end[d] = pads[spatial + d];
    }
  }
  // The flipped weight: W'[g*M/g + m][c][i][j] = W[g*C/g + c][m][k-1-i]...
  int64_t mPerGroup = wType.getDimSize(1), cPerGroup = c / group;
  int64_t m = mPerGroup * group;
  int64_t kh = spatial == 2 ? window->kernel[0] : 1;
  int64_t kw = window->kernel[spatial - 1];
  SmallVector<APFloat> src(weight.getValues<APFloat>());
  SmallVector<APFloat> flipped(src.size(), src.front());
  for (int64_t g = 0; g < group; ++g)
    for (int64_t o = 0; o < mPerGroup; ++o)
      for (int64_t ci = 0; ci < cPerGroup; ++ci)
        for (int64_t i = 0; i < kh; ++i)
          for (int64_t j = 0; j < kw; ++j) {
            int64_t to = (((g * mPerGroup + o) * cPerGroup + ci) * kh + i) * kw + j;
            int64_t from = ((((g * cPerGroup + ci) * mPerGroup + o) * kh +
                             (kh - 1 - i)) * kw) + (kw - 1 - j);
            flipped[to] = src[from];
          }
  auto w4Type = RankedTensorType::get({m, cPerGroup, kh, kw}, element);
  Value w4 = arith::ConstantOp::create(b, loc,
                                       DenseElementsAttr::get(w4Type, flipped));
  Value x4 = spatial == 1 ? liftTo2d(*x) : *x;
  window->pads = {};
  window->liftTo2d();
  if (spatial == 1) {
    begin.insert(begin.begin(), 0);
    end.insert(end.begin(), 0);
    full.insert(full.begin(), 1);
  }
  // Spread the input out by the strides into zeros padded by the kernel's
  // reach minus the pads; what is negative is cropped from the result.
  auto x4Type = cast<RankedTensorType>(x4.getType());
  SmallVector<int64_t> spreadShape(x4Type.getShape());
  SmallVector<int64_t> low(2), crop(2), cropEnd(2);
  for (int d = 0; d < 2; ++d) {
    int64_t reach = window->dilations[d] * (window->kernel[d] - 1);
    int64_t lo = reach - begin[d];
    int64_t hi = reach - end[d] + (full[d] - window->strides[d] *
                                                 (x4Type.getDimSize(2 + d) - 1) -
                                   reach - 1);
    low[d] = std::max<int64_t>(lo, 0);
    crop[d] = std::max<int64_t>(-lo, 0);
    cropEnd[d] = std::max<int64_t>(-hi, 0);
    spreadShape[2 + d] = window->strides[d] * (x4Type.getDimSize(2 + d) - 1) +
                         1 + low[d] + std::max<int64_t>(hi, 0);
  }
  SmallVector<std::pair<Value, int64_t>> dyn;
  if (x4Type.isDynamicDim(0))
    dyn.push_back({x4, 0});
  Value zeros = filled(emptyTensor(spreadShape, element, dyn),
                       FloatAttr::get(element, 0.0));
  SmallVector<OpFoldResult> offsets{b.getIndexAttr(0), b.getIndexAttr(0),
                                    b.getIndexAttr(low[0]),
                                    b.getIndexAttr(low[1])};
  SmallVector<OpFoldResult> sizes;
  for (int64_t d = 0; d < 4; ++d)
    sizes.push_back(x4Type.isDynamicDim(d) ? OpFoldResult(dim(x4, d))
                                           : b.getIndexAttr(x4Type.getDimSize(d)));
  SmallVector<OpFoldResult> steps{b.getIndexAttr(1), b.getIndexAttr(1),
                                  b.getIndexAttr(window->strides[0]),
                                  b.getIndexAttr(window->strides[1])};
  Value spread =
      tensor::InsertSliceOp::create(b, loc, x4, zeros, offsets, sizes, steps);
  auto y = buildConv2d(spread, w4, {0, 0, 0, 0}, {1, 1}, window->dilations,
                       group);
  if (!y)
    return y.takeError();
  Value out = *y;
  if (crop[0] || crop[1] || cropEnd[0] || cropEnd[1]) {
    auto yType = cast<RankedTensorType>(out.getType());
    SmallVector<OpFoldResult> cropOffsets{b.getIndexAttr(0), b.getIndexAttr(0),
                                          b.getIndexAttr(crop[0]),
                                          b.getIndexAttr(crop[1])};
    SmallVector<OpFoldResult> cropSizes{
        yType.isDynamicDim(0) ? OpFoldResult(dim(out, 0))
                              : b.getIndexAttr(yType.getDimSize(0)),
        b.getIndexAttr(m),
        b.getIndexAttr(yType.getDimSize(2) - crop[0] - cropEnd[0]),
        b.getIndexAttr(yType.getDimSize(3) - crop[1] - cropEnd[1])};
    SmallVector<OpFoldResult> ones(4, b.getIndexAttr(1));
    out = tensor::ExtractSliceOp::create(b, loc, out, cropOffsets, cropSizes,
                                         ones);
  }
  auto biased = addChannelBias(out, 2);
  if (!biased)
    return biased.takeError();
  setOutput(0, spatial == 1 ? dropUnitHeight(*biased) : *biased);
  return llvm::Error::success();
}

llvm::Error Importer::importResize() {
  if (opset < 11)
    return fail("Resize before opset 11 is not supported (import the model "
                "converted to opset 11 or later)");
  auto x = getInput(0);
  if (!x)
    return x.takeError();
  auto xType = cast<RankedTensorType>(x->getType());
  int64_t rank = xType.getRank();
  std::string mode = getString("mode", "nearest");
  std::string transform =
      getString("coordinate_transformation_mode", "half_pixel");
  std::string nearestMode = getString("nearest_mode", "round_prefer_floor");
  if (mode != "nearest" && mode != "linear" && mode != "cubic")
    return fail("unknown mode '" + mode + "'");
  double cubicA = getFloat("cubic_coeff_a", -0.75f);
  bool excludeOutside = getInt("exclude_outside", 0) != 0;
  if (!llvm::is_contained({"half_pixel", "pytorch_half_pixel", "align_corners",
                           "asymmetric", "tf_half_pixel_for_nn"},
                          llvm::StringRef(transform)))
    return fail("coordinate_transformation_mode '" + transform +
                "' is not supported");
  if (!llvm::is_contained(
          {"round_prefer_floor", "round_prefer_ceil", "floor", "ceil"},
          llvm::StringRef(nearestMode)))
    return fail("unknown nearest_mode '" + nearestMode + "'");
  if (getInt("antialias", 0) != 0 || findAttr("axes") ||
      getString("keep_aspect_ratio_policy", "stretch") != "stretch")
    return fail("antialias, axes and keep_aspect_ratio_policy are not "
                "supported");
  if (mode != "nearest" && !isa<FloatType>(xType.getElementType()))
    return fail(mode + " Resize needs a floating-point input");
  // Scales (input 2) or sizes (input 3), constant.
  DenseElementsAttr scalesAttr = getConstantInput(2),
                    sizesAttr = getConstantInput(3);
  if (hasInput(2) && !scalesAttr)
    return fail("the scales must be a constant");
  if (hasInput(3) && !sizesAttr)
    return fail("the sizes must be a constant");
  if (scalesAttr && scalesAttr.getNumElements() == 0)
    scalesAttr = nullptr;
  if (!scalesAttr == !sizesAttr)
    return fail("exactly one of scales and sizes must be given");
  SmallVector<double> scales(rank);
  SmallVector<int64_t> outShape(rank);
  if (scalesAttr) {
    if (scalesAttr.getNumElements() != rank)
      return fail("expected " + llvm::Twine(rank) + " scales");
    for (auto [d, v] : llvm::enumerate(scalesAttr.getValues<APFloat>()))
      scales[d] = v.convertToDouble();
  } else {
    if (sizesAttr.getNumElements() != rank)
      return fail("expected " + llvm::Twine(rank) + " sizes");
    for (auto [d, v] : llvm::enumerate(sizesAttr.getValues<APInt>()))
      outShape[d] = v.getSExtValue();
  }
  SmallVector<int64_t> resized;
  for (int64_t d = 0; d < rank; ++d) {
    int64_t in = xType.getDimSize(d);
    if (sizesAttr && !xType.isDynamicDim(d))
      scales[d] = static_cast<double>(outShape[d]) / static_cast<double>(in);
    if (scales[d] == 1.0 && (!sizesAttr || outShape[d] == in)) {
      outShape[d] = in;
      continue;
    }
    if (xType.isDynamicDim(d))
      return fail("a dynamic dimension (" + llvm::Twine(d) +
                  ") can only keep its size");
    if (scalesAttr)
      outShape[d] = static_cast<int64_t>(std::floor(in * scales[d]));
    if (scales[d] <= 0 || outShape[d] <= 0)
      return fail("scales and sizes must be positive");
    resized.push_back(d);
  }
  if (resized.empty()) {
    setOutput(0, *x);
    onnxTypes[node->output(0)] = onnxTypes.lookup(node->input(0));
    return llvm::Error::success();
  }
  SmallVector<std::pair<Value, int64_t>> dyn;
  for (int64_t d = 0; d < rank; ++d)
    if (xType.isDynamicDim(d))
      dyn.push_back({*x, d});
  Type element = xType.getElementType();
  Value init = emptyTensor(outShape, element, dyn);
  Value source = *x;
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{}, ValueRange{init},
      SmallVector<AffineMap>{b.getMultiDimIdentityMap(rank)},
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location nl, ValueRange) {
        Type f64 = nb.getF64Type(), i64 = nb.getI64Type();
        auto cst = [&](double v) -> Value {
          return arith::ConstantOp::create(nb, nl, nb.getF64FloatAttr(v));
        };
        auto clampIndex = [&](Value i, int64_t size) -> Value {
          Value lo = arith::ConstantOp::create(nb, nl, nb.getI64IntegerAttr(0));
          Value hi =
              arith::ConstantOp::create(nb, nl, nb.getI64IntegerAttr(size - 1));
          i = arith::MaxSIOp::create(nb, nl, i, lo);
          i = arith::MinSIOp::create(nb, nl, i, hi);
          return arith::IndexCastOp::create(nb, nl, nb.getIndexType(), i);
        };
        SmallVector<Value> at;
        for (int64_t d = 0; d < rank; ++d)
          at.push_back(linalg::IndexOp::create(nb, nl, d));
        // Per resized axis, its taps: (index, weight) pairs; nearest has one
        // tap without a weight, linear two, cubic four.
        SmallVector<SmallVector<std::pair<Value, Value>>> taps;
        for (int64_t d : resized) {
          int64_t in = xType.getDimSize(d);
          double scale = scales[d];
          Value i = arith::IndexCastOp::create(nb, nl, i64, at[d]);
          Value xr = arith::SIToFPOp::create(nb, nl, f64, i);
          Value xo;
          if (transform == "asymmetric") {
            xo = arith::DivFOp::create(nb, nl, xr, cst(scale));
          } else if (transform == "align_corners") {
            // ONNX's reference: the output length as scale * input.
            double length = scale * static_cast<double>(in);
            xo = length == 1.0 ? cst(0.0)
                               : arith::MulFOp::create(
                                     nb, nl, xr,
                                     cst(static_cast<double>(in - 1) /
                                         (length - 1)));
          } else {
            Value shifted = arith::DivFOp::create(
                nb, nl, arith::AddFOp::create(nb, nl, xr, cst(0.5)),
                cst(scale));
            if (transform == "tf_half_pixel_for_nn")
              xo = shifted;
            else if (transform == "pytorch_half_pixel" &&
                     scale * static_cast<double>(in) <= 1.0)
              xo = cst(0.0);
            else
              xo = arith::SubFOp::create(nb, nl, shifted, cst(0.5));
          }
          if (mode == "nearest") {
            Value r;
            if (nearestMode == "floor")
              r = math::FloorOp::create(nb, nl, xo);
            else if (nearestMode == "ceil")
              r = math::CeilOp::create(nb, nl, xo);
            else if (nearestMode == "round_prefer_floor")
              r = math::CeilOp::create(
                  nb, nl, arith::SubFOp::create(nb, nl, xo, cst(0.5)));
            else
              r = math::FloorOp::create(
                  nb, nl, arith::AddFOp::create(nb, nl, xo, cst(0.5)));
            taps.push_back(
                {{clampIndex(arith::FPToSIOp::create(nb, nl, i64, r), in),
                  Value()}});
          } else if (mode == "linear") {
            Value lowF = math::FloorOp::create(nb, nl, xo);
            Value weight = arith::TruncFOp::create(
                nb, nl, element, arith::SubFOp::create(nb, nl, xo, lowF));
            Value low = arith::FPToSIOp::create(nb, nl, i64, lowF);
            Value high = arith::AddIOp::create(
                nb, nl, low,
                arith::ConstantOp::create(nb, nl, nb.getI64IntegerAttr(1)));
            Value one = arith::ConstantOp::create(
                nb, nl, nb.getFloatAttr(element, 1.0));
            taps.push_back(
                {{clampIndex(low, in),
                  arith::SubFOp::create(nb, nl, one, weight).getResult()},
                 {clampIndex(high, in), weight}});
          } else {
            // Cubic convolution (Keys), coefficient A: taps floor(x) - 1 ..
            // floor(x) + 2, clamped to the edge; with exclude_outside, taps
            // outside the input weigh 0 and the rest are renormalized.
            Value lowF = math::FloorOp::create(nb, nl, xo);
            Value t = arith::SubFOp::create(nb, nl, xo, lowF);
            Value low = arith::FPToSIOp::create(nb, nl, i64, lowF);
            auto mul = [&](Value x, Value y) -> Value {
              return arith::MulFOp::create(nb, nl, x, y);
            };
            auto add = [&](Value x, Value y) -> Value {
              return arith::AddFOp::create(nb, nl, x, y);
            };
            // |s| <= 1: (A + 2)|s|^3 - (A + 3)|s|^2 + 1;
            // 1 < |s| < 2: A|s|^3 - 5A|s|^2 + 8A|s| - 4A.
            auto nearCoeff = [&](Value s) {
              return add(mul(mul(s, s), add(mul(cst(cubicA + 2), s),
                                            cst(-(cubicA + 3)))),
                         cst(1.0));
            };
            auto farCoeff = [&](Value s) {
              Value p = add(mul(cst(cubicA), s), cst(-5 * cubicA));
              p = add(mul(p, s), cst(8 * cubicA));
              return add(mul(p, s), cst(-4 * cubicA));
            };
            Value oneMinusT = arith::SubFOp::create(nb, nl, cst(1.0), t);
            SmallVector<Value> coeffs{
                farCoeff(add(t, cst(1.0))), nearCoeff(t), nearCoeff(oneMinusT),
                farCoeff(add(oneMinusT, cst(1.0)))};
            SmallVector<Value> indices;
            for (int64_t o = -1; o <= 2; ++o)
              indices.push_back(arith::AddIOp::create(
                  nb, nl, low,
                  arith::ConstantOp::create(nb, nl, nb.getI64IntegerAttr(o))));
            if (excludeOutside) {
              Value total = cst(0.0);
              for (int tap = 0; tap < 4; ++tap) {
                Value inside = arith::AndIOp::create(
                    nb, nl,
                    arith::CmpIOp::create(
                        nb, nl, arith::CmpIPredicate::sge, indices[tap],
                        arith::ConstantOp::create(nb, nl, nb.getI64IntegerAttr(0))),
                    arith::CmpIOp::create(
                        nb, nl, arith::CmpIPredicate::slt, indices[tap],
                        arith::ConstantOp::create(nb, nl,
                                                  nb.getI64IntegerAttr(in))));
                coeffs[tap] =
                    arith::SelectOp::create(nb, nl, inside, coeffs[tap], cst(0.0));
                total = add(total, coeffs[tap]);
              }
              for (Value &c : coeffs)
                c = arith::DivFOp::create(nb, nl, c, total);
            }
            SmallVector<std::pair<Value, Value>> axisTaps;
            for (int tap = 0; tap < 4; ++tap)
              axisTaps.push_back(
                  {clampIndex(indices[tap], in),
                   arith::TruncFOp::create(nb, nl, element, coeffs[tap])});
            taps.push_back(axisTaps);
          }
        }
        // The sum over every combination of the axes' taps of the product of
        // their weights times the input there.
        Value result;
        SmallVector<size_t> pick(taps.size(), 0);
        while (true) {
          Value weight;
          for (auto [k, d] : llvm::enumerate(resized)) {
            auto [index, w] = taps[k][pick[k]];
            at[d] = index;
            if (w)
              weight = weight ? arith::MulFOp::create(nb, nl, weight, w)
                                    .getResult()
                              : w;
          }
          Value term = tensor::ExtractOp::create(nb, nl, source, at);
          if (weight)
            term = arith::MulFOp::create(nb, nl, weight, term);
          result = result ? arith::AddFOp::create(nb, nl, result, term)
                                .getResult()
                          : term;
          size_t k = 0;
          while (k < taps.size() && ++pick[k] == taps[k].size())
            pick[k++] = 0;
          if (k == taps.size())
            break;
        }
        linalg::YieldOp::create(nb, nl, ValueRange{result});
      });
  setOutput(0, generic.getResult(0));
  onnxTypes[node->output(0)] = onnxTypes.lookup(node->input(0));
  return llvm::Error::success();
}
