//===- VnniMatch.h - What the VNNI kernels take -------------------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// The integer contractions qnt-vnni-matmul turns into kernels (matched by
// their maps and body, after convert-qnt-to-linalg expanded a qnt.contract),
// and the vpdpbusd order of their packed weights.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_LIB_CODEGEN_VNNIMATCH_H
#define QUANTOPT_LIB_CODEGEN_VNNIMATCH_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace quantopt {

/// The contraction `sum(ext(a) * extsi(w))` of a plain 2-D matmul with a
/// constant i8 weight (u8 or i8 activations), or failure.
struct MatchedMatmul {
  mlir::Value a;
  /// Signed (i8) activations: vpdpbusd reads u8, so the bytes are shifted by
  /// +128 (xor 0x80) and the accumulators start at -128 * sum_k w[k][n].
  bool signedA = false;
  mlir::DenseElementsAttr weights;
  int64_t k, n;
  /// A conv_2d_nhwc_hwcf contraction: weights [KH][KW][C][F] (k = KH*KW*C,
  /// n = F), strides and dilations of the two spatial dimensions.
  bool conv = false;
  /// A depthwise_conv_2d_nhwc_hwc contraction: weights [KH][KW][C], the
  /// reduction runs over the window only (k = KH*KW, n = C).
  bool depthwise = false;
  /// Weights [F][KH][KW][C] (conv_2d_nhwc_fhwc); `weights` holds them
  /// transposed to [KH][KW][C][F].
  bool fhwc = false;
  /// A batched matmul with one batch: the operands have a leading 1.
  bool batch1 = false;
  /// i4 weights in [-8, 7] (2-D matmuls only).
  bool int4 = false;
  /// u8 weights (asymmetric, 2-D matmuls only): vpdpbusd multiplies signed
  /// weights, so they are stored as w - 128 and each row adds back
  /// 128 * sum_k a[k], summed in the kernel by one more vpdpbusd against
  /// ones.
  bool unsignedW = false;
  int64_t kh = 1, kw = 1, c = 0, sh = 1, sw = 1, dh = 1, dw = 1;
};

/// The NHWC/HWCF contraction (between two transposes, weights transposed at
/// compile time) that replaces a conv_2d_nchw_fchw contraction with constant
/// weights and a zero init, or null when `op` is not one.
mlir::linalg::GenericOp convertNchwToNhwc(mlir::RewriterBase &rewriter,
                                          mlir::linalg::GenericOp op);

/// The kernel's view of an integer contraction (2-D matmul, one-batch
/// batched matmul, NHWC/HWCF or NHWC/FHWC convolution, NHWC depthwise
/// convolution of u8 or i8 activations and constant i8 (or i4, u8) weights
/// from a zero init), or failure.
mlir::FailureOr<MatchedMatmul> matchVnniContraction(mlir::linalg::GenericOp op);

/// Bytes `stored` ([K][N]) in vpdpbusd order: [ceil(N/L)][ceil(K/4)][L][4]
/// for L lanes, `pad` beyond K and N. With `nibbles` (4-bit values), the 4L
/// values of each (column block, group of four) are 2L bytes: byte i holds
/// value i in its low nibble and value 2L + i in its high one.
mlir::DenseElementsAttr packVnniOrder(mlir::MLIRContext *ctx,
                                      llvm::ArrayRef<uint8_t> stored,
                                      int64_t k, int64_t n, int64_t kLanes,
                                      bool nibbles, uint8_t pad);

/// The weights in vpdpbusd order (packVnniOrder; i4: nibbles of w + 8; u8:
/// stored as w - 128).
mlir::DenseElementsAttr packWeights(mlir::DenseElementsAttr weights,
                                    int64_t k, int64_t n, int64_t kLanes,
                                    bool int4, bool unsignedW);

/// Where the accumulators of signed activations (shifted by +128 to the u8
/// vpdpbusd reads) start: -128 * the sum of each output column's weights
/// (the last dimension of `weights`; u8 weights count as w - 128), padded
/// with zeros to `size`. The sums are numerics::sumOverAxes, as in the
/// reference lowering's zero-point term.
std::vector<int32_t> getShiftCompensation(mlir::DenseElementsAttr weights,
                                          bool unsignedW, int64_t size);

/// The four bytes `buffer[indices]` (a masked read, `pad` past the end,
/// when `masked`) as one i32 broadcast to `lanes` lanes, viewed as the
/// 4 * lanes bytes vpdpbusd reads; with `flipSign` every byte xor 0x80.
mlir::Value broadcastFourBytes(mlir::OpBuilder &b, mlir::Location loc,
                               mlir::Value buffer, mlir::ValueRange indices,
                               bool masked, mlir::Value pad, bool flipSign,
                               int64_t lanes);

/// The 4 * lanes nibble values of `raw` (2 * lanes bytes of packVnniOrder's
/// nibbles: low nibbles first, then high ones), one per byte.
mlir::Value unpackNibbles(mlir::OpBuilder &b, mlir::Location loc,
                          mlir::Value raw, int64_t lanes);

} // namespace quantopt

namespace quantopt {
class FusedEpilogue;

/// Whether the first-layer kernel takes the convolution `mm` whose epilogue
/// is `epilogue` (accumulators `accType`, `lanes` i32 lanes): fewer than 4
/// input channels where pixels as lanes save products, at most 16 filters,
/// an epilogue whose inputs do not vary along the width (on success it runs
/// along the width). VnniFirstLayer.cpp.
bool takesFirstLayerConv(const MatchedMatmul &mm, FusedEpilogue &epilogue,
                         mlir::RankedTensorType accType, int64_t lanes);

/// Replaces the convolution `op` and its epilogue by the first-layer kernel
/// (16 output pixels per vector, one accumulator per filter), rows across
/// threads when `parallel`.
void rewriteFirstLayerConv(mlir::RewriterBase &rewriter,
                           mlir::linalg::GenericOp op, const MatchedMatmul &mm,
                           FusedEpilogue &epilogue, int64_t lanes,
                           bool parallel);
} // namespace quantopt

#endif // QUANTOPT_LIB_CODEGEN_VNNIMATCH_H
