//===- OnnxNormOps.cpp - ONNX casts, reductions and normalizations --------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// Cast, ReduceMean, inference BatchNormalization (element-wise along the
// channels; OnnxFold.cpp folds it into a convolution before it) and
// LayerNormalization (as ONNX's function body computes it), on the shared
// reduction helpers (Importer::reduce, Importer::divideBy).
//
//===----------------------------------------------------------------------===//

#include "OnnxImporterImpl.h"

using namespace mlir;
using namespace quantopt;
using namespace quantopt::onnx_import;

llvm::Error Importer::importCast() {
  auto x = getInput(0);
  if (!x)
    return x.takeError();
  int32_t to = getInt("to", 0);
  int32_t from = onnxTypes.lookup(node->input(0));
  Type target = getElementType(&ctx, static_cast<int32_t>(to));
  Type source = getElementTypeOrSelf(x->getType());
  if (!target)
    return fail("Cast to or from this type is not supported yet");
  // ONNX's reference (1.12's test data) truncates float32 to bfloat16,
  // where arith.truncf rounds to nearest-even.
  if (target.isBF16() || source.isBF16())
    return fail("Cast to or from bfloat16 is not supported yet (ONNX's "
                "reference truncates to bfloat16, arith.truncf rounds)");
  if (isa<IntegerType>(source) && from == 0)
    return fail("the signedness of the input is unknown");
  // Bool is 0 or 1: widened unsigned; to bool: non-zero is true.
  bool srcUnsigned = isUnsignedOnnxType(from) || source.isInteger(1),
       dstUnsigned = isUnsignedOnnxType(to);
  auto r = elementwise(
      {*x}, target, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        Value v = a[0];
        if (source == target)
          return v;
        bool srcFloat = isa<FloatType>(source), dstFloat = isa<FloatType>(target);
        if (target.isInteger(1)) {
          Value zero = arith::ConstantOp::create(nb, nl, nb.getZeroAttr(source));
          return srcFloat ? arith::CmpFOp::create(
                                nb, nl, arith::CmpFPredicate::UNE, v, zero)
                                .getResult()
                          : arith::CmpIOp::create(
                                nb, nl, arith::CmpIPredicate::ne, v, zero)
                                .getResult();
        }
        if (srcFloat && dstFloat)
          return source.getIntOrFloatBitWidth() < target.getIntOrFloatBitWidth()
                     ? arith::ExtFOp::create(nb, nl, target, v).getResult()
                     : arith::TruncFOp::create(nb, nl, target, v).getResult();
        if (!srcFloat && dstFloat)
          return srcUnsigned
                     ? arith::UIToFPOp::create(nb, nl, target, v).getResult()
                     : arith::SIToFPOp::create(nb, nl, target, v).getResult();
        if (srcFloat)
          return dstUnsigned
                     ? arith::FPToUIOp::create(nb, nl, target, v).getResult()
                     : arith::FPToSIOp::create(nb, nl, target, v).getResult();
        unsigned sw = source.getIntOrFloatBitWidth(),
                 tw = target.getIntOrFloatBitWidth();
        if (sw == tw)
          return v;
        if (sw > tw)
          return arith::TruncIOp::create(nb, nl, target, v);
        return srcUnsigned
                   ? arith::ExtUIOp::create(nb, nl, target, v).getResult()
                   : arith::ExtSIOp::create(nb, nl, target, v).getResult();
      });
  if (!r)
    return r.takeError();
  setOutput(0, *r);
  onnxTypes[node->output(0)] = to;
  return llvm::Error::success();
}

llvm::Error Importer::importReduceMean() {
  auto x = getInput(0);
  if (!x)
    return x.takeError();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  Type element = type.getElementType();
  if (!isa<FloatType>(element))
    return fail("only floating-point ReduceMean is supported");
  auto axesOr = getAxes(1, 18, rank);
  if (!axesOr)
    return axesOr.takeError();
  SmallVector<int64_t> axes = *axesOr;
  if (axes.empty())
    for (int64_t d = 0; d < rank; ++d)
      axes.push_back(d);
  bool keep = getInt("keepdims", 1) != 0;
  double count = 1;
  for (int64_t d : axes) {
    if (type.isDynamicDim(d))
      return fail("reducing a dynamic dimension is not supported yet");
    count *= type.getDimSize(d);
  }
  auto mean = divideBy(reduce(*x, axes, keep, /*isMax=*/false), count);
  if (!mean)
    return mean.takeError();
  setOutput(0, *mean);
  return llvm::Error::success();
}

llvm::Error Importer::importBatchNormalization() {
  if (node->output_size() > 1)
    return fail("training-mode BatchNormalization (running statistics "
                "outputs) is not supported");
  SmallVector<Value> ins;
  for (int i = 0; i < 5; ++i) {
    auto v = getInput(i);
    if (!v)
      return v.takeError();
    ins.push_back(*v);
  }
  auto type = cast<RankedTensorType>(ins[0].getType());
  Type element = type.getElementType();
  int64_t rank = type.getRank();
  if (rank < 2 || !isa<FloatType>(element))
    return fail("expected a floating-point input of rank 2 or more");
  // The per-channel inputs [C] as [C, 1, ...] to broadcast along axis 1.
  for (int i = 1; i < 5; ++i) {
    auto t = cast<RankedTensorType>(ins[i].getType());
    if (t.getRank() != 1 || t.getElementType() != element)
      return fail("scale, B, mean and var must be 1-D of the input's type");
    if (rank == 2)
      continue;
    SmallVector<int64_t> shape{t.getDimSize(0)};
    shape.append(rank - 2, 1);
    SmallVector<ReassociationIndices> groups(1);
    for (int64_t d = 0; d < rank - 1; ++d)
      groups[0].push_back(d);
    ins[i] = tensor::ExpandShapeOp::create(
        b, loc, RankedTensorType::get(shape, element), ins[i], groups);
  }
  double eps = getFloat("epsilon", 1e-5f);
  auto y = elementwise(
      ins, element, [&](OpBuilder &nb, Location nl, ValueRange a) -> Value {
        // scale * (x - mean) / sqrt(var + epsilon) + B, as ONNX writes it.
        Value centered = arith::SubFOp::create(nb, nl, a[0], a[3]);
        Value scaled = arith::MulFOp::create(nb, nl, a[1], centered);
        Value var = arith::AddFOp::create(
            nb, nl, a[4],
            arith::ConstantOp::create(nb, nl, FloatAttr::get(element, eps)));
        Value normalized = arith::DivFOp::create(
            nb, nl, scaled, math::SqrtOp::create(nb, nl, var));
        return arith::AddFOp::create(nb, nl, normalized, a[2]);
      });
  if (!y)
    return y.takeError();
  setOutput(0, *y);
  return llvm::Error::success();
}

llvm::Error Importer::importLayerNormalization() {
  auto x = getInput(0), scale = getInput(1);
  if (!x)
    return x.takeError();
  if (!scale)
    return scale.takeError();
  auto type = cast<RankedTensorType>(x->getType());
  Type element = type.getElementType();
  int64_t rank = type.getRank();
  int64_t axis = getInt("axis", -1);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank || !isa<FloatType>(element))
    return fail("axis out of range or a non-float input");
  if (getInt("stash_type", 1) != 1)
    return fail("only stash_type=1 (float) is supported");
  double count = 1;
  for (int64_t d = axis; d < rank; ++d) {
    if (type.isDynamicDim(d))
      return fail("the normalized dimensions must be static");
    count *= type.getDimSize(d);
  }
  double eps = getFloat("epsilon", 1e-5f);
  // Mean and variance over [axis, rank), kept as dimensions of size 1.
  SmallVector<int64_t> axes;
  for (int64_t d = axis; d < rank; ++d)
    axes.push_back(d);
  auto mean = [&](Value v) {
    return divideBy(reduce(v, axes, /*keepDims=*/true, /*isMax=*/false), count);
  };
  // As ONNX's function body: D = x - mean; var = mean(D * D);
  // inv = 1 / sqrt(var + epsilon); y = D * inv * scale + B.
  auto m = mean(*x);
  if (!m)
    return m.takeError();
  auto centered = elementwise({*x, *m}, element,
                              [&](OpBuilder &nb, Location nl, ValueRange e) -> Value {
                                return arith::SubFOp::create(nb, nl, e[0], e[1]);
                              });
  if (!centered)
    return centered.takeError();
  auto squared = elementwise({*centered}, element,
                             [&](OpBuilder &nb, Location nl, ValueRange e) -> Value {
                               return arith::MulFOp::create(nb, nl, e[0], e[0]);
                             });
  if (!squared)
    return squared.takeError();
  auto var = mean(*squared);
  if (!var)
    return var.takeError();
  auto inv = elementwise({*var}, element,
                         [&](OpBuilder &nb, Location nl, ValueRange e) -> Value {
                           Value s = math::SqrtOp::create(
                               nb, nl,
                               arith::AddFOp::create(
                                   nb, nl, e[0],
                                   arith::ConstantOp::create(
                                       nb, nl, FloatAttr::get(element, eps))));
                           return arith::DivFOp::create(
                               nb, nl,
                               arith::ConstantOp::create(
                                   nb, nl, FloatAttr::get(element, 1.0)),
                               s);
                         });
  if (!inv)
    return inv.takeError();
  SmallVector<Value> ins{*centered, *inv, *scale};
  if (hasInput(2)) {
    auto bv = getInput(2);
    if (!bv)
      return bv.takeError();
    ins.push_back(*bv);
  }
  auto y = elementwise(ins, element,
                       [&](OpBuilder &nb, Location nl, ValueRange e) -> Value {
                         Value n = arith::MulFOp::create(nb, nl, e[0], e[1]);
                         Value r = arith::MulFOp::create(nb, nl, n, e[2]);
                         return e.size() > 3
                                    ? arith::AddFOp::create(nb, nl, r, e[3])
                                          .getResult()
                                    : r;
                       });
  if (!y)
    return y.takeError();
  setOutput(0, *y);
  if (node->output_size() > 1 && !node->output(1).empty())
    setOutput(1, *m);
  if (node->output_size() > 2 && !node->output(2).empty())
    setOutput(2, *inv);
  return llvm::Error::success();
}
