//===- OnnxShapeOps.cpp - ONNX shape, cast and normalization ops ----------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// Squeeze/Unsqueeze (collapse/expand), Concat (insert_slice into one
// tensor), Pad (tensor.pad, constant mode), Slice and Split
// (extract_slice), Gather, Expand, and Shape/ConstantOfShape/Range folded
// into constants.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporterImpl.h"

using namespace mlir;
using namespace quantopt;
using namespace quantopt::onnx_import;

/// The axes of a node: its `axes` attribute before `inputOpset`, its
/// constant input `index` from then on (empty when absent).
llvm::Expected<SmallVector<int64_t>>
Importer::getAxes(int index, int64_t inputOpset, int64_t rank) {
  SmallVector<int64_t> axes;
  if (opset < inputOpset) {
    axes = getInts("axes", {});
  } else if (hasInput(index)) {
    DenseElementsAttr attr = getConstantInput(index);
    if (!attr)
      return fail("the axes must be a constant");
    for (APInt v : attr.getValues<APInt>())
      axes.push_back(v.getSExtValue());
  }
  for (int64_t &a : axes) {
    if (a < 0)
      a += rank;
    if (a < 0 || a >= rank)
      return fail("axis out of range for rank " + llvm::Twine(rank));
  }
  llvm::sort(axes);
  return axes;
}

llvm::Error Importer::importSqueeze(bool squeeze) {
  auto x = getInput(0);
  if (!x)
    return x.takeError();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t inRank = type.getRank();
  int64_t outRank = inRank;
  // The axes refer to the input (Squeeze) or the output (Unsqueeze).
  SmallVector<int64_t> raw;
  if (opset < 13)
    raw = getInts("axes", {});
  else if (hasInput(1)) {
    DenseElementsAttr attr = getConstantInput(1);
    if (!attr)
      return fail("the axes must be a constant");
    for (APInt v : attr.getValues<APInt>())
      raw.push_back(v.getSExtValue());
  }
  if (!squeeze)
    outRank = inRank + raw.size();
  int64_t axisRank = squeeze ? inRank : outRank;
  llvm::SmallDenseSet<int64_t> axes;
  for (int64_t a : raw) {
    int64_t n = a < 0 ? a + axisRank : a;
    if (n < 0 || n >= axisRank || !axes.insert(n).second)
      return fail("axis " + llvm::Twine(a) + " is out of range or repeated");
  }
  if (squeeze && raw.empty())
    for (int64_t d = 0; d < inRank; ++d)
      if (type.getDimSize(d) == 1)
        axes.insert(d);
  // The kept dimensions form one group each; unit dimensions join the group
  // before them (or the first one).
  SmallVector<int64_t> big, small;
  int64_t bigRank = squeeze ? inRank : outRank;
  SmallVector<int64_t> bigShape;
  if (squeeze) {
    bigShape.assign(type.getShape().begin(), type.getShape().end());
  } else {
    int64_t next = 0;
    for (int64_t d = 0; d < outRank; ++d)
      bigShape.push_back(axes.count(d) ? 1 : type.getDimSize(next++));
  }
  for (int64_t d : axes)
    if (bigShape[d] != 1)
      return fail("dimension " + llvm::Twine(d) + " is not of size 1");
  SmallVector<ReassociationIndices> groups;
  SmallVector<int64_t> smallShape;
  ReassociationIndices pending;
  for (int64_t d = 0; d < bigRank; ++d) {
    if (axes.count(d)) {
      if (groups.empty())
        pending.push_back(d);
      else
        groups.back().push_back(d);
      continue;
    }
    ReassociationIndices group = pending;
    pending.clear();
    group.push_back(d);
    groups.push_back(group);
    smallShape.push_back(bigShape[d]);
  }
  if (groups.empty())
    groups.clear(); // all unit dimensions: a 0-d tensor
  else if (!pending.empty())
    groups.back().append(pending.begin(), pending.end());
  Type element = type.getElementType();
  if (squeeze) {
    setOutput(0, tensor::CollapseShapeOp::create(
                     b, loc, RankedTensorType::get(smallShape, element), *x,
                     groups));
    return llvm::Error::success();
  }
  SmallVector<OpFoldResult> sizes;
  int64_t next = 0;
  for (int64_t d = 0; d < outRank; ++d) {
    if (axes.count(d)) {
      sizes.push_back(b.getIndexAttr(1));
      continue;
    }
    sizes.push_back(type.isDynamicDim(next)
                        ? OpFoldResult(dim(*x, next))
                        : OpFoldResult(b.getIndexAttr(type.getDimSize(next))));
    ++next;
  }
  setOutput(0, tensor::ExpandShapeOp::create(
                   b, loc, RankedTensorType::get(bigShape, element), *x,
                   groups, sizes));
  return llvm::Error::success();
}

llvm::Error Importer::importConcat() {
  SmallVector<Value> ins;
  for (int i = 0; i < node->input_size(); ++i) {
    auto v = getInput(i);
    if (!v)
      return v.takeError();
    ins.push_back(*v);
  }
  auto first = cast<RankedTensorType>(ins.front().getType());
  int64_t rank = first.getRank();
  int64_t axis = getInt("axis", 0);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return fail("axis out of range");
  SmallVector<int64_t> shape(first.getShape());
  shape[axis] = 0;
  for (Value v : ins) {
    auto t = cast<RankedTensorType>(v.getType());
    if (t.getRank() != rank || t.getElementType() != first.getElementType())
      return fail("inputs of different ranks or element types");
    if (t.isDynamicDim(axis) || ShapedType::isDynamic(shape[axis]))
      shape[axis] = ShapedType::kDynamic;
    else
      shape[axis] += t.getDimSize(axis);
  }
  SmallVector<Value> sizes;
  for (int64_t d = 0; d < rank; ++d) {
    if (!ShapedType::isDynamic(shape[d]))
      continue;
    if (d != axis) {
      sizes.push_back(dim(ins.front(), d));
      continue;
    }
    Value total = arith::ConstantIndexOp::create(b, loc, 0);
    for (Value v : ins)
      total = arith::AddIOp::create(b, loc, total, dim(v, axis));
    sizes.push_back(total);
  }
  Value result = tensor::EmptyOp::create(b, loc, shape, first.getElementType(),
                                         sizes);
  Value offset = arith::ConstantIndexOp::create(b, loc, 0);
  for (Value v : ins) {
    auto t = cast<RankedTensorType>(v.getType());
    SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0)), extents,
        strides(rank, b.getIndexAttr(1));
    offsets[axis] = offset;
    for (int64_t d = 0; d < rank; ++d)
      extents.push_back(t.isDynamicDim(d)
                            ? OpFoldResult(dim(v, d))
                            : OpFoldResult(b.getIndexAttr(t.getDimSize(d))));
    result = tensor::InsertSliceOp::create(b, loc, v, result, offsets, extents,
                                           strides);
    offset = arith::AddIOp::create(b, loc, offset, dim(v, axis));
  }
  setOutput(0, result);
  return llvm::Error::success();
}

llvm::Error Importer::importPad() {
  auto x = getInput(0);
  if (!x)
    return x.takeError();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  std::string mode = getString("mode", "constant");
  if (!llvm::is_contained({"constant", "edge", "reflect", "wrap"},
                          llvm::StringRef(mode)))
    return fail("unknown mode '" + mode + "'");
  SmallVector<int64_t> pads;
  Attribute value = b.getZeroAttr(type.getElementType());
  if (opset < 11) {
    pads = getInts("pads", {});
    if (isa<FloatType>(type.getElementType()))
      value = b.getFloatAttr(type.getElementType(), getFloat("value", 0.0f));
  } else {
    DenseElementsAttr padsAttr = getConstantInput(1);
    if (!padsAttr)
      return fail("the pads must be a constant");
    for (APInt v : padsAttr.getValues<APInt>())
      pads.push_back(v.getSExtValue());
    if (hasInput(2)) {
      DenseElementsAttr c = getConstantInput(2);
      if (!c || c.getNumElements() != 1)
        return fail("the constant_value must be a constant scalar");
      value = c.getSplatValue<Attribute>();
    }
    if (hasInput(3))
      return fail("the axes input of Pad is not supported yet");
  }
  if (static_cast<int64_t>(pads.size()) != 2 * rank)
    return fail("expected " + llvm::Twine(2 * rank) + " pads");
  if (llvm::any_of(pads, [](int64_t p) { return p < 0; }))
    return fail("negative pads (cropping) are not supported yet");
  SmallVector<int64_t> shape(type.getShape());
  for (int64_t d = 0; d < rank; ++d)
    if (!ShapedType::isDynamic(shape[d]))
      shape[d] += pads[d] + pads[rank + d];
  if (mode != "constant") {
    // edge / reflect / wrap: every output element reads the input at its
    // index mapped back into range (numpy's pad modes of the same names).
    SmallVector<std::pair<Value, int64_t>> dyn;
    for (int64_t d = 0; d < rank; ++d) {
      if (!type.isDynamicDim(d))
        continue;
      if (pads[d] || pads[rank + d])
        return fail("mode=" + mode + " needs a static size on padded "
                    "dimensions");
      dyn.push_back({*x, d});
    }
    for (int64_t d = 0; d < rank; ++d)
      if ((pads[d] || pads[rank + d]) && type.getDimSize(d) == 0)
        return fail("mode=" + mode + " cannot pad an empty dimension");
    Value init = emptyTensor(shape, type.getElementType(), dyn);
    Value source = *x;
    auto generic = linalg::GenericOp::create(
        b, loc, TypeRange{init.getType()}, ValueRange{}, ValueRange{init},
        SmallVector<AffineMap>{b.getMultiDimIdentityMap(rank)},
        SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
        [&](OpBuilder &nb, Location nl, ValueRange) {
          auto cst = [&](int64_t v) -> Value {
            return arith::ConstantIndexOp::create(nb, nl, v);
          };
          // ((i mod m) + m) mod m: a remainder in [0, m).
          auto wrap = [&](Value i, int64_t m) -> Value {
            Value r = arith::RemSIOp::create(nb, nl, i, cst(m));
            r = arith::AddIOp::create(nb, nl, r, cst(m));
            return arith::RemSIOp::create(nb, nl, r, cst(m));
          };
          SmallVector<Value> at;
          for (int64_t d = 0; d < rank; ++d) {
            Value i = linalg::IndexOp::create(nb, nl, d);
            if (!pads[d] && !pads[rank + d]) {
              at.push_back(i);
              continue;
            }
            int64_t n = type.getDimSize(d);
            i = arith::SubIOp::create(nb, nl, i, cst(pads[d]));
            if (mode == "edge") {
              i = arith::MaxSIOp::create(nb, nl, i, cst(0));
              i = arith::MinSIOp::create(nb, nl, i, cst(n - 1));
            } else if (mode == "wrap") {
              i = wrap(i, n);
            } else if (n == 1) {
              i = cst(0);
            } else {
              // reflect: period 2 (n - 1), the second half mirrored.
              int64_t m = 2 * (n - 1);
              Value j = wrap(i, m);
              Value mirrored = arith::SubIOp::create(nb, nl, cst(m), j);
              Value high = arith::CmpIOp::create(
                  nb, nl, arith::CmpIPredicate::sgt, j, cst(n - 1));
              i = arith::SelectOp::create(nb, nl, high, mirrored, j);
            }
            at.push_back(i);
          }
          linalg::YieldOp::create(
              nb, nl, ValueRange{tensor::ExtractOp::create(nb, nl, source, at)});
        });
    setOutput(0, generic.getResult(0));
    onnxTypes[node->output(0)] = onnxTypes.lookup(node->input(0));
    return llvm::Error::success();
  }
  Value padValue = arith::ConstantOp::create(b, loc, cast<TypedAttr>(value));
  setOutput(0, tensor::PadOp::create(
                   b, loc, RankedTensorType::get(shape, type.getElementType()),
                   *x, getAsIndexOpFoldResult(&ctx, ArrayRef(pads).take_front(rank)),
                   getAsIndexOpFoldResult(&ctx, ArrayRef(pads).drop_front(rank)),
                   padValue));
  return llvm::Error::success();
}

llvm::Error Importer::importSlice() {
  auto x = getInput(0);
  if (!x)
    return x.takeError();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  SmallVector<int64_t> starts, ends, axes, steps;
  auto constInts = [&](int i, SmallVector<int64_t> &out) -> llvm::Error {
    if (!hasInput(i))
      return llvm::Error::success();
    DenseElementsAttr attr = getConstantInput(i);
    if (!attr)
      return fail("starts, ends, axes and steps must be constants");
    for (APInt v : attr.getValues<APInt>())
      out.push_back(v.getSExtValue());
    return llvm::Error::success();
  };
  if (opset < 10) {
    starts = getInts("starts", {});
    ends = getInts("ends", {});
    axes = getInts("axes", {});
  } else {
    if (auto e = constInts(1, starts))
      return e;
    if (auto e = constInts(2, ends))
      return e;
    if (auto e = constInts(3, axes))
      return e;
    if (auto e = constInts(4, steps))
      return e;
  }
  if (axes.empty())
    for (int64_t d = 0; d < static_cast<int64_t>(starts.size()); ++d)
      axes.push_back(d);
  if (steps.empty())
    steps.assign(starts.size(), 1);
  if (starts.size() != ends.size() || axes.size() != starts.size() ||
      steps.size() != starts.size())
    return fail("starts, ends, axes and steps differ in length");
  SmallVector<OpFoldResult> offsets, sizes, strides;
  SmallVector<int64_t> shape;
  for (int64_t d = 0; d < rank; ++d) {
    offsets.push_back(b.getIndexAttr(0));
    strides.push_back(b.getIndexAttr(1));
    sizes.push_back(type.isDynamicDim(d)
                        ? OpFoldResult(dim(*x, d))
                        : OpFoldResult(b.getIndexAttr(type.getDimSize(d))));
    shape.push_back(type.getDimSize(d));
  }
  SmallVector<int64_t> reversed;
  for (size_t i = 0; i < axes.size(); ++i) {
    int64_t axis = axes[i] < 0 ? axes[i] + rank : axes[i];
    if (axis < 0 || axis >= rank)
      return fail("axis out of range");
    if (steps[i] == 0)
      return fail("a step of 0 is invalid");
    int64_t size = type.getDimSize(axis);
    if (ShapedType::isDynamic(size))
      return fail("slicing a dynamic dimension is not supported yet");
    // ONNX's clamping: [0, size] for positive steps, [-1, size - 1] for
    // negative ones (negative indices count from the end first).
    auto clampIndex = [&](int64_t v, int64_t lo, int64_t hi) {
      if (v < 0)
        v += size;
      return std::clamp<int64_t>(v, lo, hi);
    };
    int64_t step = steps[i], start, count;
    if (step > 0) {
      start = clampIndex(starts[i], 0, size);
      int64_t end = clampIndex(ends[i], 0, size);
      count = end > start ? (end - start + step - 1) / step : 0;
    } else {
      int64_t first = clampIndex(starts[i], -1, size - 1);
      int64_t end = clampIndex(ends[i], -1, size - 1);
      count = first > end ? (first - end - step - 1) / -step : 0;
      // The same elements in ascending order (reversed below).
      start = first + (count - 1) * step;
      reversed.push_back(axis);
    }
    if (count == 0)
      start = 0; // an empty slice: any in-bounds offset
    offsets[axis] = b.getIndexAttr(start);
    sizes[axis] = b.getIndexAttr(count);
    strides[axis] = b.getIndexAttr(std::abs(step));
    shape[axis] = count;
  }
  auto resultType = RankedTensorType::get(shape, type.getElementType());
  Value y = tensor::ExtractSliceOp::create(b, loc, resultType, *x, offsets,
                                           sizes, strides);
  if (!reversed.empty()) {
    // Negative steps: read the ascending slice backwards along those axes.
    SmallVector<AffineExpr> exprs;
    for (int64_t d = 0; d < rank; ++d) {
      AffineExpr e = b.getAffineDimExpr(d);
      exprs.push_back(llvm::is_contained(reversed, d)
                          ? b.getAffineConstantExpr(shape[d] - 1) - e
                          : e);
    }
    Value empty = tensor::EmptyOp::create(
        b, loc, tensor::getMixedSizes(b, loc, y), type.getElementType());
    y = linalg::GenericOp::create(
            b, loc, TypeRange{resultType}, ValueRange{y}, ValueRange{empty},
            ArrayRef<AffineMap>{AffineMap::get(rank, 0, exprs, &ctx),
                                b.getMultiDimIdentityMap(rank)},
            SmallVector<utils::IteratorType>(rank,
                                             utils::IteratorType::parallel),
            [](OpBuilder &nb, Location nl, ValueRange args) {
              linalg::YieldOp::create(nb, nl, args[0]);
            })
            .getResult(0);
  }
  setOutput(0, y);
  return llvm::Error::success();
}

llvm::Error Importer::importSplit() {
  auto x = getInput(0);
  if (!x)
    return x.takeError();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  int64_t axis = getInt("axis", 0);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank || type.isDynamicDim(axis))
    return fail("the split axis must exist and be static");
  int64_t size = type.getDimSize(axis), parts = node->output_size();
  SmallVector<int64_t> sizes;
  if (opset < 13) {
    sizes = getInts("split", {});
  } else if (hasInput(1)) {
    DenseElementsAttr attr = getConstantInput(1);
    if (!attr)
      return fail("the split sizes must be a constant");
    for (APInt v : attr.getValues<APInt>())
      sizes.push_back(v.getSExtValue());
  }
  if (sizes.empty()) {
    if (size % parts != 0)
      return fail("dimension " + llvm::Twine(size) + " does not split into " +
                  llvm::Twine(parts) + " equal parts");
    sizes.assign(parts, size / parts);
  }
  int64_t total = 0;
  for (int64_t s : sizes)
    total += s;
  if (static_cast<int64_t>(sizes.size()) != parts || total != size)
    return fail("the split sizes do not add up to the dimension");
  int64_t offset = 0;
  for (int64_t i = 0; i < parts; ++i) {
    SmallVector<OpFoldResult> offsets(rank, b.getIndexAttr(0)), extents,
        strides(rank, b.getIndexAttr(1));
    SmallVector<int64_t> shape(type.getShape());
    for (int64_t d = 0; d < rank; ++d)
      extents.push_back(type.isDynamicDim(d)
                            ? OpFoldResult(dim(*x, d))
                            : OpFoldResult(b.getIndexAttr(type.getDimSize(d))));
    offsets[axis] = b.getIndexAttr(offset);
    extents[axis] = b.getIndexAttr(sizes[i]);
    shape[axis] = sizes[i];
    if (sizes[i] == 0) { // an empty part: no element to read
      SmallVector<std::pair<Value, int64_t>> dynamic;
      for (int64_t d = 0; d < rank; ++d)
        if (d != axis && type.isDynamicDim(d))
          dynamic.push_back({*x, d});
      setOutput(i, emptyTensor(shape, type.getElementType(), dynamic));
      continue;
    }
    setOutput(i, tensor::ExtractSliceOp::create(
                     b, loc, RankedTensorType::get(shape, type.getElementType()),
                     *x, offsets, extents, strides));
    offset += sizes[i];
  }
  return llvm::Error::success();
}

/// An integer index as an index value, a negative one counting from the
/// end of a dimension of `size` (Gather, GatherElements).
static Value toIndexFromEnd(OpBuilder &nb, Location nl, Value raw,
                            Value size) {
  Value i = arith::IndexCastOp::create(nb, nl, nb.getIndexType(), raw);
  Value zero = arith::ConstantIndexOp::create(nb, nl, 0);
  Value negative =
      arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, i, zero);
  return arith::SelectOp::create(nb, nl, negative,
                                 arith::AddIOp::create(nb, nl, i, size), i);
}

llvm::Error Importer::importGather() {
  auto data = getInput(0), indices = getInput(1);
  if (!data)
    return data.takeError();
  if (!indices)
    return indices.takeError();
  auto dType = cast<RankedTensorType>(data->getType());
  auto iType = cast<RankedTensorType>(indices->getType());
  int64_t rank = dType.getRank(), iRank = iType.getRank();
  int64_t axis = getInt("axis", 0);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank || !isa<IntegerType>(iType.getElementType()))
    return fail("axis out of range or non-integer indices");
  // Output: data[:axis] + indices.shape + data[axis+1:].
  SmallVector<int64_t> shape;
  SmallVector<std::pair<Value, int64_t>> dyn;
  for (int64_t d = 0; d < axis; ++d) {
    shape.push_back(dType.getDimSize(d));
    if (dType.isDynamicDim(d))
      dyn.push_back({*data, d});
  }
  for (int64_t d = 0; d < iRank; ++d) {
    shape.push_back(iType.getDimSize(d));
    if (iType.isDynamicDim(d))
      dyn.push_back({*indices, d});
  }
  for (int64_t d = axis + 1; d < rank; ++d) {
    shape.push_back(dType.getDimSize(d));
    if (dType.isDynamicDim(d))
      dyn.push_back({*data, d});
  }
  int64_t outRank = shape.size();
  Value init = emptyTensor(shape, dType.getElementType(), dyn);
  SmallVector<AffineExpr> iExprs;
  for (int64_t d = 0; d < iRank; ++d)
    iExprs.push_back(b.getAffineDimExpr(axis + d));
  SmallVector<AffineMap> maps{AffineMap::get(outRank, 0, iExprs, &ctx),
                              b.getMultiDimIdentityMap(outRank)};
  Value axisSize = dim(*data, axis);
  Value source = *data;
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{*indices}, ValueRange{init},
      maps, SmallVector<utils::IteratorType>(outRank, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value i = toIndexFromEnd(nb, nl, args[0], axisSize);
        SmallVector<Value> at;
        for (int64_t d = 0; d < axis; ++d)
          at.push_back(linalg::IndexOp::create(nb, nl, d));
        at.push_back(i);
        for (int64_t d = axis + 1; d < rank; ++d)
          at.push_back(linalg::IndexOp::create(nb, nl, d - 1 + iRank));
        linalg::YieldOp::create(
            nb, nl, ValueRange{tensor::ExtractOp::create(nb, nl, source, at)});
      });
  setOutput(0, generic.getResult(0));
  return llvm::Error::success();
}

// Shape arithmetic with static answers folds into constants (which later
// nodes, such as Reshape, then read as constants).

llvm::Error Importer::importShape() {
  auto x = getInput(0);
  if (!x)
    return x.takeError();
  auto type = cast<RankedTensorType>(x->getType());
  int64_t rank = type.getRank();
  auto clampIndex = [&](int64_t v) {
    if (v < 0)
      v += rank;
    return std::clamp<int64_t>(v, 0, rank);
  };
  int64_t start = clampIndex(getInt("start", 0));
  int64_t end = clampIndex(getInt("end", rank));
  SmallVector<int64_t> dims;
  bool dynamic = false;
  for (int64_t d = start; d < end; ++d) {
    if (type.isDynamicDim(d)) {
      // A symbolic dimension: a Reshape of this same value may use it.
      dims.push_back(kSymbolicBase +
                     static_cast<int64_t>(symbolicDims.size()));
      symbolicDims.push_back({node->input(0), d});
      dynamic = true;
      continue;
    }
    dims.push_back(type.getDimSize(d));
  }
  if (dynamic) {
    symbolicShapes[node->output(0)] = {dims, false, b.getI64Type()};
    onnxTypes[node->output(0)] = onnx::TensorProto::INT64;
    return llvm::Error::success();
  }
  constants[node->output(0)] = DenseElementsAttr::get(
      RankedTensorType::get({static_cast<int64_t>(dims.size())}, b.getI64Type()),
      ArrayRef<int64_t>(dims));
  onnxTypes[node->output(0)] = onnx::TensorProto::INT64;
  return llvm::Error::success();
}

llvm::Error Importer::importConstantOfShape() {
  DenseElementsAttr shapeAttr = getConstantInput(0);
  if (!shapeAttr)
    return fail("the shape must be a constant");
  SmallVector<int64_t> shape;
  for (APInt v : shapeAttr.getValues<APInt>())
    shape.push_back(v.getSExtValue());
  Attribute value = b.getF32FloatAttr(0.0f);
  int32_t type = onnx::TensorProto::FLOAT;
  if (const onnx::AttributeProto *a = findAttr("value")) {
    auto t = getTensorAttr(a->t());
    if (!t)
      return fail(llvm::toString(t.takeError()));
    if (t->getNumElements() != 1)
      return fail("the value must hold one element");
    value = t->getSplatValue<Attribute>();
    type = a->t().data_type();
  }
  auto resultType =
      RankedTensorType::get(shape, cast<TypedAttr>(value).getType());
  constants[node->output(0)] = DenseElementsAttr::get(resultType, value);
  onnxTypes[node->output(0)] = type;
  return llvm::Error::success();
}

llvm::Error Importer::importRange() {
  DenseElementsAttr start = getConstantInput(0), limit = getConstantInput(1),
                    delta = getConstantInput(2);
  if (!start || !limit || !delta)
    return fail("start, limit and delta must be constants");
  Type element = start.getElementType();
  auto asDouble = [](DenseElementsAttr a) -> double {
    if (isa<FloatType>(a.getElementType()))
      return a.getSplatValue<APFloat>().convertToDouble();
    return static_cast<double>(a.getSplatValue<APInt>().getSExtValue());
  };
  double s = asDouble(start), l = asDouble(limit), d = asDouble(delta);
  if (d == 0)
    return fail("delta is 0");
  int64_t count = std::max<int64_t>(0, static_cast<int64_t>(std::ceil((l - s) / d)));
  auto type = RankedTensorType::get({count}, element);
  if (isa<FloatType>(element)) {
    // ONNX: start + i * delta in the element type.
    SmallVector<APFloat> v;
    for (int64_t i = 0; i < count; ++i) {
      APFloat x(static_cast<float>(s + i * d));
      if (!element.isF32())
        return fail("only float32 and integer ranges are supported");
      v.push_back(x);
    }
    constants[node->output(0)] = DenseElementsAttr::get(type, v);
  } else {
    SmallVector<APInt> v;
    unsigned bits = element.getIntOrFloatBitWidth();
    int64_t si = start.getSplatValue<APInt>().getSExtValue(),
            di = delta.getSplatValue<APInt>().getSExtValue();
    for (int64_t i = 0; i < count; ++i)
      v.push_back(APInt(bits, static_cast<uint64_t>(si + i * di), true));
    constants[node->output(0)] = DenseElementsAttr::get(type, v);
  }
  onnxTypes[node->output(0)] = onnxTypes.lookup(node->input(0));
  return llvm::Error::success();
}

llvm::Error Importer::importExpand() {
  auto x = getInput(0);
  if (!x)
    return x.takeError();
  DenseElementsAttr shapeAttr = getConstantInput(1);
  if (!shapeAttr)
    return fail("the target shape must be a constant");
  // Broadcasting x against a tensor of the target shape: an element-wise
  // copy whose result takes the broadcast shape.
  SmallVector<int64_t> target;
  for (APInt v : shapeAttr.getValues<APInt>())
    target.push_back(v.getSExtValue());
  auto type = cast<RankedTensorType>(x->getType());
  Value shaped = tensor::EmptyOp::create(b, loc, target, type.getElementType());
  auto y = broadcastLike(*x, shaped);
  if (!y)
    return y.takeError();
  setOutput(0, *y);
  onnxTypes[node->output(0)] = onnxTypes.lookup(node->input(0));
  return llvm::Error::success();
}

llvm::Error Importer::importGatherElements() {
  // out[i] = data[i with i[axis] replaced by indices[i]] (negative indices
  // count from the end): a generic over the indices reading the data with
  // tensor.extract.
  auto data = getInput(0), indices = getInput(1);
  if (!data)
    return data.takeError();
  if (!indices)
    return indices.takeError();
  auto dType = cast<RankedTensorType>(data->getType());
  auto iType = cast<RankedTensorType>(indices->getType());
  int64_t rank = dType.getRank();
  if (iType.getRank() != rank || rank == 0)
    return fail("data and indices must have the same (non-zero) rank");
  int64_t axis = getInt("axis", 0);
  if (axis < 0)
    axis += rank;
  if (axis < 0 || axis >= rank)
    return fail("axis out of range");
  SmallVector<std::pair<Value, int64_t>> dyn;
  for (int64_t d = 0; d < rank; ++d)
    if (iType.isDynamicDim(d))
      dyn.push_back({*indices, d});
  Value init = emptyTensor(iType.getShape(), dType.getElementType(), dyn);
  Value source = *data;
  Value axisSize = dim(*data, axis);
  auto generic = linalg::GenericOp::create(
      b, loc, TypeRange{init.getType()}, ValueRange{*indices}, ValueRange{init},
      SmallVector<AffineMap>(2, b.getMultiDimIdentityMap(rank)),
      SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value i = toIndexFromEnd(nb, nl, args[0], axisSize);
        SmallVector<Value> at;
        for (int64_t d = 0; d < rank; ++d)
          at.push_back(d == axis ? i
                                 : linalg::IndexOp::create(nb, nl, d).getResult());
        linalg::YieldOp::create(
            nb, nl, ValueRange{tensor::ExtractOp::create(nb, nl, source, at)});
      });
  setOutput(0, generic.getResult(0));
  onnxTypes[node->output(0)] = onnxTypes.lookup(node->input(0));
  return llvm::Error::success();
}
