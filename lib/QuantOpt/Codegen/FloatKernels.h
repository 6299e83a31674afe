//===- FloatKernels.h - Shared parts of the float kernels -------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// qnt-f32-matmul's kernels (docs/Codegen.md): f32, bf16 and f16 matmuls and
// NHWC convolutions with constant weights, and batched matmuls of two
// activations. The weight folding, bf16 pairs and output sizes they share
// are here (FloatKernels.cpp); the convolution kernels are in FloatConv.cpp,
// the matmul kernels, the patterns and the pass in FloatMatmul.cpp.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_LIB_CODEGEN_FLOATKERNELS_H
#define QUANTOPT_LIB_CODEGEN_FLOATKERNELS_H

#include "Epilogue.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/IR/BuiltinAttributes.h"
#include "mlir/IR/PatternMatch.h"

#include <optional>

namespace quantopt::floatkernels {

constexpr int64_t kLanes = 16;

/// The input element types of the matmul and convolution kernels: f32
/// (vector.fma), bf16 with f32 results (qnt_x86.dot_bf16 on pairs), and f16
/// with f32 results (the activations widened to f32 once before the
/// kernel, matmul weights as they load or into a panel, convolution
/// weights when packed; a product of two f16 values is exact in f32, so
/// vector.fma gives the reference's multiply and add bit for bit).
bool isKernelInput(mlir::Type t);

/// `v` loaded from the packed weights, widened to f32 when it is f16.
mlir::Value widenToF32(mlir::OpBuilder &b, mlir::Location loc, mlir::Value v);

/// A kernel's activation tensor: an f16 one widened to f32 (exact) by an
/// element-wise linalg.generic first, which qnt-fuse-elementwise joins to
/// the truncf that made it and qnt-vectorize-elementwise vectorizes. Each
/// activation feeds many multiply-adds (every column block, every window
/// position), and one conversion per element beats one per use
/// (vcvtph2psx with a broadcast operand is two uops beside each FMA:
/// measured 1.8x the f32 CNN's time).
mlir::Value widenActivations(mlir::OpBuilder &b, mlir::Location loc,
                             mlir::Value input);

/// The bits of `v`, a 16-bit float value.
uint16_t get16Bits(const llvm::APFloat &v);

/// The slot of reduction index `kk` in its bf16 pair: vdpbf16ps adds the odd
/// element's product first, so the pair's first index goes there and the
/// sums run in the reference lowering's order.
inline int64_t getPairSlot(int64_t kk) { return kk % 2 == 0 ? 1 : 0; }

/// The bf16 activations a[idx] and the next one along the last dimension
/// (0 when `single`: the tail of an odd reduction) as one i32, the first in
/// the high half (a pair's odd element, see getPairSlot).
mlir::Value loadPair(mlir::OpBuilder &b, mlir::Location loc, mlir::Value a,
                     llvm::SmallVector<mlir::Value> idx, bool single);

/// One pair step of a bf16 tile: per row r, the activation pair at
/// `aIndices[r]` broadcast to every lane and dotted with every weight
/// vector (32 bf16: 16 columns x the pair) into `accs[r * weights.size() +
/// c]`; returns the new accumulators in the same order.
llvm::SmallVector<mlir::Value>
accumulatePairs(mlir::OpBuilder &b, mlir::Location loc, mlir::Value a,
                llvm::ArrayRef<llvm::SmallVector<mlir::Value>> aIndices,
                llvm::ArrayRef<mlir::Value> weights, mlir::ValueRange accs,
                bool single);

/// A constant of 16-bit floats `element` of `shape` from raw bits.
mlir::DenseElementsAttr pack16(mlir::Type element,
                               llvm::ArrayRef<int64_t> shape,
                               llvm::ArrayRef<uint16_t> bits);

/// The weights of a float matmul fit for the kernel: f32, bf16 or f16
/// inputs (f32 result), the default maps, a static K and constant weights
/// of the input's type, or f32 weights folded from a qnt.dequantize whose
/// storage no weight-only kernel reads (getFoldedWeights).
std::optional<mlir::DenseElementsAttr>
getF32LayerWeights(mlir::linalg::MatmulOp op);

/// A float batched matmul fit for the activation kernel: f32, the default
/// maps, static K and N (its second operand, e.g. attention's keys or
/// values, is read as it is: its rows are contiguous).
bool isF32Layer(mlir::linalg::BatchMatmulOp op);

/// The weights of a float NHWC/HWCF convolution fit for the kernel: f32,
/// bf16 or f16, a static channel count and constant (or weight-only)
/// weights.
std::optional<mlir::DenseElementsAttr>
getF32LayerWeights(mlir::linalg::Conv2DNhwcHwcfOp op);

/// The weights of a float NHWC/HWC depthwise convolution fit for the
/// kernel: f32 or f16 inputs (f32 result), a static channel count and
/// constant (or weight-only) weights.
std::optional<mlir::DenseElementsAttr>
getF32LayerWeights(mlir::linalg::DepthwiseConv2DNhwcHwcOp op);

/// The element-wise chain after `op` (bias, activation), which a kernel
/// applies to its accumulators before storing them; moves the rewriter to
/// where that chain ends (the caller holds an insertion guard).
FusedEpilogue collectEpilogue(mlir::RewriterBase &rewriter,
                              mlir::Operation *op);

/// The sizes of a convolution's 4-D output, read from its init, and those
/// of them that are dynamic.
void getOutputSizes(mlir::OpBuilder &b, mlir::Location loc, mlir::Value init,
                    mlir::RankedTensorType outType, mlir::Value (&dims)[4],
                    llvm::SmallVector<mlir::Value> &dynamic);

/// The f32 kernels of one rewrite; column groups (matmuls) or output rows
/// (convolutions) across threads when `parallel`.
struct F32Kernels {
  bool parallel = false;
  /// With `parallel`, the workers that share an f16 matmul's column groups,
  /// each with its own panel.
  int64_t threads = 1;
  /// With `parallel`, the multiply-adds below which a matmul runs on one
  /// thread (-1: kMinParallelDotsF32).
  int64_t minParallelDots = -1;

  /// conv_2d_nhwc_hwcf with constant f32 weights, the structure of the int8
  /// convolution kernel: weights packed as [ceil(F/16)][KH*KW][C][16]; a
  /// tile is four output pixels along the width (a static width ends with
  /// one tile of the rest) x up to four column blocks; per window position
  /// and channel, four weight loads, four broadcast activations, sixteen
  /// vector.fma; accumulators start from the init.
  void rewrite(mlir::RewriterBase &rewriter, mlir::linalg::Conv2DNhwcHwcfOp op,
               mlir::DenseElementsAttr weights);

  /// depthwise_conv_2d_nhwc_hwc with constant f32 (or f16) weights: a lane is a
  /// channel. Weights packed as [ceil(C/16)][KH*KW][16] (zero beyond C); a
  /// tile is four output pixels along the width x up to four channel
  /// blocks; per window position, one weight load per block and one
  /// contiguous activation load per pixel and block (masked for a channel
  /// tail), one vector.fma each; accumulators start from the init; the
  /// element-wise chain after the layer is fused into the stores.
  void rewrite(mlir::RewriterBase &rewriter,
               mlir::linalg::DepthwiseConv2DNhwcHwcOp op,
               mlir::DenseElementsAttr weights);

  /// matmul [M][K] x [K][N] with constant weights packed as
  /// [ceil(N/16)][K][16] (zero beyond N): four rows per tile sharing each
  /// 16-float weight load, one broadcast activation and one vector.fma per
  /// row and k, accumulators starting from the init, masked stores for an N
  /// tail (FloatMatmul.cpp).
  void rewrite(mlir::RewriterBase &rewriter, mlir::linalg::MatmulOp op,
               mlir::DenseElementsAttr weights);

  /// batch_matmul [B][M][K] x [B][K][N] of two activations (attention's
  /// q k^T and p v): per batch, the matmul kernel's tiles with the second
  /// operand's rows read in place (16 contiguous floats per k and column
  /// block, masked for an N tail) instead of packed at compile time;
  /// batches across threads when `parallel`.
  void rewrite(mlir::RewriterBase &rewriter, mlir::linalg::BatchMatmulOp op);
};

} // namespace quantopt::floatkernels

#endif // QUANTOPT_LIB_CODEGEN_FLOATKERNELS_H
