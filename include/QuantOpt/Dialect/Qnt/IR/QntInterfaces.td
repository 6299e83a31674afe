//===- QntInterfaces.td - qnt op interfaces ----------------*- tablegen -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_DIALECT_QNT_IR_QNTINTERFACES_TD
#define QUANTOPT_DIALECT_QNT_IR_QNTINTERFACES_TD

include "mlir/IR/OpBase.td"

def Qnt_QuantizableLayerOpInterface : OpInterface<"QuantizableLayerOpInterface"> {
  let cppNamespace = "::mlir::qnt";
  let description = [{
    A layer with a weight operand that `--qnt-quantize` can quantize: matmuls
    and convolutions. QuantOpt attaches it to upstream linalg and TOSA ops as
    external models (`quantopt::registerQuantizableLayerModels`); a new op
    kind plugs in by implementing it, without touching the pass.
  }];
  let methods = [
    InterfaceMethod<"The weight operand.", "::mlir::OpOperand &",
                    "getWeightOperand">,
    InterfaceMethod<[{The weight dimension of the output channels (one scale
                      per index for per-channel parameters).}],
                    "int64_t", "getWeightChannelAxis">,
    InterfaceMethod<[{The weight dimension reduced over that per-block
                      parameters split into blocks, if there is one.}],
                    "std::optional<int64_t>", "getWeightBlockAxis">,
  ];
}

#endif // QUANTOPT_DIALECT_QNT_IR_QNTINTERFACES_TD
