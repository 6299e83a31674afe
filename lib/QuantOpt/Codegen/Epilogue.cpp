//===- Epilogue.cpp - Element-wise code fused into kernels ----------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "Epilogue.h"
#include "llvm/ADT/SmallBitVector.h"
#include "KernelLoops.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace quantopt;

static bool isScalar(Type t) { return t.isIntOrIndexOrFloat(); }

/// An element type that tensors can hold and vectors load and store the same
/// way: whole bytes (i1 vectors are bit-packed in memory, memrefs of i1 are
/// not).
bool quantopt::isStorableElementType(Type t) {
  return t.isIntOrFloat() && t.getIntOrFloatBitWidth() % 8 == 0;
}

bool quantopt::isIntegerContraction(linalg::GenericOp op) {
  if (op.getNumDpsInputs() != 2 || op.getNumDpsInits() != 1 ||
      op->getNumResults() != 1 || op.getNumReductionLoops() == 0 ||
      !getElementTypeOrSelf(op->getResult(0).getType()).isInteger(32))
    return false;
  Block &body = op.getRegion().front();
  auto add = body.getTerminator()->getOperand(0).getDefiningOp<arith::AddIOp>();
  if (!add)
    return false;
  Value acc = body.getArgument(2);
  Value product = add.getLhs() == acc ? add.getRhs() : add.getLhs();
  auto mul = product.getDefiningOp<arith::MulIOp>();
  if (!mul || (add.getLhs() != acc && add.getRhs() != acc))
    return false;
  auto isWidenedArg = [&](Value v) {
    Operation *ext = v.getDefiningOp();
    return ext && isa<arith::ExtSIOp, arith::ExtUIOp>(ext) &&
           isa<BlockArgument>(ext->getOperand(0)) &&
           cast<BlockArgument>(ext->getOperand(0)).getOwner() == &body &&
           cast<BlockArgument>(ext->getOperand(0)).getArgNumber() < 2;
  };
  return isWidenedArg(mul.getLhs()) && isWidenedArg(mul.getRhs());
}

bool quantopt::isVectorizableBody(Block &body) {
  for (Operation &op : body.without_terminator()) {
    if (op.getNumRegions() != 0)
      return false;
    if (isa<arith::ConstantOp>(op)) {
      if (!isScalar(op.getResult(0).getType()))
        return false;
      continue;
    }
    if (!op.hasTrait<OpTrait::Vectorizable>() ||
        !op.hasTrait<OpTrait::Elementwise>())
      return false;
    // Integer division would run on the padding of masked lanes (zeros)
    // and trap.
    if (isa<arith::DivSIOp, arith::DivUIOp, arith::RemSIOp, arith::RemUIOp,
            arith::CeilDivSIOp, arith::CeilDivUIOp, arith::FloorDivSIOp>(op))
      return false;
    if (!llvm::all_of(op.getOperandTypes(), isScalar) ||
        !llvm::all_of(op.getResultTypes(), isScalar))
      return false;
  }
  return true;
}

SmallVector<Value> quantopt::vectorizeBody(OpBuilder &b, Location loc,
                                           Block &body, ArrayRef<Value> args,
                                           int64_t lanes) {
  IRMapping mapping;
  for (auto [arg, value] : llvm::zip(body.getArguments(), args))
    if (value)
      mapping.map(arg, value);
  auto lookup = [&](Value v) -> Value {
    if (Value mapped = mapping.lookupOrNull(v))
      return mapped;
    // A scalar from outside the body (it dominates the kernel).
    return vector::BroadcastOp::create(
        b, loc, VectorType::get({lanes}, v.getType()), v);
  };
  for (Operation &op : body.without_terminator()) {
    if (auto c = dyn_cast<arith::ConstantOp>(op)) {
      auto type = VectorType::get({lanes}, c.getType());
      mapping.map(c.getResult(),
                  arith::ConstantOp::create(
                      b, loc, type, DenseElementsAttr::get(type, c.getValue())));
      continue;
    }
    SmallVector<Value> operands;
    for (Value v : op.getOperands())
      operands.push_back(lookup(v));
    SmallVector<Type> types;
    for (Type t : op.getResultTypes())
      types.push_back(VectorType::get({lanes}, t));
    OperationState state(loc, op.getName(), operands, types, op.getAttrs());
    Operation *vectorOp = b.create(state);
    mapping.map(op.getResults(), vectorOp->getResults());
  }
  SmallVector<Value> results;
  for (Value v : body.getTerminator()->getOperands())
    results.push_back(lookup(v));
  return results;
}

/// `buffer` (identity layout) with dimensions [first, first + count)
/// collapsed into one, the others kept.
Value quantopt::collapseDims(OpBuilder &b, Location loc, Value buffer,
                             int64_t first, int64_t count) {
  auto type = cast<MemRefType>(buffer.getType());
  if (count <= 1)
    return buffer;
  SmallVector<ReassociationIndices> groups;
  for (int64_t d = 0; d < type.getRank(); ++d) {
    if (d <= first || d >= first + count)
      groups.emplace_back();
    groups.back().push_back(d);
  }
  return memref::CollapseShapeOp::create(b, loc, buffer, groups);
}

Value quantopt::flatBuffer(KernelBuilder &kernel, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  Value buffer = kernel.addInput(tensor, KernelBuilder::identity(type));
  return collapseDims(kernel.getBody(), loc, buffer, 0, type.getRank());
}

/// The scalar every element of `tensor` holds when it is a linalg.fill or a
/// splat constant, or null.
static Value getUniformScalar(OpBuilder *b, Location loc, Value tensor) {
  if (auto fill = tensor.getDefiningOp<linalg::FillOp>()) {
    // Only a fill without an implicit cast of its value.
    Value v = fill.getInputs()[0];
    return v.getType() == cast<ShapedType>(tensor.getType()).getElementType()
               ? v
               : nullptr;
  }
  DenseElementsAttr dense;
  if (matchPattern(tensor, m_Constant(&dense)) && dense.isSplat()) {
    if (!b)
      return tensor; // only asking
    return arith::ConstantOp::create(
        *b, loc, cast<TypedAttr>(dense.getSplatValue<Attribute>()));
  }
  return nullptr;
}

AccumulatorInit::AccumulatorInit(KernelBuilder &kernel, Location loc,
                                 Value init) {
  OpBuilder &b = kernel.getBody();
  if (Value v = getUniformScalar(&b, loc, init)) {
    // A fill's value lives outside the kernel's isolated body: only a
    // constant can be recreated inside.
    TypedAttr attr;
    if (matchPattern(v, m_Constant(&attr))) {
      constant = v.getParentRegion() == b.getBlock()->getParent()
                     ? v
                     : arith::ConstantOp::create(b, loc, attr).getResult();
      return;
    }
  }
  buffer = kernel.addStridedInput(init);
}

Value AccumulatorInit::read(OpBuilder &b, Location loc, VectorType type,
                            ValueRange idx, bool inBounds) const {
  if (constant)
    return vector::BroadcastOp::create(b, loc, type, constant);
  Value pad = arith::ConstantOp::create(b, loc, b.getZeroAttr(type.getElementType()));
  return vector::TransferReadOp::create(b, loc, type, buffer, idx, pad,
                                        ArrayRef<bool>{inBounds});
}

/// Whether `map` reads `type` as a projection of the loops, or with 0 for a
/// dimension of size 1 (a kept reduced dimension: `(d0, d1, d2) -> (d0, d1,
/// 0)` of a row's mean or maximum, as ONNX's keepdims reductions import).
static bool isBroadcastRead(AffineMap map, RankedTensorType type) {
  llvm::SmallBitVector seen(map.getNumDims());
  for (auto [axis, r] : llvm::enumerate(map.getResults())) {
    if (auto d = dyn_cast<AffineDimExpr>(r)) {
      if (seen.test(d.getPosition()))
        return false;
      seen.set(d.getPosition());
      continue;
    }
    auto c = dyn_cast<AffineConstantExpr>(r);
    if (!c || c.getValue() != 0 || type.getDimSize(axis) != 1)
      return false;
  }
  return map.getNumSymbols() == 0;
}

bool FusedEpilogue::append(linalg::GenericOp op, Value chain) {
  int64_t rank = op.getNumLoops();
  if (op.getNumDpsInits() != 1 || op->getNumResults() != 1 || rank == 0 ||
      op.getNumParallelLoops() != rank ||
      !isVectorizableBody(op.getRegion().front()))
    return false;
  auto outType = cast<RankedTensorType>(op->getResult(0).getType());
  if ((chain && cast<RankedTensorType>(chain.getType()).getShape() !=
                    outType.getShape()) ||
      !isStorableElementType(outType.getElementType()) ||
      !op.getMatchingIndexingMap(op.getDpsInitOperand(0)).isIdentity() ||
      !op.getRegion().front().getArguments().back().use_empty())
    return false;
  SmallVector<Input> ins;
  for (OpOperand *operand : op.getDpsInputOperands()) {
    AffineMap map = op.getMatchingIndexingMap(operand);
    Value t = operand->get();
    Input in{Input::Chain, t, map, nullptr, nullptr};
    auto tType = dyn_cast<RankedTensorType>(t.getType());
    if (chain && t == chain) {
      if (!map.isIdentity())
        return false;
    } else if (!tType || !isStorableElementType(tType.getElementType()) ||
               !isBroadcastRead(map, tType)) {
      return false;
    } else if (getUniformScalar(nullptr, op.getLoc(), t) ||
               map.getNumResults() == 0) {
      in.kind = Input::Splat;
    } else {
      // The map's dimensions in increasing order, so that the last
      // dimension, when read, is the tensor's innermost one.
      std::optional<unsigned> previous;
      for (AffineExpr r : map.getResults()) {
        auto d = dyn_cast<AffineDimExpr>(r);
        if (!d)
          continue;
        if (previous && d.getPosition() <= *previous)
          return false;
        previous = d.getPosition();
      }
      auto last = dyn_cast<AffineDimExpr>(map.getResults().back());
      in.kind = last && last.getPosition() == rank - 1 ? Input::Vector
                                                        : Input::Scalar;
      // A scalar is one value across the vector: it must not vary along the
      // innermost loop (as `(d0, d3, 0, 0)` of an [N][C][1][1] tensor does,
      // whose d3 is not its innermost dimension).
      if (in.kind == Input::Scalar && map.isFunctionOfDim(rank - 1))
        return false;
    }
    ins.push_back(in);
  }
  ops.push_back(op);
  inputs.push_back(std::move(ins));
  chainValues.push_back(op->getResult(0));
  return true;
}

FusedEpilogue FusedEpilogue::collect(Value result) {
  FusedEpilogue e;
  e.chainValues.push_back(result);
  Value v = result;
  while (true) {
    linalg::GenericOp user;
    bool single = true;
    for (OpOperand &use : v.getUses()) {
      if (isa<tensor::DimOp>(use.getOwner()))
        continue;
      auto generic = dyn_cast<linalg::GenericOp>(use.getOwner());
      if (user || !generic) {
        single = false;
        break;
      }
      user = generic;
    }
    // The kernel goes where the chain ends: not into a nested region.
    if (!single || !user || user->getBlock() != result.getParentBlock() ||
        user.getNumLoops() !=
            cast<RankedTensorType>(result.getType()).getRank() ||
        !e.append(user, v))
      break;
    v = user->getResult(0);
  }
  return e;
}

std::optional<FusedEpilogue> FusedEpilogue::standalone(linalg::GenericOp op) {
  FusedEpilogue e;
  if (!e.append(op, nullptr))
    return std::nullopt;
  return e;
}

bool FusedEpilogue::isFlat() const {
  for (const SmallVector<Input> &ins : inputs)
    for (const Input &in : ins)
      if ((in.kind == Input::Vector && !in.map.isIdentity()) ||
          in.kind == Input::Scalar)
        return false;
  return true;
}

bool FusedEpilogue::vectorizeAlong(unsigned dim) {
  for (const SmallVector<Input> &ins : inputs)
    for (const Input &in : ins)
      if ((in.kind == Input::Vector || in.kind == Input::Scalar) &&
          in.map.isFunctionOfDim(dim))
        return false;
  laneDim = dim;
  return true;
}

Operation *FusedEpilogue::getInsertionPoint() const {
  if (ops.empty())
    return nullptr;
  linalg::GenericOp last = ops.back();
  return last.getOperation();
}

RankedTensorType
FusedEpilogue::getResultType(RankedTensorType accType) const {
  return ops.empty() ? accType
                     : cast<RankedTensorType>(ops.back()->getResult(0).getType());
}

void FusedEpilogue::prepare(KernelBuilder &kernel, Location loc,
                            int64_t numLanes, bool flatten) {
  prepare(kernel.getBody(), loc, numLanes, flatten,
          [&](Value tensor, bool flatRead) -> Value {
            if (flatRead)
              return flatBuffer(kernel, loc, tensor);
            auto type = cast<RankedTensorType>(tensor.getType());
            return kernel.addInput(tensor,
                                   type.getRank() == 0
                                       ? KernelBuilder::identity(type)
                                       : KernelBuilder::unitInnerStride(type));
          });
}

void FusedEpilogue::prepare(OpBuilder &b, Location loc, int64_t numLanes,
                            bool flatten) {
  prepare(b, loc, numLanes, flatten, [&](Value tensor, bool flatRead) -> Value {
    auto type = cast<RankedTensorType>(tensor.getType());
    if (!flatRead || type.getRank() <= 1)
      return tensor;
    SmallVector<ReassociationIndices> all(1);
    for (int64_t d = 0; d < type.getRank(); ++d)
      all[0].push_back(d);
    return tensor::CollapseShapeOp::create(b, loc, tensor, all).getResult();
  });
}

void FusedEpilogue::prepare(OpBuilder &b, Location loc, int64_t numLanes,
                            bool flatten,
                            function_ref<Value(Value, bool)> source) {
  lanes = numLanes;
  flat = flatten;
  for (SmallVector<Input> &ins : inputs)
    for (Input &in : ins) {
      if (in.kind == Input::Chain)
        continue;
      auto tType = cast<RankedTensorType>(in.tensor.getType());
      if (in.kind == Input::Splat) {
        Value scalar = getUniformScalar(&b, loc, in.tensor);
        if (!scalar) { // a 0-d tensor
          Value from = source(in.tensor, false);
          scalar = isa<MemRefType>(from.getType())
                       ? memref::LoadOp::create(b, loc, from, ValueRange{})
                             .getResult()
                       : tensor::ExtractOp::create(b, loc, from, ValueRange{})
                             .getResult();
        }
        in.splat = vector::BroadcastOp::create(
            b, loc, VectorType::get({lanes}, tType.getElementType()), scalar);
        continue;
      }
      // Identity-map inputs of a flat chain are read as 1-D.
      in.buffer = source(in.tensor, flat);
    }
}

Value FusedEpilogue::apply(OpBuilder &b, Location loc, Value acc,
                           ValueRange indices, bool inBounds,
                           const InPlaceRead *inPlace) {
  Value current = acc;
  Block *block = b.getInsertionBlock();
  for (unsigned opIndex = 0; opIndex < ops.size(); ++opIndex) {
    Block &body = ops[opIndex].getRegion().front();
    SmallVector<Value> args(body.getNumArguments());
    for (unsigned i = 0; i < inputs[opIndex].size(); ++i) {
      Input &in = inputs[opIndex][i];
      if (in.kind == Input::Chain) {
        args[i] = current;
        continue;
      }
      if (in.kind == Input::Splat) {
        args[i] = in.splat;
        continue;
      }
      // Along another dimension than the last, a vector input is one value
      // per vector as a scalar is (vectorizeAlong).
      bool asVector = in.kind == Input::Vector && laneDim < 0;
      bool fromDest = inPlace && in.tensor == inPlace->tensor && asVector;
      Value buffer = fromDest ? inPlace->from : in.buffer;
      SmallVector<Value> idx;
      if (fromDest)
        idx.append(inPlace->indices.begin(), inPlace->indices.end());
      else if (flat)
        idx.push_back(indices.front());
      else
        for (AffineExpr r : in.map.getResults())
          idx.push_back(isa<AffineDimExpr>(r)
                            ? indices[cast<AffineDimExpr>(r).getPosition()]
                            : arith::ConstantIndexOp::create(b, loc, 0)
                                  .getResult());
      auto cached = llvm::find_if(cache, [&](const CachedRead &c) {
        return c.block == block && c.op == opIndex && c.input == i &&
               c.buffer == buffer && llvm::equal(c.indices, idx);
      });
      if (cached != cache.end()) {
        args[i] = cached->value;
        continue;
      }
      Type element = cast<ShapedType>(buffer.getType()).getElementType();
      auto vecType = VectorType::get({lanes}, element);
      Value read;
      if (asVector) {
        Value pad = arith::ConstantOp::create(b, loc, b.getZeroAttr(element));
        read = vector::TransferReadOp::create(b, loc, vecType, buffer, idx, pad,
                                              ArrayRef<bool>{inBounds});
      } else {
        Value scalar =
            isa<MemRefType>(in.buffer.getType())
                ? memref::LoadOp::create(b, loc, in.buffer, idx).getResult()
                : tensor::ExtractOp::create(b, loc, in.buffer, idx).getResult();
        read = vector::BroadcastOp::create(b, loc, vecType, scalar);
      }
      cache.push_back({block, opIndex, i, buffer, idx, read});
      args[i] = read;
    }
    current = vectorizeBody(b, loc, body, args, lanes).front();
  }
  return current;
}

void FusedEpilogue::replaceAndErase(RewriterBase &rewriter, Value result,
                                    Value shapeSource) {
  OpBuilder::InsertionGuard guard(rewriter);
  for (Value v : chainValues)
    for (OpOperand &use : llvm::make_early_inc_range(v.getUses()))
      if (auto dim = dyn_cast<tensor::DimOp>(use.getOwner())) {
        std::optional<int64_t> index = dim.getConstantIndex();
        rewriter.setInsertionPoint(dim);
        rewriter.replaceOp(
            dim, index ? getDimSize(rewriter, dim.getLoc(), shapeSource, *index)
                       : tensor::DimOp::create(rewriter, dim.getLoc(),
                                               shapeSource, dim.getIndex())
                             .getResult());
      }
  rewriter.replaceAllUsesWith(chainValues.back(), result);
  for (linalg::GenericOp op : llvm::reverse(ops))
    rewriter.eraseOp(op);
}
