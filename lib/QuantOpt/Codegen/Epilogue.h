//===- Epilogue.h - Element-wise code fused into kernels --------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// The kernels of --qnt-codegen apply the element-wise code that follows a
// contraction (the zero-point correction, scales, bias, requantization,
// clamps and activations that the reference lowering of the qnt ops and of
// the float graph builds as element-wise linalg.generics) to the
// accumulators in registers before they are stored (docs/Codegen.md), and
// the same body vectorizer serves the element-wise generics that stand
// alone (qnt-vectorize-elementwise).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_LIB_CODEGEN_EPILOGUE_H
#define QUANTOPT_LIB_CODEGEN_EPILOGUE_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/Builders.h"

#include <vector>

namespace quantopt {

/// `buffer` (identity layout) with dimensions [first, first + count)
/// collapsed into one, the others kept (itself when count <= 1).
mlir::Value collapseDims(mlir::OpBuilder &b, mlir::Location loc,
                         mlir::Value buffer, int64_t first, int64_t count);

class KernelBuilder;

/// `tensor` as an input buffer of `kernel` (identity layout), collapsed to
/// one dimension in its body.
mlir::Value flatBuffer(KernelBuilder &kernel, mlir::Location loc,
                       mlir::Value tensor);

/// Where a kernel's accumulators start: the init tensor read from memory,
/// or, when the init is a fill or a splat of a constant (the zeros a matmul
/// accumulates into), that constant broadcast in registers, so that nothing
/// is read and the fill needs no memory. The sums are the same either way.
class AccumulatorInit {
public:
  /// `init` as a strided input of `kernel`, unless it is uniform.
  AccumulatorInit(KernelBuilder &kernel, mlir::Location loc, mlir::Value init);
  /// The accumulator vector at `idx` (a transfer_read of the init, padded
  /// with 0 where not `inBounds`, or the broadcast constant).
  mlir::Value read(mlir::OpBuilder &b, mlir::Location loc,
                   mlir::VectorType type, mlir::ValueRange idx,
                   bool inBounds) const;

private:
  mlir::Value buffer;   ///< the init in the kernel, when read
  mlir::Value constant; ///< the uniform scalar, in the kernel's body
};

/// Whether `op` is an integer contraction as the reference lowering of
/// qnt.contract builds it: i32 accumulation `acc + ext(a) * ext(b)` of two
/// inputs over at least one reduction loop. The kernels take these; the
/// element-wise vectorizer leaves them alone.
bool isIntegerContraction(mlir::linalg::GenericOp op);

/// Element types the vectorized loops read and write: whole bytes.
bool isStorableElementType(mlir::Type t);

/// Whether every op of a linalg.generic's body is element-wise mappable
/// (arith, math) or a scalar constant, so that it computes on vectors as it
/// does on scalars; integer division is excluded (the padding lanes of a
/// masked tail would divide by zero).
bool isVectorizableBody(mlir::Block &body);

/// The body of `body`'s generic on vectors of `lanes` elements: `args` are
/// the block arguments' values (vectors; null for arguments the body does
/// not use); scalars from outside the body are broadcast. Returns the
/// yielded vectors. Each op is the same op on vectors, so every lane is
/// computed as the scalar body computes it.
llvm::SmallVector<mlir::Value> vectorizeBody(mlir::OpBuilder &b,
                                             mlir::Location loc,
                                             mlir::Block &body,
                                             mlir::ArrayRef<mlir::Value> args,
                                             int64_t lanes);

/// The chain of element-wise generics that consumes a kernel's result,
/// applied to its accumulators in registers.
class FusedEpilogue {
public:
  /// Collects the single-use chain of all-parallel linalg.generics with
  /// vectorizable bodies that starts at `result` (the kernel's tensor, whose
  /// last dimension is the vectorized one). Other inputs of the chain must
  /// be read through projections of the loops that keep the last dimension
  /// last (full tensors, per-channel vectors) or drop it (scalars, per-row
  /// values). An empty chain stores the accumulators as they are.
  static FusedEpilogue collect(mlir::Value result);
  /// The same for one element-wise generic on its own (no kernel result
  /// among its inputs), or nullopt when its body or inputs do not fit.
  static std::optional<FusedEpilogue> standalone(mlir::linalg::GenericOp op);
  /// Whether every input is read through the identity map or is uniform,
  /// so that the loops can run over the elements in one dimension.
  bool isFlat() const;
  /// Vectors along loop dimension `dim` instead of the last one (a kernel
  /// whose lanes are pixels, not channels): apply() then reads every input
  /// other than the chain as one value per vector, broadcast, which needs
  /// each input to be uniform or not to vary along `dim`. Returns false
  /// (and changes nothing) when one does. Call before prepare().
  bool vectorizeAlong(unsigned dim);

  bool empty() const { return ops.empty(); }
  size_t size() const { return ops.size(); }
  /// Where the kernel must be built: the last op of the chain (every value
  /// the chain reads dominates it), or null for an empty chain.
  mlir::Operation *getInsertionPoint() const;
  /// The tensor type the kernel produces: the chain's result type, or
  /// `accType` for an empty chain.
  mlir::RankedTensorType getResultType(mlir::RankedTensorType accType) const;

  /// Adds the chain's inputs to `kernel` and builds their loop-invariant
  /// values at the start of its body (outside its loops).
  /// `flatten` (isFlat() only): the buffers are collapsed to one dimension
  /// and apply() takes one index.
  void prepare(KernelBuilder &kernel, mlir::Location loc, int64_t lanes,
               bool flatten = false);
  /// The same for code on tensors (no kernel): the inputs are read as
  /// tensors, with vector.transfer_read and tensor.extract.
  void prepare(mlir::OpBuilder &b, mlir::Location loc, int64_t lanes,
               bool flatten = false);

  /// The chain applied to the accumulator vector `acc` whose first lane is
  /// at `indices` (one per dimension; the last is the first column).
  /// `inBounds`: every lane is inside the tensor (no column tail).
  /// An input the chain's result overwrites (its destination): read from
  /// `from`, the tensor being written, at `indices`, so that bufferization
  /// sees the chain read what it overwrites and writes in place.
  struct InPlaceRead {
    mlir::Value tensor;
    mlir::Value from;
    mlir::ValueRange indices;
  };
  mlir::Value apply(mlir::OpBuilder &b, mlir::Location loc, mlir::Value acc,
                    mlir::ValueRange indices, bool inBounds,
                    const InPlaceRead *inPlace = nullptr);

  /// Replaces the chain's result by `result` and erases the chain; uses of
  /// `tensor.dim` on its tensors read `shapeSource` instead (all have the
  /// same shape).
  void replaceAndErase(mlir::RewriterBase &rewriter, mlir::Value result,
                       mlir::Value shapeSource);

private:
  /// Builds the loop-invariant values; `source(tensor, flat)` gives what
  /// the loops read an input from.
  void prepare(mlir::OpBuilder &b, mlir::Location loc, int64_t lanes,
               bool flatten,
               llvm::function_ref<mlir::Value(mlir::Value, bool)> source);
  /// Adds `op` to the chain if it fits; `chain` is the value it consumes
  /// from the chain (null for a standalone op).
  bool append(mlir::linalg::GenericOp op, mlir::Value chain);
  /// How one generic input is read.
  struct Input {
    enum Kind { Chain, Splat, Vector, Scalar } kind;
    mlir::Value tensor;
    mlir::AffineMap map;
    mlir::Value buffer;   // Vector / Scalar reads: a buffer or a tensor
    mlir::Value splat;    // Splat: loop-invariant vector
  };
  llvm::SmallVector<mlir::linalg::GenericOp> ops;
  llvm::SmallVector<llvm::SmallVector<Input>> inputs;
  llvm::SmallVector<mlir::Value> chainValues; // result of the kernel, then of each op
  int64_t lanes = 16;
  bool flat = false;
  /// vectorizeAlong's dimension, or -1 for the last one.
  int64_t laneDim = -1;
  /// Reads of the same input at the same indices in the same block are
  /// shared (the rows of a tile read one per-channel vector).
  struct CachedRead {
    mlir::Block *block;
    unsigned op, input;
    mlir::Value buffer;
    llvm::SmallVector<mlir::Value> indices;
    mlir::Value value;
  };
  std::vector<CachedRead> cache;
};

} // namespace quantopt

#endif // QUANTOPT_LIB_CODEGEN_EPILOGUE_H
