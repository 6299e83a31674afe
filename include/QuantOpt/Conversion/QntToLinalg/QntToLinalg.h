//===- QntToLinalg.h - qnt to linalg/arith conversion -----------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_CONVERSION_QNTTOLINALG_QNTTOLINALG_H
#define QUANTOPT_CONVERSION_QNTTOLINALG_QNTTOLINALG_H

namespace mlir {
class RewritePatternSet;
} // namespace mlir

namespace quantopt {

/// Adds the patterns that rewrite qnt.quantize, qnt.dequantize,
/// qnt.requantize and qnt.fake_quant into element-wise linalg.generic ops on
/// tensors (the reference lowering).
void populateQntToLinalgPatterns(mlir::RewritePatternSet &patterns);

/// Adds the pattern that expands qnt.contract (a quantized layer) into the
/// reference integer code: the i32 contraction with the op's maps, the
/// zero-point terms outside the reduction with the weight sums computed at
/// compile time, and the epilogue its result type asks for (accumulator,
/// dequantized, or qnt.requantize + clamp). Part of
/// populateQntToLinalgPatterns.
void populateContractToLinalgPatterns(mlir::RewritePatternSet &patterns);

} // namespace quantopt

#endif // QUANTOPT_CONVERSION_QNTTOLINALG_QNTTOLINALG_H
