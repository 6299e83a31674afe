//===- Passes.h - QuantOpt code generation passes -----------------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_CODEGEN_PASSES_H
#define QUANTOPT_CODEGEN_PASSES_H

#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Dialect/QntX86/IR/QntX86.h"
#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

namespace quantopt {

#define GEN_PASS_DECL
#include "QuantOpt/Codegen/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "QuantOpt/Codegen/Passes.h.inc"

/// Loads the dialects the kernel patterns create ops of (arith, memref, qnt,
/// qnt_x86, scf, tensor, vector). The passes declare them; a compiler that
/// applies the patterns itself calls this first.
void loadQntKernelDialects(mlir::MLIRContext &context);

/// Adds the patterns of qnt-vnni-matmul: integer contractions (as the
/// reference lowering of qnt.contract builds them: u8/i8 activations,
/// constant i8/i4/u8 weights, zero init) with the element-wise chain that
/// consumes them become register-tiled VNNI kernels in qnt.kernel ops
/// (`lanes` i32 lanes: 16 for AVX512, 8 for AVX2-sized vectors; column
/// groups in an scf.parallel when `parallel`); NCHW/FCHW convolutions are
/// first turned into NHWC/HWCF ones between transposes.
void populateQntVnniMatmulPatterns(mlir::RewritePatternSet &patterns,
                                   int64_t lanes, bool parallel,
                                   bool amx = false, int64_t threads = 1,
                                   int64_t minParallelDots = -1);

/// Adds the pattern of qnt-f32-matmul: f32 linalg.matmul (static K) and
/// conv_2d_nhwc_hwcf and depthwise_conv_2d_nhwc_hwc (static C) with constant
/// weights become register-tiled
/// kernels on weights packed at compile time, with the element-wise chain
/// that consumes them fused into their stores, in qnt.kernel ops.
void populateQntF32MatmulPatterns(mlir::RewritePatternSet &patterns,
                                  bool parallel, int64_t threads = 1,
                                  int64_t minParallelDots = -1);

/// Adds the pattern of qnt-weight-only-matmul: an f32 linalg.matmul whose
/// weights are a qnt.dequantize of constant i8/i4/i2 (per tensor, per
/// output channel or per block along K, with or without zero points)
/// becomes a kernel that widens the stored weights in registers, in a
/// qnt.kernel. With `parallel`, `threads` (> 1) workers share the column
/// groups, each with its own panel of dequantized weights for many rows.
void populateQntWeightOnlyMatmulPatterns(mlir::RewritePatternSet &patterns,
                                         bool parallel, int64_t threads = 1,
                                         int64_t minParallelDots = -1);

/// Adds the pattern of qnt-block-matmul: a qnt.contract with per-block
/// weights (2-D matmul, constant 4- or 8-bit weights, block size a multiple
/// of 4, i8/u8 activations) becomes a VNNI kernel with `lanes` i32 lanes
/// (16 or 8) that reproduces the reference lowering's bits, in a
/// qnt.kernel.
void populateQntBlockMatmulPatterns(mlir::RewritePatternSet &patterns,
                                    int64_t lanes, bool parallel,
                                    int64_t threads = 1);

/// Adds the pattern of qnt-parallel-loops: a linalg op on buffers outside
/// any scf.parallel becomes loops whose outer parallel dimensions (enough
/// for `threads`) are one scf.parallel.
void populateQntParallelLoopsPatterns(mlir::RewritePatternSet &patterns,
                                      int64_t threads);

/// Adds the patterns of qnt-fuse-elementwise: upstream's element-wise
/// fusion limited to element-wise generics whose producer has no other
/// user.
void populateQntFuseElementwisePatterns(mlir::RewritePatternSet &patterns);
/// Only the fusion of element-wise producers into their consumers (same
/// restriction), without upstream's folding of splat constants, fills and
/// unused inits into generics: for IR whose integer contractions are
/// generics (after the qnt lowering), where a splat weight folded into the
/// body would hide the contraction from the kernels.
void populateQntFuseElementwiseProducersPatterns(
    mlir::RewritePatternSet &patterns);

/// Adds the patterns of qnt-strided-copies: a memref.copy between buffers
/// that are not both contiguous becomes linalg.copy; a fill of a buffer
/// whose interior a later copy overwrites fills only the border.
void populateQntStridedCopiesPatterns(mlir::RewritePatternSet &patterns);

/// Adds the pattern of qnt-vectorize-copy-loops: an innermost scf.for that
/// copies one element per iteration along the unit-stride dimension of two
/// buffers that cannot overlap becomes a loop of vector loads and stores
/// with a masked tail.
void populateQntVectorizeCopyLoopsPatterns(mlir::RewritePatternSet &patterns);

/// Adds the rewrites of qnt-expand-math: math.isinf, math.isnormal and
/// math.clampf (scalars and vectors; float types with or without
/// infinities) in arith and math.absf, which lower everywhere.
void populateQntExpandMathPatterns(mlir::RewritePatternSet &patterns);

/// Adds the patterns of qnt-polynomial-math: upstream's polynomial
/// approximations of the f32 math ops for which `approximate(name)` holds
/// (operation names: "math.exp", "math.tanh", ...).
void populateQntPolynomialMathPatterns(
    mlir::RewritePatternSet &patterns,
    llvm::function_ref<bool(llvm::StringRef)> approximate);

/// Adds the patterns of qnt-vectorize-elementwise: element-wise generics
/// become vector loops on tensors, min/max range reductions and NHWC
/// pooling vector loops in a qnt.kernel (`lanes`: 16 or 8). With
/// `reassociateFloatSums`, float sums
/// (`acc + e`) are reductions too, their lanes summed apart and combined as
/// a tree: not the reference's order, so not its bits. With `threads` > 1,
/// loops of at least 2^15 elements share their outermost loop among the
/// threads: element-wise loops as an scf.forall on tensors (which the
/// caller turns into an scf.parallel after bufferization, e.g. with
/// scf-forall-to-parallel), reductions as an scf.parallel in the kernel.
void populateQntVectorizeElementwisePatterns(mlir::RewritePatternSet &patterns,
                                             int64_t lanes,
                                             bool reassociateFloatSums = false,
                                             int64_t threads = 1);

/// How qnt_x86.dot_u8i8 becomes instructions.
enum class DotIsa {
  Vnni,    ///< vpdpbusd (AVX512-VNNI, or AVX-VNNI with 8 lanes)
  Avx2,    ///< vpmaddubsw + vpmaddwd on a split weight (exact)
  Generic, ///< widening multiplies and shuffled additions (any CPU)
};

/// The instruction set `isa=host` lowers qnt_x86.dot_u8i8 with on a CPU
/// with the LLVM target features `has` says (e.g. has("avx512vnni")), for
/// dots of 16 i32 lanes when `lanes16` and of 8 when `lanes8`: vpdpbusd when
/// every width has it (16 lanes: AVX512-VNNI; 8: AVX512-VNNI with -VL, or
/// AVX-VNNI), else vpmaddubsw with AVX2, else the portable code. The JIT's
/// qnt-lower-dot asks the host; quant-compile asks its target CPU.
DotIsa selectDotIsa(llvm::function_ref<bool(llvm::StringRef)> has, bool lanes16,
                    bool lanes8);

/// Whether `isa=host`'s bf16 dots use vdpbf16ps (AVX512-BF16) on a CPU with
/// the features `has` says.
bool selectBf16Dot(llvm::function_ref<bool(llvm::StringRef)> has);

/// Adds the patterns that lower qnt_x86.dot_u8i8 (after bufferization) the
/// way `isa` says, and qnt_x86.dot_bf16 to vdpbf16ps with `avx512bf16`, else
/// to fused multiply-adds; every way gives the same sums (vdpbf16ps treats
/// denormals as zero).
void populateQntX86LowerDotPatterns(mlir::RewritePatternSet &patterns,
                                    DotIsa isa, bool avx512bf16 = false);

/// qnt-single-share's rewrite of one loop: when the static trip counts of
/// `op` (an scf.parallel without reductions) do not guarantee two
/// iterations, wraps it in `scf.if (trips == 1)` whose then branch runs
/// the body inline with the lower bounds as its indices (no OpenMP fork);
/// fails (changing nothing) otherwise.
llvm::LogicalResult guardSingleShare(mlir::RewriterBase &rewriter,
                                     mlir::scf::ParallelOp op);

/// Adds the pattern of qnt-single-lane-stores: an llvm.intr.masked.store
/// whose constant mask has one active lane becomes llvm.extractelement and
/// a scalar llvm.store (LLVM 22's x86 backend stores 4 bytes for such a
/// store of a truncated vector).
void populateQntSingleLaneStoresPatterns(mlir::RewritePatternSet &patterns);

/// Adds the pattern of qnt-reciprocal-division: a vector division by a
/// uniform divisor whose quotient is only rounded to integers becomes a
/// multiplication by the reciprocal, with the division kept for the vectors
/// where the rounded integers could differ.
void populateQntReciprocalDivisionPatterns(mlir::RewritePatternSet &patterns);

} // namespace quantopt

#endif // QUANTOPT_CODEGEN_PASSES_H
