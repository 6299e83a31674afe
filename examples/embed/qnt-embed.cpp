//===- qnt-embed.cpp - QuantOpt from another project's C++ ----------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
//   qnt-embed MODEL.mlir INPUT.npy
//
// What a compiler that links QuantOpt does, from C++ only: loads a float
// model, plans its layers and quantizes them with the quantize pattern (int8
// per-channel weights, dynamic u8 activations), lists the quantized layers
// (qnt.contract ops and the names their locations carry), applies the
// kernel patterns to them (with the reference expansion of the qnt ops, the
// layers become qnt.kernel ops), lowers the rest with the --qnt-codegen
// pipeline, and runs the float and the quantized model on INPUT with
// QuantOpt's JIT runtime, printing how well they agree.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Codegen/Passes.h"
#include "QuantOpt/Conversion/QntToLinalg/QntToLinalg.h"
#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Dialect/Qnt/Transforms/LayerNames.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h"
#include "QuantOpt/Dialect/Qnt/Transforms/QuantizeLayers.h"
#include "QuantOpt/Pipelines/Pipelines.h"
#include "QuantOpt/Runtime/Npy.h"
#include "QuantOpt/Runtime/Runner.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include <cmath>

using namespace mlir;
namespace rt = quantopt::runtime;

static int fail(const llvm::Twine &message) {
  llvm::errs() << "qnt-embed: " << message << "\n";
  return 1;
}

/// The outputs of `entry` of `module` (lowered in place when needed).
static llvm::Expected<std::vector<rt::NpyArray>>
run(ModuleOp module, const rt::NpyArray &input) {
  auto session = rt::Session::create(module, "main");
  if (!session)
    return session.takeError();
  return (*session)->call({input}, {"input"});
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  if (argc != 3)
    return fail("usage: qnt-embed MODEL.mlir INPUT.npy");
  DialectRegistry registry;
  rt::registerRunnerDialects(registry);
  MLIRContext context(registry);
  OwningOpRef<ModuleOp> floatModel = parseSourceFile<ModuleOp>(argv[1], &context);
  if (!floatModel)
    return fail(llvm::Twine("cannot parse ") + argv[1]);
  auto input = rt::readNpy(argv[2]);
  if (!input)
    return fail(llvm::toString(input.takeError()));

  // 1. Plan and quantize from C++: int8 per-channel weights (WeightConfig's
  // defaults), u8 activations quantized at run time. The planning analysis
  // says what each layer gets; the quantize pattern applies it.
  OwningOpRef<ModuleOp> model = floatModel->clone();
  quantopt::loadQntQuantizeDialects(context);
  quantopt::PlanOptions plan;
  plan.activations = quantopt::ActivationMode::Dynamic;
  quantopt::ActivationConfig activation; // dynamic, u8, asymmetric
  model->walk([&](qnt::QuantizableLayerOpInterface layer) {
    quantopt::LayerRecord record = quantopt::getLayerRecord(layer);
    quantopt::LayerPlan planned =
        quantopt::planLayer(layer, record.name, record.opName, plan);
    llvm::outs() << "plan '" << record.name << "': "
                 << (planned.kind == quantopt::LayerPlan::Kind::Integer
                         ? "integer"
                         : planned.kind == quantopt::LayerPlan::Kind::WeightOnly
                               ? "weight-only"
                               : "float")
                 << "\n";
  });
  RewritePatternSet quantizePatterns(&context);
  quantopt::populateQntQuantizeLayersPatterns(quantizePatterns, plan,
                                              activation);
  if (failed(applyPatternsGreedily(*model, std::move(quantizePatterns))))
    return fail("quantization did not converge");

  // 2. The quantized layers are typed ops: read them.
  unsigned layers = 0;
  model->walk([&](qnt::ContractOp layer) {
    ++layers;
    llvm::outs() << "layer '" << quantopt::findLocationName(layer.getLoc())
                 << "': " << layer.getInput().getType() << " x "
                 << layer.getWeight().getType() << " -> "
                 << layer.getResult().getType() << ", weight "
                 << quantopt::numerics::getStorageName(
                        layer.getWeightStorageKind())
                 << (layer.isWeightDynamic() ? " (run time)" : "") << ", K = "
                 << layer.getReductionSize() << "\n";
  });

  // 3. Kernels from their patterns, straight from the typed layers: the
  // reference expansion of the qnt ops composes with the VNNI kernel
  // patterns (each expanded contraction, with its epilogue, becomes a
  // kernel), then the element-wise loops take what is left.
  quantopt::loadQntKernelDialects(context);
  RewritePatternSet layerPatterns(&context);
  quantopt::populateQntToLinalgPatterns(layerPatterns);
  quantopt::populateQntVnniMatmulPatterns(layerPatterns, /*lanes=*/16,
                                          /*parallel=*/false);
  RewritePatternSet loopPatterns(&context);
  quantopt::populateQntVectorizeElementwisePatterns(loopPatterns, /*lanes=*/16);
  FrozenRewritePatternSet layerSet(std::move(layerPatterns));
  FrozenRewritePatternSet loopSet(std::move(loopPatterns));
  for (auto func : model->getOps<func::FuncOp>())
    if (failed(applyPatternsGreedily(func, layerSet)) ||
        failed(applyPatternsGreedily(func, loopSet)))
      return fail("the kernel patterns did not converge");
  unsigned kernels = 0;
  model->walk([&](qnt::KernelOp) { ++kernels; });
  llvm::outs() << kernels << " kernel(s) from the patterns\n";

  // 4. The rest to the LLVM dialect (one-shot bufferization gives the
  // kernels their buffers).
  PassManager codegen(&context);
  quantopt::CodegenOptions codegenOptions;
  if (failed(quantopt::buildCodegenPipeline(codegen, codegenOptions)) ||
      failed(codegen.run(*model)))
    return fail("code generation failed");

  // 5. Run both models.
  auto reference = run(*floatModel, *input);
  if (!reference)
    return fail(llvm::toString(reference.takeError()));
  auto quantized = run(*model, *input);
  if (!quantized)
    return fail(llvm::toString(quantized.takeError()));
  const rt::NpyArray &a = (*reference)[0], &b = (*quantized)[0];
  if (a.dtype != rt::DType::F32 || b.dtype != rt::DType::F32 ||
      a.shape != b.shape || a.shape.size() != 2)
    return fail("expected one f32 [batch, classes] output from both models");
  int64_t rows = a.shape[0], cols = a.shape[1], agree = 0;
  double maxDiff = 0, maxRef = 0;
  for (int64_t r = 0; r < rows; ++r) {
    const float *x = a.as<float>() + r * cols, *y = b.as<float>() + r * cols;
    int64_t ax = 0, ay = 0;
    for (int64_t c = 0; c < cols; ++c) {
      maxDiff = std::max(maxDiff, double(std::fabs(x[c] - y[c])));
      maxRef = std::max(maxRef, double(std::fabs(x[c])));
      ax = x[c] > x[ax] ? c : ax;
      ay = y[c] > y[ay] ? c : ay;
    }
    agree += ax == ay;
  }
  llvm::outs() << layers << " quantized layer(s); " << rows
               << " sample(s): top-1 agreement " << agree << "/" << rows
               << ", max |difference| / max |float| = "
               << llvm::format("%.4f", maxDiff / maxRef) << "\n";
  return 0;
}
