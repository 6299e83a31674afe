//===- onnx-embed.cpp - The ONNX importer from C++ ------------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// An out-of-tree program on an installed QuantOpt that imports an ONNX model
// with the importer library (quantopt::importOnnxModel, the function behind
// quant-import-onnx), folds its QDQ layers into typed qnt.contract ops with
// the pass quant-opt runs as --qnt-fold-dequantized-layers, and prints each
// typed layer with the ONNX node it came from.
//
//   onnx-embed MODEL.onnx
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/ExternalModels/QuantizableLayerModels.h"
#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h"
#include "QuantOpt/Import/OnnxImporter.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  if (argc != 2) {
    llvm::errs() << "usage: onnx-embed MODEL.onnx\n";
    return 1;
  }
  // The folding pass finds layers through QuantizableLayerOpInterface, which
  // linalg's ops implement as external models: register them, as quant-opt
  // does.
  DialectRegistry registry;
  quantopt::registerQuantizableLayerModels(registry);
  MLIRContext context(registry);
  quantopt::OnnxImportOptions options;
  options.batch = 4;
  auto module = quantopt::importOnnxModel(argv[1], context, options);
  if (!module) {
    llvm::errs() << "onnx-embed: " << llvm::toString(module.takeError())
                 << "\n";
    return 1;
  }
  PassManager pm(&context);
  pm.addPass(quantopt::createQntFoldDequantizedLayers());
  if (failed(pm.run(**module)))
    return 1;
  unsigned layers = 0;
  (*module)->walk([&](qnt::ContractOp op) {
    ++layers;
    llvm::outs() << "layer at " << op.getLoc() << ": "
                 << op.getInput().getType() << " x "
                 << op.getWeight().getType() << " -> "
                 << op.getResult().getType() << ", weight "
                 << op.getWeightParams() << "\n";
  });
  llvm::outs() << layers << " typed layer(s)\n";
  return 0;
}
