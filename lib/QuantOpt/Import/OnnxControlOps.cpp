//===- OnnxControlOps.cpp - If with a known condition, LSTM ---------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// If whose condition is known at import (after --input-value froze the
// inputs it depends on and static shapes folded Shape/Size/Equal): the
// chosen branch's nodes are imported in place; otherwise an scf.if with
// both branches. LSTM (forward, default
// activations, no peepholes, a static sequence length): unrolled into
// matmuls and element-wise gate arithmetic per time step.
//
//===----------------------------------------------------------------------===//

#include "OnnxImporterImpl.h"

#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/IR/Matchers.h"

namespace quantopt::onnx_import {

/// Imports the nodes of `g` (a branch; its initializers become constants).
llvm::Error Importer::importBranch(const onnx::GraphProto &g) {
  for (const onnx::TensorProto &t : g.initializer()) {
    auto attr = getTensorAttr(t);
    if (!attr)
      return fail(llvm::toString(attr.takeError()));
    constants[t.name()] = *attr;
    onnxTypes[t.name()] = t.data_type();
  }
  // The branch sees the enclosing scope's values (one flat name space: ONNX
  // requires names to be unique across a graph and its subgraphs).
  const onnx::NodeProto *self = node;
  for (const onnx::NodeProto &n : g.node()) {
    node = &n;
    llvm::Error e = importNode();
    node = self;
    if (e)
      return e;
  }
  return llvm::Error::success();
}

llvm::Error Importer::importIf() {
  const onnx::AttributeProto *thenBranch = findAttr("then_branch"),
                             *elseBranch = findAttr("else_branch");
  if (!thenBranch || !elseBranch || !thenBranch->has_g() ||
      !elseBranch->has_g())
    return fail("then_branch and else_branch must be graphs");
  for (const onnx::AttributeProto *a : {thenBranch, elseBranch})
    if (a->g().output_size() != node->output_size())
      return fail("a branch has " + llvm::Twine(a->g().output_size()) +
                  " outputs for " + llvm::Twine(node->output_size()));
  DenseElementsAttr cond = getConstantInput(0);
  if (cond && cond.getNumElements() == 1) {
    // Known at import: the taken branch, in place.
    bool taken = (*cond.getValues<APInt>().begin()).getBoolValue();
    const onnx::GraphProto &g = (taken ? thenBranch : elseBranch)->g();
    if (llvm::Error e = importBranch(g))
      return e;
    for (int i = 0; i < g.output_size(); ++i) {
      const std::string &from = g.output(i).name(), &to = node->output(i);
      if (Value v = values.lookup(from))
        values[to] = v;
      else if (DenseElementsAttr c = constants.lookup(from))
        constants[to] = c;
      else if (symbolicShapes.count(from))
        symbolicShapes[to] = symbolicShapes.lookup(from);
      else
        return fail("the taken branch does not produce its output '" + from +
                    "'");
      if (onnxTypes.count(from))
        onnxTypes[to] = onnxTypes.lookup(from);
    }
    return llvm::Error::success();
  }
  // Decided at run time: an scf.if whose results have the types the then
  // branch declares for its outputs (both branches must produce them).
  auto condValue = getInput(0);
  if (!condValue)
    return condValue.takeError();
  auto condType = cast<RankedTensorType>(condValue->getType());
  if (!condType.getElementType().isInteger(1) || !condType.hasStaticShape() ||
      condType.getNumElements() != 1)
    return fail("the condition must be one bool");
  SmallVector<Type> resultTypes;
  for (const onnx::ValueInfoProto &v : thenBranch->g().output()) {
    auto type = getValueType(v);
    if (!type)
      return fail("the then branch's outputs need declared tensor types: " +
                  llvm::toString(type.takeError()));
    resultTypes.push_back(*type);
  }
  SmallVector<Value> zeros(condType.getRank(),
                           arith::ConstantIndexOp::create(b, loc, 0));
  Value c = tensor::ExtractOp::create(b, loc, *condValue, zeros);
  auto ifOp = scf::IfOp::create(b, loc, resultTypes, c, /*withElse=*/true);
  {
    OpBuilder::InsertionGuard guard(b);
    for (auto [a, block] : {std::make_pair(thenBranch, ifOp.thenBlock()),
                            std::make_pair(elseBranch, ifOp.elseBlock())}) {
      b.setInsertionPointToStart(block);
      if (llvm::Error e = importBranch(a->g()))
        return e;
      SmallVector<Value> yielded;
      for (auto [i, out] : llvm::enumerate(a->g().output())) {
        Value v = values.lookup(out.name());
        if (!v)
          if (DenseElementsAttr k = constants.lookup(out.name()))
            v = arith::ConstantOp::create(b, loc, k);
        if (!v)
          return fail("a branch does not produce its output '" + out.name() +
                      "'");
        if (v.getType() != resultTypes[i]) {
          if (!tensor::CastOp::areCastCompatible(v.getType(), resultTypes[i]))
            return fail("the branches' output " + llvm::Twine(i) +
                        " types differ");
          v = tensor::CastOp::create(b, loc, resultTypes[i], v);
        }
        yielded.push_back(v);
      }
      scf::YieldOp::create(b, loc, yielded);
    }
  }
  for (auto [i, r] : llvm::enumerate(ifOp.getResults())) {
    setOutput(i, r);
    const std::string &from = thenBranch->g().output(i).name();
    if (onnxTypes.count(from))
      onnxTypes[node->output(i)] = onnxTypes.lookup(from);
  }
  return llvm::Error::success();
}

llvm::Error Importer::importComparison() {
  llvm::StringRef op = node->op_type();
  SmallVector<Value> inputs;
  for (int i = 0; i < (op == "Not" ? 1 : 2); ++i) {
    auto v = getInput(i);
    if (!v)
      return v.takeError();
    inputs.push_back(*v);
  }
  Type element = cast<RankedTensorType>(inputs[0].getType()).getElementType();
  if (op == "Not" ? !element.isInteger(1) : !element.isIntOrFloat())
    return fail("Not takes bool tensors, Equal/Greater/Less integer or float "
                "ones");
  bool isFloat = isa<FloatType>(element);
  bool isUnsigned = isUnsignedOnnxType(onnxTypes.lookup(node->input(0)));
  auto y = elementwise(
      inputs, b.getI1Type(),
      [&](OpBuilder &nb, Location nl, ValueRange e) -> Value {
        if (op == "Not")
          return arith::XOrIOp::create(
              nb, nl, e[0],
              arith::ConstantOp::create(nb, nl, nb.getBoolAttr(true)));
        if (isFloat)
          return arith::CmpFOp::create(
              nb, nl,
              op == "Equal"     ? arith::CmpFPredicate::OEQ
              : op == "Greater" ? arith::CmpFPredicate::OGT
                                : arith::CmpFPredicate::OLT,
              e[0], e[1]);
        return arith::CmpIOp::create(
            nb, nl,
            op == "Equal" ? arith::CmpIPredicate::eq
            : op == "Greater"
                ? (isUnsigned ? arith::CmpIPredicate::ugt
                              : arith::CmpIPredicate::sgt)
                : (isUnsigned ? arith::CmpIPredicate::ult
                              : arith::CmpIPredicate::slt),
            e[0], e[1]);
      });
  if (!y)
    return y.takeError();
  setOutput(0, *y);
  onnxTypes[node->output(0)] = onnx::TensorProto::BOOL;
  return llvm::Error::success();
}

/// `a` [rows, cols] transposed, as a constant.
static DenseElementsAttr transposeConstant(DenseElementsAttr a, int64_t rows,
                                           int64_t cols) {
  SmallVector<APFloat> in(a.getValues<APFloat>()), out;
  out.reserve(in.size());
  for (int64_t c = 0; c < cols; ++c)
    for (int64_t r = 0; r < rows; ++r)
      out.push_back(in[r * cols + c]);
  return DenseElementsAttr::get(
      RankedTensorType::get({cols, rows}, a.getElementType()), out);
}

llvm::Error Importer::importLSTM() {
  // ONNX's LSTM, one forward direction: per step t, with gates in the order
  // i, o, f, c of W [1, 4H, I], R [1, 4H, H] and B [1, 8H] (Wb then Rb):
  //   g = X_t W^T + H R^T + Wb + Rb
  //   C = sigmoid(f) * C + sigmoid(i) * tanh(c),  H = sigmoid(o) * tanh(C).
  auto x = getInput(0);
  if (!x)
    return x.takeError();
  int64_t hidden = getInt("hidden_size", 0);
  if (getString("direction", "forward") != "forward")
    return fail("only direction=forward is supported");
  if (findAttr("activations") || findAttr("clip") ||
      getInt("input_forget", 0) != 0 || getInt("layout", 0) != 0)
    return fail("activations, clip, input_forget and layout=1 are not "
                "supported");
  if (hasInput(4) || hasInput(7))
    return fail("sequence_lens and peepholes (P) are not supported");
  auto xType = cast<RankedTensorType>(x->getType());
  if (xType.getRank() != 3 || xType.isDynamicDim(0) || xType.isDynamicDim(2) ||
      !xType.getElementType().isF32())
    return fail("X must be float32 [seq, batch, input] with a static "
                "sequence length and input size");
  int64_t seq = xType.getDimSize(0), in = xType.getDimSize(2);
  DenseElementsAttr w = getConstantInput(1), r = getConstantInput(2),
                    bias = getConstantInput(3);
  if (!w || !r || (hasInput(3) && !bias) || hidden <= 0 ||
      w.getNumElements() != 4 * hidden * in ||
      r.getNumElements() != 4 * hidden * hidden ||
      (bias && bias.getNumElements() != 8 * hidden))
    return fail("W, R and B must be constants of one direction with "
                "hidden_size=" + llvm::Twine(hidden));
  Type f32 = b.getF32Type();
  Value wt = arith::ConstantOp::create(b, loc, transposeConstant(w, 4 * hidden, in));
  Value rt = arith::ConstantOp::create(
      b, loc, transposeConstant(r, 4 * hidden, hidden));
  SmallVector<float> gateBias(4 * hidden, 0.0f);
  if (bias) {
    SmallVector<float> bv(bias.getValues<float>());
    for (int64_t i = 0; i < 4 * hidden; ++i)
      gateBias[i] = bv[i] + bv[4 * hidden + i];
  }
  Value biasValue = arith::ConstantOp::create(
      b, loc,
      DenseElementsAttr::get(RankedTensorType::get({4 * hidden}, f32),
                             ArrayRef<float>(gateBias)));
  OpFoldResult batch = tensor::getMixedSize(b, loc, *x, 1);
  int64_t staticBatch = xType.getDimSize(1);
  auto state = RankedTensorType::get({staticBatch, hidden}, f32);
  // The initial state [1, batch, H] as [batch, H], or zeros.
  auto initial = [&](int i) -> llvm::Expected<Value> {
    if (!hasInput(i)) {
      SmallVector<std::pair<Value, int64_t>> dyn;
      if (ShapedType::isDynamic(staticBatch))
        dyn.push_back({*x, 1});
      return filled(emptyTensor(state.getShape(), f32, dyn),
                    b.getF32FloatAttr(0.0f));
    }
    auto v = getInput(i);
    if (!v)
      return v.takeError();
    return reshapeTo(*v, state, {{0, 1}, {2}});
  };
  auto h = initial(5);
  if (!h)
    return h.takeError();
  auto c = initial(6);
  if (!c)
    return c.takeError();
  auto sliceCols = [&](Value v, int64_t begin, int64_t width) -> Value {
    SmallVector<OpFoldResult> offsets{b.getIndexAttr(0), b.getIndexAttr(begin)};
    SmallVector<OpFoldResult> sizes{batch, b.getIndexAttr(width)};
    SmallVector<OpFoldResult> strides(2, b.getIndexAttr(1));
    return tensor::ExtractSliceOp::create(b, loc, v, offsets, sizes, strides);
  };
  auto sigmoid = buildSigmoid;
  SmallVector<Value> steps;
  for (int64_t t = 0; t < seq; ++t) {
    SmallVector<OpFoldResult> offsets{b.getIndexAttr(t), b.getIndexAttr(0),
                                      b.getIndexAttr(0)};
    SmallVector<OpFoldResult> sizes{b.getIndexAttr(1), batch,
                                    b.getIndexAttr(in)};
    SmallVector<OpFoldResult> strides(3, b.getIndexAttr(1));
    Value xt = tensor::ExtractSliceOp::create(
        b, loc, RankedTensorType::get({staticBatch, in}, f32), *x, offsets,
        sizes, strides);
    // The two layers of a step are named NODE/W and NODE/R (with @t for
    // steps after the first), so that observers and recipes tell them apart.
    Location nodeLoc = loc;
    auto layerLoc = [&](llvm::StringRef which) {
      std::string name = getNodeName() + "/" + which.str();
      if (t > 0)
        name += "@" + std::to_string(t);
      return NameLoc::get(b.getStringAttr(name));
    };
    loc = layerLoc("W");
    auto gx = buildMatMul(xt, wt);
    loc = layerLoc("R");
    auto gh = gx ? buildMatMul(*h, rt) : llvm::Expected<Value>(Value());
    loc = nodeLoc;
    if (!gx)
      return gx.takeError();
    if (!gh)
      return gh.takeError();
    auto g = addFloat(*gx, *gh);
    if (!g)
      return g.takeError();
    g = addFloat(*g, biasValue);
    if (!g)
      return g.takeError();
    Value gi = sliceCols(*g, 0, hidden), go = sliceCols(*g, hidden, hidden),
          gf = sliceCols(*g, 2 * hidden, hidden),
          gc = sliceCols(*g, 3 * hidden, hidden);
    c = elementwise({gi, gf, gc, *c}, f32,
                    [&](OpBuilder &nb, Location nl, ValueRange e) -> Value {
                      Value keep = arith::MulFOp::create(
                          nb, nl, sigmoid(nb, nl, e[1]), e[3]);
                      Value add = arith::MulFOp::create(
                          nb, nl, sigmoid(nb, nl, e[0]),
                          math::TanhOp::create(nb, nl, e[2]));
                      return arith::AddFOp::create(nb, nl, keep, add);
                    });
    if (!c)
      return c.takeError();
    h = elementwise({go, *c}, f32,
                    [&](OpBuilder &nb, Location nl, ValueRange e) -> Value {
                      return arith::MulFOp::create(
                          nb, nl, sigmoid(nb, nl, e[0]),
                          math::TanhOp::create(nb, nl, e[1]));
                    });
    if (!h)
      return h.takeError();
    steps.push_back(reshapeTo(
        *h, RankedTensorType::get({1, 1, staticBatch, hidden}, f32),
        {{0, 1, 2}, {3}}));
  }
  auto outState = RankedTensorType::get({1, staticBatch, hidden}, f32);
  if (node->output_size() > 0 && !node->output(0).empty())
    setOutput(0, steps.size() == 1
                     ? steps[0]
                     : tensor::ConcatOp::create(b, loc, 0, steps).getResult());
  if (node->output_size() > 1 && !node->output(1).empty())
    setOutput(1, reshapeTo(*h, outState, {{0, 1}, {2}}));
  if (node->output_size() > 2 && !node->output(2).empty())
    setOutput(2, reshapeTo(*c, outState, {{0, 1}, {2}}));
  return llvm::Error::success();
}

} // namespace quantopt::onnx_import
