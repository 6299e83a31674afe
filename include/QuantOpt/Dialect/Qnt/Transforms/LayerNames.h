//===- LayerNames.h - Names and fingerprints of quantizable layers -*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// One naming scheme for --qnt-quantize (recipes, stats, remarks),
// --qnt-insert-observers (observer ids) and stats files (the model
// fingerprint), so that all three agree on the same model.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_DIALECT_QNT_TRANSFORMS_LAYERNAMES_H
#define QUANTOPT_DIALECT_QNT_TRANSFORMS_LAYERNAMES_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "llvm/ADT/StringMap.h"

#include <string>

namespace quantopt {

/// The name of the first NameLoc in `loc` (a layer's name), or "".
std::string findLocationName(mlir::Location loc);

/// Makes diagnostics at a location with a name but no file position (a
/// layer's bare `loc("fc1")`) print as `fc1: remark: ...` instead of the
/// default `<unknown>:0: remark: loc("fc1"): ...`; diagnostics with a file
/// position are left to the other handlers. For tools; returns the handler.
mlir::DiagnosticEngine::HandlerID
registerLayerNameDiagnostics(mlir::MLIRContext *context);

/// The name of a layer: the first name of its location (`loc("fc1")`), or
/// `<op name>#<n>` for the n-th such op of the module (`counters` counts per
/// op name; walk layers in module order).
std::string getLayerName(mlir::Operation *op,
                         llvm::StringMap<unsigned> &counters);

/// The activation operand of a QuantizableLayerOpInterface op: its first
/// operand that is not the weight.
mlir::OpOperand &getActivationOperand(mlir::Operation *layer);

/// The input-channel axis of a layer's activation: for a linalg layer, the
/// dimension indexed by a reduction loop the weight shares (K of a matmul in
/// any layout, C of a convolution); otherwise (and for depthwise
/// convolutions, whose channels are parallel) 1 for NCHW convolutions and the
/// last dimension.
int64_t getActivationChannelAxis(mlir::Operation *layer);

/// How a layer looked when the model was read: its name, op name and
/// activation type.
struct LayerRecord {
  std::string name, opName;
  mlir::Type activationType;
};

/// Records each layer's LayerRecord in its location (a FusedLoc around the
/// original one, with the record as metadata), for layers without one:
/// qnt-name-layers, before lowerings that replace the layer ops (TOSA to
/// linalg keeps locations).
void recordLayerNames(mlir::ModuleOp module);

/// The record of `op` (recordLayerNames), or what it would record now.
LayerRecord getLayerRecord(mlir::Operation *op,
                           llvm::StringMap<unsigned> *counters = nullptr);

/// Puts back the locations recordLayerNames wrapped.
void restoreLayerLocations(mlir::ModuleOp module);

/// A fingerprint of the module's quantizable layers (names, op names and
/// activation types, in module order; from their records when they carry
/// one), as 16 hex digits. Observers do not change it, so a model and its
/// instrumented form share it; nor does splitting a layer into parts that
/// keep its record (qnt-unstuff-transposed-conv's phases): a name counts
/// once.
std::string computeModelFingerprint(mlir::ModuleOp module);

} // namespace quantopt

#endif // QUANTOPT_DIALECT_QNT_TRANSFORMS_LAYERNAMES_H
