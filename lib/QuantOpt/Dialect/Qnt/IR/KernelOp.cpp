//===- KernelOp.cpp - qnt.kernel: a kernel on buffers inside tensor code --===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"

using namespace mlir;
using namespace mlir::qnt;

LogicalResult KernelOp::verify() {
  Block &body = getBody().front();
  if (body.getNumArguments() != getNumOperands())
    return emitOpError() << "body takes " << body.getNumArguments()
                         << " buffers for " << getNumOperands()
                         << " operands (one per input and output)";
  for (OpOperand &operand : getOperation()->getOpOperands()) {
    unsigned i = operand.getOperandNumber();
    auto tensor = cast<RankedTensorType>(operand.get().getType());
    auto buffer = dyn_cast<MemRefType>(body.getArgument(i).getType());
    if (!buffer || buffer.getShape() != tensor.getShape() ||
        buffer.getElementType() != tensor.getElementType())
      return emitOpError() << "buffer " << i << " has type "
                           << body.getArgument(i).getType()
                           << ", expected a memref of the shape and element "
                              "type of "
                           << tensor;
  }
  if (getNumResults() != getOutputs().size())
    return emitOpError() << "has " << getNumResults() << " results for "
                         << getOutputs().size() << " outputs";
  for (auto [result, output] : llvm::zip(getResults(), getOutputs()))
    if (result.getType() != output.getType())
      return emitOpError() << "result type " << result.getType()
                           << " differs from its output's " << output.getType();
  // Tensors enter through the operands only: the body is inlined on
  // buffers, where a tensor from outside would have none.
  WalkResult walk = getBody().walk([&](Operation *op) {
    for (Value v : op->getOperands())
      if (isa<TensorType>(v.getType()) &&
          !getBody().isAncestor(v.getParentRegion()))
        return WalkResult::interrupt();
    return WalkResult::advance();
  });
  if (walk.wasInterrupted())
    return emitOpError() << "body uses a tensor defined outside; pass it as "
                            "an input";
  return success();
}

bool KernelOp::bufferizesToMemoryRead(OpOperand &,
                                      const bufferization::AnalysisState &) {
  // Outputs too: a kernel may accumulate onto its destination.
  return true;
}

bool KernelOp::bufferizesToMemoryWrite(OpOperand &operand,
                                       const bufferization::AnalysisState &) {
  return isDpsInit(&operand);
}

bufferization::AliasingValueList
KernelOp::getAliasingValues(OpOperand &operand,
                            const bufferization::AnalysisState &) {
  if (!isDpsInit(&operand))
    return {};
  return {{getTiedOpResult(&operand), bufferization::BufferRelation::Equivalent,
           /*isDefinite=*/true}};
}

/// Whether every buffer of type `from` is a valid buffer of type `to`: a
/// memref.cast that needs no runtime check (every static size, stride and
/// offset of `to` is the same static value in `from`).
static bool isStaticallyCastable(MemRefType from, MemRefType to) {
  if (from.getElementType() != to.getElementType() ||
      from.getRank() != to.getRank() ||
      from.getMemorySpace() != to.getMemorySpace())
    return false;
  SmallVector<int64_t> fromStrides, toStrides;
  int64_t fromOffset, toOffset;
  if (failed(from.getStridesAndOffset(fromStrides, fromOffset)) ||
      failed(to.getStridesAndOffset(toStrides, toOffset)))
    return false;
  auto covers = [](int64_t t, int64_t f) {
    return ShapedType::isDynamic(t) || t == f;
  };
  for (int64_t d = 0; d < from.getRank(); ++d)
    if (!covers(to.getDimSize(d), from.getDimSize(d)) ||
        !covers(toStrides[d], fromStrides[d]))
      return false;
  return covers(toOffset, fromOffset);
}

LogicalResult KernelOp::bufferize(RewriterBase &rewriter,
                                  const bufferization::BufferizationOptions &options,
                                  bufferization::BufferizationState &state) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(*this);
  Location loc = getLoc();
  Block &body = getBody().front();
  SmallVector<Value> args, results;
  // Outputs whose buffer had to be replaced by a copy: copied back after.
  SmallVector<std::pair<Value, Value>> copyBack;
  for (OpOperand &operand : getOperation()->getOpOperands()) {
    FailureOr<Value> buffer =
        bufferization::getBuffer(rewriter, operand.get(), options, state);
    if (failed(buffer))
      return failure();
    Value arg = *buffer;
    auto have = cast<MemRefType>(arg.getType());
    auto want = cast<MemRefType>(body.getArgument(operand.getOperandNumber())
                                     .getType());
    if (isDpsInit(&operand))
      results.push_back(arg);
    if (have != want && !isStaticallyCastable(have, want)) {
      // A copy with the identity layout, which the body's layout must cover.
      auto identity = MemRefType::get(have.getShape(), have.getElementType(),
                                      MemRefLayoutAttrInterface(),
                                      have.getMemorySpace());
      if (!isStaticallyCastable(identity, want))
        return emitOpError() << "buffer type " << want
                             << " cannot hold a copy of a " << have;
      SmallVector<Value> sizes;
      for (int64_t d = 0; d < have.getRank(); ++d)
        if (have.isDynamicDim(d))
          sizes.push_back(memref::DimOp::create(rewriter, loc, arg, d));
      FailureOr<Value> copy = options.createAlloc(rewriter, loc, identity, sizes);
      if (failed(copy) || failed(options.createMemCpy(rewriter, loc, arg, *copy)))
        return failure();
      if (isDpsInit(&operand))
        copyBack.emplace_back(*copy, arg);
      arg = *copy;
      have = identity;
    }
    if (have != want)
      arg = memref::CastOp::create(rewriter, loc, want, arg);
    args.push_back(arg);
  }
  rewriter.inlineBlockBefore(&body, *this, args);
  for (auto [from, to] : copyBack)
    if (failed(options.createMemCpy(rewriter, loc, from, to)))
      return failure();
  bufferization::replaceOpWithBufferizedValues(rewriter, *this, results);
  return success();
}
