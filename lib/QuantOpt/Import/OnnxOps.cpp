//===- OnnxOps.cpp - ONNX ops with structure to linalg --------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// Matmuls and Gemm (linalg.matmul; a constant transposed B is transposed at
// import, so the layer's weight stays a constant), convolutions
// (linalg.conv_2d_nchw_fchw, depthwise_conv_2d_nchw_chw, padding as
// tensor.pad), pooling, Flatten/Reshape (collapse/expand where they are),
// Transpose and Softmax.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporterImpl.h"



using namespace mlir;
using namespace quantopt;
using namespace quantopt::onnx_import;

llvm::Error Importer::importMatMul() {
  auto a = getInput(0), w = getInput(1);
  if (!a)
    return a.takeError();
  if (!w)
    return w.takeError();
  auto aType = cast<RankedTensorType>(a->getType());
  auto wType = cast<RankedTensorType>(w->getType());
  Type element = aType.getElementType();
  if (!isa<FloatType>(element) || wType.getElementType() != element)
    return fail("only floating-point matmuls are supported (MatMulInteger "
                "and QLinearMatMul come with the quantized import)");
  if (wType.getRank() >= 3)
    return importBatchMatMul(*a, *w);
  auto y = buildMatMul(*a, *w);
  if (!y)
    return y.takeError();
  setOutput(0, *y);
  return llvm::Error::success();
}

llvm::Expected<Value> Importer::buildMatMul(Value a, Value w) {
  auto aType = cast<RankedTensorType>(a.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  Type element = aType.getElementType();
  if (wType.getRank() != 2 || aType.getRank() < 2)
    return fail("only [..., M, K] x [K, N] and batched matmuls with equal "
                "batch dimensions are supported yet");
  // Leading dimensions of the activation fold into the rows.
  Value x = a;
  int64_t rank = aType.getRank();
  if (rank > 2) {
    SmallVector<ReassociationIndices> groups(2);
    for (int64_t d = 0; d < rank - 1; ++d)
      groups[0].push_back(d);
    groups[1].push_back(rank - 1);
    x = tensor::CollapseShapeOp::create(b, loc, x, groups);
  }
  auto xType = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> shape{xType.getDimSize(0), wType.getDimSize(1)};
  SmallVector<std::pair<Value, int64_t>> dyn;
  if (xType.isDynamicDim(0))
    dyn.push_back({x, 0});
  if (wType.isDynamicDim(1))
    dyn.push_back({w, 1});
  Value init = filled(emptyTensor(shape, element, dyn),
                      FloatAttr::get(element, 0.0));
  Value y = linalg::MatmulOp::create(b, loc, ValueRange{x, w},
                                     ValueRange{init})
                .getResult(0);
  if (rank > 2) {
    SmallVector<int64_t> outShape(aType.getShape().drop_back());
    outShape.push_back(wType.getDimSize(1));
    SmallVector<OpFoldResult> sizes;
    for (int64_t d = 0; d < rank; ++d)
      sizes.push_back(ShapedType::isDynamic(outShape[d])
                          ? OpFoldResult(d < rank - 1 ? dim(a, d) : dim(w, 1))
                          : OpFoldResult(b.getIndexAttr(outShape[d])));
    SmallVector<ReassociationIndices> groups(2);
    for (int64_t d = 0; d < rank - 1; ++d)
      groups[0].push_back(d);
    groups[1].push_back(rank - 1);
    y = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get(outShape, element), y, groups, sizes);
  }
  return y;
}

llvm::Error Importer::importGemm() {
  auto a = getInput(0);
  if (!a)
    return a.takeError();
  // A constant B with transB=1 is transposed here, so the layer's weight
  // stays a constant (and no constant of the untransposed one is made).
  DenseElementsAttr wConst = getConstantInput(1);
  bool foldTranspose = getInt("transB", 0) && wConst &&
                       wConst.getType().getElementType().isF32() &&
                       wConst.getType().getRank() == 2;
  llvm::Expected<Value> w = Value();
  if (foldTranspose) {
    auto type = wConst.getType();
    int64_t rows = type.getDimSize(0), cols = type.getDimSize(1);
    SmallVector<float> data(wConst.getValues<float>());
    SmallVector<float> t(data.size());
    for (int64_t i = 0; i < rows; ++i)
      for (int64_t j = 0; j < cols; ++j)
        t[j * rows + i] = data[i * cols + j];
    w = arith::ConstantOp::create(
            b, loc,
            DenseElementsAttr::get(
                RankedTensorType::get({cols, rows}, type.getElementType()),
                ArrayRef<float>(t)))
            .getResult();
  } else {
    w = getInput(1);
  }
  if (!w)
    return w.takeError();
  auto aType = cast<RankedTensorType>(a->getType());
  auto wType = cast<RankedTensorType>(w->getType());
  Type element = aType.getElementType();
  if (!isa<FloatType>(element) || aType.getRank() != 2 || wType.getRank() != 2)
    return fail("Gemm needs two 2-D floating-point inputs");
  float alpha = getFloat("alpha", 1.0f), beta = getFloat("beta", 1.0f);
  auto transpose = [&](Value v) -> Value {
    auto type = cast<RankedTensorType>(v.getType());
    SmallVector<std::pair<Value, int64_t>> dyn;
    for (int64_t d : {1, 0})
      if (type.isDynamicDim(d))
        dyn.push_back({v, d});
    Value init = emptyTensor({type.getDimSize(1), type.getDimSize(0)},
                             element, dyn);
    return linalg::TransposeOp::create(b, loc, v, init,
                                       ArrayRef<int64_t>{1, 0})
        ->getResult(0);
  };
  Value x = getInt("transA", 0) ? transpose(*a) : *a;
  Value wt = getInt("transB", 0) && !foldTranspose ? transpose(*w) : *w;
  auto xType = cast<RankedTensorType>(x.getType());
  auto wtType = cast<RankedTensorType>(wt.getType());
  SmallVector<std::pair<Value, int64_t>> dyn;
  if (xType.isDynamicDim(0))
    dyn.push_back({x, 0});
  if (wtType.isDynamicDim(1))
    dyn.push_back({wt, 1});
  Value init = filled(
      emptyTensor({xType.getDimSize(0), wtType.getDimSize(1)}, element, dyn),
      FloatAttr::get(element, 0.0));
  Value y = linalg::MatmulOp::create(b, loc, ValueRange{x, wt},
                                     ValueRange{init})
                .getResult(0);
  auto scale = [&](Value v, float s) -> llvm::Expected<Value> {
    if (s == 1.0f)
      return v;
    return elementwise({v}, element,
                       [&](OpBuilder &nb, Location nl, ValueRange e) -> Value {
                         return arith::MulFOp::create(
                             nb, nl, e[0],
                             arith::ConstantOp::create(
                                 nb, nl, FloatAttr::get(element, s)));
                       });
  };
  auto scaled = scale(y, alpha);
  if (!scaled)
    return scaled.takeError();
  y = *scaled;
  if (hasInput(2) && beta != 0.0f) {
    auto c = getInput(2);
    if (!c)
      return c.takeError();
    auto cScaled = scale(*c, beta);
    if (!cScaled)
      return cScaled.takeError();
    auto sum = addFloat(y, *cScaled);
    if (!sum)
      return sum.takeError();
    y = *sum;
  }
  setOutput(0, y);
  return llvm::Error::success();
}

llvm::Expected<SmallVector<int64_t>>
Importer::getPads(RankedTensorType xType, ArrayRef<int64_t> kernel,
                  ArrayRef<int64_t> strides, ArrayRef<int64_t> dilations) {
  std::string autoPad = getString("auto_pad", "NOTSET");
  size_t n = kernel.size();
  if (autoPad == "NOTSET") {
    SmallVector<int64_t> pads = getInts("pads", SmallVector<int64_t>(2 * n, 0));
    if (pads.size() != 2 * n)
      return fail("expected " + llvm::Twine(2 * n) + " pads for a " +
                  llvm::Twine(n) + "-D window");
    return pads;
  }
  if (autoPad == "VALID")
    return SmallVector<int64_t>(2 * n, 0);
  if (autoPad != "SAME_UPPER" && autoPad != "SAME_LOWER")
    return fail("unknown auto_pad '" + autoPad + "'");
  SmallVector<int64_t> pads(2 * n, 0);
  for (size_t d = 0; d < n; ++d) {
    int64_t in = xType.getDimSize(2 + d);
    if (ShapedType::isDynamic(in))
      return fail("auto_pad=" + autoPad + " needs static spatial sizes");
    int64_t out = (in + strides[d] - 1) / strides[d];
    int64_t total = std::max<int64_t>(
        0, (out - 1) * strides[d] + (kernel[d] - 1) * dilations[d] + 1 - in);
    int64_t small = total / 2, large = total - small;
    pads[d] = autoPad == "SAME_UPPER" ? small : large;
    pads[n + d] = autoPad == "SAME_UPPER" ? large : small;
  }
  return pads;
}

Value Importer::pad(Value x, ArrayRef<int64_t> pads, Attribute value) {
  if (llvm::all_of(pads, [](int64_t p) { return p == 0; }))
    return x;
  auto type = cast<RankedTensorType>(x.getType());
  SmallVector<int64_t> low{0, 0, pads[0], pads[1]},
      high{0, 0, pads[2], pads[3]};
  SmallVector<int64_t> shape(type.getShape());
  for (int d = 2; d < 4; ++d)
    if (!ShapedType::isDynamic(shape[d]))
      shape[d] += low[d] + high[d];
  Value padValue = arith::ConstantOp::create(b, loc, cast<TypedAttr>(value));
  return tensor::PadOp::create(
      b, loc, RankedTensorType::get(shape, type.getElementType()), x,
      getAsIndexOpFoldResult(&ctx, low), getAsIndexOpFoldResult(&ctx, high),
      padValue);
}

llvm::Error Importer::importPool(bool isMax) {
  auto x = getInput(0);
  if (!x)
    return x.takeError();
  auto xType = cast<RankedTensorType>(x->getType());
  Type element = xType.getElementType();
  int64_t rank = xType.getRank();
  // Integer MaxPool (ONNX Runtime's QOperator models pool uint8/int8
  // tensors): signed order for int8; uint8 maps to it by flipping the top
  // bit, pools, and flips back.
  bool isInteger = isa<IntegerType>(element);
  int32_t onnxType = onnxTypes.lookup(node->input(0));
  bool isUint8 = isInteger && onnxType == onnx::TensorProto::UINT8;
  if (isInteger && (!isMax || !element.isInteger(8) ||
                    (onnxType != onnx::TensorProto::INT8 && !isUint8)))
    return fail("integer pooling is supported for MaxPool on uint8 and int8");
  if ((rank != 3 && rank != 4) || (!isa<FloatType>(element) && !isInteger))
    return fail("only 1-D and 2-D pooling (NCW/NCHW) is supported");
  for (int64_t d = 2; d < rank; ++d)
    if (xType.isDynamicDim(d))
      return fail("pooling needs static spatial sizes");
  if (node->output_size() > 1)
    return fail("the Indices output is not supported");
  int64_t spatial = rank - 2;
  bool ceilMode = getInt("ceil_mode", 0) != 0;
  SmallVector<int64_t> kernel = getInts("kernel_shape", {});
  if (static_cast<int64_t>(kernel.size()) != spatial)
    return fail("expected a " + llvm::Twine(spatial) + "-D kernel_shape");
  SmallVector<int64_t> strides =
      getInts("strides", SmallVector<int64_t>(spatial, 1));
  SmallVector<int64_t> dilations =
      getInts("dilations", SmallVector<int64_t>(spatial, 1));
  if (static_cast<int64_t>(strides.size()) != spatial ||
      static_cast<int64_t>(dilations.size()) != spatial)
    return fail("expected " + llvm::Twine(spatial) + " strides and dilations");
  auto padsOr = getPads(xType, kernel, strides, dilations);
  if (!padsOr)
    return padsOr.takeError();
  SmallVector<int64_t> pads = *padsOr;
  // 1-D as 2-D with a unit height.
  Value x4 = *x;
  if (spatial == 1) {
    x4 = liftTo2d(x4);
    kernel.insert(kernel.begin(), 1);
    strides.insert(strides.begin(), 1);
    dilations.insert(dilations.begin(), 1);
    pads = {0, pads[0], 0, pads[1]};
  }
  auto x4Type = cast<RankedTensorType>(x4.getType());
  // Output sizes; ceil_mode adds a last window that may start in the
  // padding at the end, but not beyond the input and the begin padding (as
  // ONNX Runtime and PyTorch do): that window gets extra end padding.
  SmallVector<int64_t> outSize(2), extra(2, 0);
  for (int d = 0; d < 2; ++d) {
    int64_t in = x4Type.getDimSize(2 + d);
    int64_t reach = dilations[d] * (kernel[d] - 1) + 1;
    int64_t span = in + pads[d] + pads[2 + d] - reach;
    if (span < 0)
      return fail("the window is larger than the padded input");
    int64_t out = span / strides[d] + 1;
    if (ceilMode) {
      out = (span + strides[d] - 1) / strides[d] + 1;
      if ((out - 1) * strides[d] >= in + pads[d])
        --out;
    }
    outSize[d] = out;
    extra[d] = std::max<int64_t>(
        0, (out - 1) * strides[d] + reach - (in + pads[d] + pads[2 + d]));
  }
  auto flipSign = [&](Value v) -> Value {
    auto r = elementwise({v}, element,
                         [&](OpBuilder &nb, Location nl, ValueRange e) -> Value {
                           Value top = arith::ConstantOp::create(
                               nb, nl, nb.getIntegerAttr(element, -128));
                           return arith::XOrIOp::create(nb, nl, e[0], top);
                         });
    return r ? *r : Value();
  };
  if (isUint8)
    x4 = flipSign(x4);
  Attribute padValue;
  if (isInteger)
    padValue = b.getIntegerAttr(element, -128);
  else
    padValue = isMax ? FloatAttr::get(
                           element, APFloat::getInf(
                                        cast<FloatType>(element).getFloatSemantics(),
                                        /*Negative=*/true))
                     : FloatAttr::get(element, 0.0);
  SmallVector<int64_t> allPads{pads[0], pads[1], pads[2] + extra[0],
                               pads[3] + extra[1]};
  Value padded = pad(x4, allPads, padValue);
  SmallVector<int64_t> outShape{x4Type.getDimSize(0), x4Type.getDimSize(1),
                                outSize[0], outSize[1]};
  SmallVector<std::pair<Value, int64_t>> dyn;
  for (int d = 0; d < 2; ++d)
    if (x4Type.isDynamicDim(d))
      dyn.push_back({x4, d});
  Value init = filled(emptyTensor(outShape, element, dyn), padValue);
  Value window = tensor::EmptyOp::create(b, loc, kernel, element);
  auto stridesAttr = b.getI64TensorAttr(strides);
  auto dilationsAttr = b.getI64TensorAttr(dilations);
  Value y;
  if (isMax) {
    y = linalg::PoolingNchwMaxOp::create(
            b, loc, TypeRange{init.getType()}, ValueRange{padded, window},
            ValueRange{init}, stridesAttr, dilationsAttr)
            .getResult(0);
  } else {
    y = linalg::PoolingNchwSumOp::create(
            b, loc, TypeRange{init.getType()}, ValueRange{padded, window},
            ValueRange{init}, stridesAttr, dilationsAttr)
            .getResult(0);
    // The divisor of each window: every tap with count_include_pad=1
    // (except the ceil_mode extra), else only the taps inside the input.
    bool includePad = getInt("count_include_pad", 0) != 0;
    bool uniform = true;
    SmallVector<float> counts;
    for (int64_t i = 0; i < outSize[0]; ++i)
      for (int64_t j = 0; j < outSize[1]; ++j) {
        int64_t count = 0;
        for (int64_t ki = 0; ki < kernel[0]; ++ki)
          for (int64_t kj = 0; kj < kernel[1]; ++kj) {
            int64_t r = i * strides[0] + ki * dilations[0] - pads[0];
            int64_t c = j * strides[1] + kj * dilations[1] - pads[1];
            int64_t rLo = includePad ? -pads[0] : 0;
            int64_t cLo = includePad ? -pads[1] : 0;
            int64_t rHi = x4Type.getDimSize(2) + (includePad ? pads[2] : 0);
            int64_t cHi = x4Type.getDimSize(3) + (includePad ? pads[3] : 0);
            count += r >= rLo && r < rHi && c >= cLo && c < cHi;
          }
        counts.push_back(static_cast<float>(count));
        uniform &= count == kernel[0] * kernel[1];
      }
    if (uniform) {
      auto mean = divideBy(y, static_cast<double>(kernel[0] * kernel[1]));
      if (!mean)
        return mean.takeError();
      y = *mean;
    } else {
      if (!element.isF32())
        return fail("AveragePool with partial windows needs float32");
      Value divisor = arith::ConstantOp::create(
          b, loc,
          DenseElementsAttr::get(
              RankedTensorType::get({outSize[0], outSize[1]}, element),
              ArrayRef<float>(counts)));
      auto mean = elementwise(
          {y, divisor}, element,
          [&](OpBuilder &nb, Location nl, ValueRange e) -> Value {
            return arith::DivFOp::create(nb, nl, e[0], e[1]);
          });
      if (!mean)
        return mean.takeError();
      y = *mean;
    }
  }
  if (isUint8)
    y = flipSign(y);
  setOutput(0, spatial == 1 ? dropUnitHeight(y) : y);
  onnxTypes[node->output(0)] = onnxType;
  return llvm::Error::success();
}

llvm::Error Importer::importGlobalAveragePool() {
  auto x = getInput(0);
  if (!x)
    return x.takeError();
  auto xType = cast<RankedTensorType>(x->getType());
  if (xType.getRank() != 4 || !isa<FloatType>(xType.getElementType()) ||
      xType.isDynamicDim(2) || xType.isDynamicDim(3))
    return fail("only NCHW floating-point inputs with static H and W are "
                "supported");
  auto mean = divideBy(reduce(*x, {2, 3}, /*keepDims=*/true, /*isMax=*/false),
                       static_cast<double>(xType.getDimSize(2) *
                                           xType.getDimSize(3)));
  if (!mean)
    return mean.takeError();
  setOutput(0, *mean);
  return llvm::Error::success();
}

/// The reassociation that collapses `from` into `to` when every group of
/// consecutive source dimensions has the static product of one target
/// dimension (a dynamic target dimension takes exactly one dynamic source
/// dimension), or nullopt.
static std::optional<SmallVector<ReassociationIndices>>
getCollapse(ArrayRef<int64_t> from, ArrayRef<int64_t> to) {
  SmallVector<ReassociationIndices> groups;
  size_t i = 0;
  for (int64_t target : to) {
    ReassociationIndices group;
    if (ShapedType::isDynamic(target)) {
      if (i >= from.size() || !ShapedType::isDynamic(from[i]))
        return std::nullopt;
      group.push_back(i++);
    } else {
      int64_t product = 1;
      while (i < from.size() && !ShapedType::isDynamic(from[i]) &&
             (group.empty() || product < target)) {
        product *= from[i];
        group.push_back(i++);
      }
      if (group.empty() || product != target)
        return std::nullopt;
    }
    groups.push_back(group);
  }
  // Trailing unit dimensions join the last group.
  while (i < from.size() && from[i] == 1 && !groups.empty())
    groups.back().push_back(i++);
  if (i != from.size() || groups.empty())
    return std::nullopt;
  return groups;
}

llvm::Error Importer::importFlatten() {
  auto x = getInput(0);
  if (!x)
    return x.takeError();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  int64_t axis = getInt("axis", 1);
  if (axis < 0)
    axis += rank;
  if (axis < 1 || axis > rank)
    return fail("axis " + llvm::Twine(getInt("axis", 1)) +
                " is not supported (only 1 .. rank; axis 0 adds a leading 1)");
  SmallVector<ReassociationIndices> groups(2);
  for (int64_t d = 0; d < rank; ++d)
    groups[d < axis ? 0 : 1].push_back(d);
  if (groups[1].empty()) {
    // [..] -> [prod, 1]: collapse everything, then a trailing 1.
    return fail("axis = rank is not supported yet");
  }
  setOutput(0, tensor::CollapseShapeOp::create(b, loc, *x, groups));
  return llvm::Error::success();
}

llvm::Error Importer::importReshape() {
  auto x = getInput(0);
  if (!x)
    return x.takeError();
  DenseElementsAttr shapeAttr = getConstantInput(1);
  auto symbolic = symbolicShapes.find(hasInput(1) ? node->input(1) : "");
  if (!shapeAttr && symbolic == symbolicShapes.end())
    return fail("the target shape must be a constant (an initializer or a "
                "Constant node)");
  if (getInt("allowzero", 0) != 0)
    return fail("allowzero=1 is not supported");
  auto type = cast<RankedTensorType>(x->getType());
  SmallVector<int64_t> requested;
  if (shapeAttr) {
    for (APInt v : shapeAttr.getValues<APInt>())
      requested.push_back(v.getSExtValue());
  } else {
    // A dynamic dimension of this same tensor at the same position is a
    // copy of it (0); any other is not known here.
    for (auto [i, v] : llvm::enumerate(symbolic->second.values)) {
      if (!isSymbolicDim(v)) {
        requested.push_back(v);
        continue;
      }
      auto [name, d] = symbolicDims[v - kSymbolicBase];
      if (values.lookup(name) != *x || d != static_cast<int64_t>(i))
        return fail("the target shape takes dimension " + llvm::Twine(d) +
                    " of '" + name + "' at position " + llvm::Twine(i) +
                    ", which is dynamic; import with --batch N or "
                    "--input-shape");
      requested.push_back(0);
    }
  }
  // 0 copies the input's dimension; -1 takes what is left.
  SmallVector<int64_t> shape;
  int64_t inferred = -1, known = 1;
  bool dynamicInput = !type.hasStaticShape();
  for (auto [i, r] : llvm::enumerate(requested)) {
    int64_t size = r;
    if (r == 0) {
      if (static_cast<int64_t>(i) >= type.getRank())
        return fail("0 at position " + llvm::Twine(i) +
                    " has no input dimension to copy");
      size = type.getDimSize(i);
    } else if (r == -1) {
      if (inferred >= 0)
        return fail("more than one -1 in the target shape");
      inferred = i;
    } else if (r < 0) {
      return fail("negative size " + llvm::Twine(r));
    }
    shape.push_back(size);
    if (r != -1 && !ShapedType::isDynamic(size))
      known *= size;
  }
  // When every dynamic dimension of the input is copied (0) to its own
  // position, -1 is the static rest: [N, C, H, W] -> [0, 0, -1] is
  // [N, C, H * W] with a dynamic N.
  bool dynamicCopied = dynamicInput;
  int64_t staticElements = 1;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (!type.isDynamicDim(d)) {
      staticElements *= type.getDimSize(d);
      continue;
    }
    dynamicCopied &= d < static_cast<int64_t>(requested.size()) &&
                     requested[d] == 0;
  }
  if (inferred >= 0 && dynamicCopied && known != 0 &&
      staticElements % known == 0) {
    shape[inferred] = staticElements / known;
  } else if (inferred >= 0) {
    if (dynamicInput)
      shape[inferred] = ShapedType::kDynamic;
    else if (known == 0 || type.getNumElements() % known != 0)
      return fail("the target shape does not divide the input's " +
                  llvm::Twine(type.getNumElements()) + " elements");
    else
      shape[inferred] = type.getNumElements() / known;
  }
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  if (shape.size() < static_cast<size_t>(type.getRank()))
    if (auto groups = getCollapse(type.getShape(), shape)) {
      setOutput(0, tensor::CollapseShapeOp::create(b, loc, resultType, *x,
                                                   *groups));
      return llvm::Error::success();
    }
  if (shape.size() > static_cast<size_t>(type.getRank()))
    if (auto groups = getCollapse(shape, type.getShape())) {
      SmallVector<OpFoldResult> sizes;
      for (auto [i, s] : llvm::enumerate(shape)) {
        if (!ShapedType::isDynamic(s)) {
          sizes.push_back(b.getIndexAttr(s));
          continue;
        }
        // The dynamic dimension is one source dimension of its own.
        int64_t source = 0;
        for (auto [g, group] : llvm::enumerate(*groups))
          if (llvm::is_contained(group, static_cast<int64_t>(i)))
            source = g;
        sizes.push_back(dim(*x, source));
      }
      setOutput(0, tensor::ExpandShapeOp::create(b, loc, resultType, *x,
                                                 *groups, sizes));
      return llvm::Error::success();
    }
  if (!type.hasStaticShape() || !resultType.hasStaticShape())
    return fail("a dynamic reshape that is not a collapse or an expansion "
                "of dimensions is not supported yet");
  SmallVector<int64_t> shape64(shape);
  Value shapeValue = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(
          RankedTensorType::get({static_cast<int64_t>(shape.size())},
                                b.getI64Type()),
          ArrayRef<int64_t>(shape64)));
  setOutput(0, tensor::ReshapeOp::create(b, loc, resultType, *x, shapeValue));
  return llvm::Error::success();
}

llvm::Error Importer::importTranspose() {
  auto x = getInput(0);
  if (!x)
    return x.takeError();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  SmallVector<int64_t> reversed;
  for (int64_t d = rank - 1; d >= 0; --d)
    reversed.push_back(d);
  SmallVector<int64_t> perm = getInts("perm", reversed);
  if (static_cast<int64_t>(perm.size()) != rank)
    return fail("perm has " + llvm::Twine(perm.size()) + " entries for rank " +
                llvm::Twine(rank));
  SmallVector<int64_t> shape;
  SmallVector<std::pair<Value, int64_t>> dyn;
  for (int64_t p : perm) {
    shape.push_back(type.getDimSize(p));
    if (type.isDynamicDim(p))
      dyn.push_back({*x, p});
  }
  Value init = emptyTensor(shape, type.getElementType(), dyn);
  setOutput(0, linalg::TransposeOp::create(b, loc, *x, init, perm)->getResult(0));
  return llvm::Error::success();
}

llvm::Error Importer::importSoftmax() {
  auto x = getInput(0);
  if (!x)
    return x.takeError();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  Type element = type.getElementType();
  int64_t axis = getInt("axis", opset >= 13 ? -1 : 1);
  if (axis < 0)
    axis += rank;
  // Before opset 13 Softmax flattens the tensor at `axis`; from 13 on it
  // normalizes along `axis` alone. The two agree on the last axis.
  if (axis < 0 || axis >= rank || (opset < 13 && axis != rank - 1) ||
      !isa<FloatType>(element))
    return fail("a softmax over a non-last axis before opset 13, or of a "
                "non-float tensor, is not supported yet");
  // max over the axis, exp(x - max), sum, divide; the reductions keep the
  // axis (size 1) so that they broadcast back.
  Value max = reduce(*x, {axis}, /*keepDims=*/true, /*isMax=*/true);
  auto e = elementwise({*x, max}, element,
                       [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                         return math::ExpOp::create(
                             nb, nl, arith::SubFOp::create(nb, nl, a[0], a[1]));
                       });
  if (!e)
    return e.takeError();
  Value sum = reduce(*e, {axis}, /*keepDims=*/true, /*isMax=*/false);
  auto y = elementwise({*e, sum}, element,
                       [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
                         return arith::DivFOp::create(nb, nl, a[0], a[1]);
                       });
  if (!y)
    return y.takeError();
  setOutput(0, *y);
  return llvm::Error::success();
}

llvm::Error Importer::importBatchMatMul(Value a, Value w) {
  auto aType = cast<RankedTensorType>(a.getType());
  auto wType = cast<RankedTensorType>(w.getType());
  int64_t rank = aType.getRank();
  Type element = aType.getElementType();
  // Batch broadcasting (numpy's, as ONNX's MatMul): operands whose batch
  // dimensions differ are first copied to the common batch shape (static
  // sizes only).
  bool same = wType.getRank() == rank;
  for (int64_t d = 0; same && d + 2 < rank; ++d)
    same = aType.getDimSize(d) == wType.getDimSize(d);
  if (!same) {
    if (aType.getRank() < 2 || wType.getRank() < 2)
      return fail("1-D MatMul operands with batch dimensions are not "
                  "supported");
    rank = std::max(aType.getRank(), wType.getRank());
    SmallVector<int64_t> batch(rank - 2, 1);
    for (RankedTensorType t : {aType, wType}) {
      int64_t offset = rank - t.getRank();
      for (int64_t d = 0; d + 2 < t.getRank(); ++d) {
        int64_t size = t.getDimSize(d), &out = batch[offset + d];
        if (ShapedType::isDynamic(size))
          return fail("batch broadcasting needs static batch dimensions");
        if (size != 1 && out != 1 && size != out)
          return fail("batch dimensions do not broadcast");
        out = std::max(out, size);
      }
    }
    auto broadcast = [&](Value v) -> llvm::Expected<Value> {
      auto t = cast<RankedTensorType>(v.getType());
      SmallVector<int64_t> shape(batch);
      shape.push_back(t.getDimSize(t.getRank() - 2));
      shape.push_back(t.getDimSize(t.getRank() - 1));
      if (t.getShape() == ArrayRef<int64_t>(shape))
        return v;
      SmallVector<std::pair<Value, int64_t>> dyn;
      for (int64_t d : {t.getRank() - 2, t.getRank() - 1})
        if (t.isDynamicDim(d))
          dyn.push_back({v, d});
      return broadcastLike(v, emptyTensor(shape, element, dyn));
    };
    auto a2 = broadcast(a);
    if (!a2)
      return a2.takeError();
    auto w2 = broadcast(w);
    if (!w2)
      return w2.takeError();
    a = *a2;
    w = *w2;
    aType = cast<RankedTensorType>(a.getType());
    wType = cast<RankedTensorType>(w.getType());
  }
  // The batch dimensions as one: [B, M, K] x [B, K, N].
  SmallVector<ReassociationIndices> groups(1);
  for (int64_t d = 0; d + 2 < rank; ++d)
    groups[0].push_back(d);
  groups.push_back({rank - 2});
  groups.push_back({rank - 1});
  Value a3 = rank > 3 ? tensor::CollapseShapeOp::create(b, loc, a, groups)
                            .getResult()
                      : a;
  Value w3 = rank > 3 ? tensor::CollapseShapeOp::create(b, loc, w, groups)
                            .getResult()
                      : w;
  auto a3Type = cast<RankedTensorType>(a3.getType());
  auto w3Type = cast<RankedTensorType>(w3.getType());
  SmallVector<int64_t> shape{a3Type.getDimSize(0), a3Type.getDimSize(1),
                             w3Type.getDimSize(2)};
  SmallVector<std::pair<Value, int64_t>> dyn;
  if (a3Type.isDynamicDim(0))
    dyn.push_back({a3, 0});
  if (a3Type.isDynamicDim(1))
    dyn.push_back({a3, 1});
  if (w3Type.isDynamicDim(2))
    dyn.push_back({w3, 2});
  Value init = filled(emptyTensor(shape, element, dyn),
                      FloatAttr::get(element, 0.0));
  Value y = linalg::BatchMatmulOp::create(b, loc, ValueRange{a3, w3},
                                          ValueRange{init})
                .getResult(0);
  if (rank > 3) {
    SmallVector<int64_t> outShape(aType.getShape().drop_back());
    outShape.push_back(wType.getDimSize(rank - 1));
    SmallVector<OpFoldResult> sizes;
    for (int64_t d = 0; d < rank; ++d)
      sizes.push_back(
          ShapedType::isDynamic(outShape[d])
              ? OpFoldResult(d < rank - 1 ? dim(a, d) : dim(w, rank - 1))
              : OpFoldResult(b.getIndexAttr(outShape[d])));
    y = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get(outShape, element), y, groups, sizes);
  }
  setOutput(0, y);
  return llvm::Error::success();
}
