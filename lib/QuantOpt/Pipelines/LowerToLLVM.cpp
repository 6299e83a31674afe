//===- LowerToLLVM.cpp - The qnt-lower-to-llvm pipeline -------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Pipelines/Pipelines.h"
#include "QuantOpt/Codegen/Passes.h"

#include "QuantOpt/Conversion/Passes.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h"

#include "QuantOpt/Codegen/Amx.h"
#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/TargetParser/Host.h"

#include <mutex>

using namespace mlir;

/// The passes of both pipelines, added with their typed options:
/// `--qnt-lower-to-llvm` when `codegen` is null, `--qnt-codegen` (its
/// kernels, the vector lowering and OpenMP for threads > 1) otherwise.
static LogicalResult buildPipeline(OpPassManager &pm,
                                   const quantopt::CodegenOptions *codegen) {
  bool parallel = codegen && codegen->threads > 1;
  pm.addPass(quantopt::createQntExportSignatures());
  pm.addPass(quantopt::createQntLowerObservers());
  // The weight-only kernels match qnt.dequantize and the group-wise ones
  // qnt.contract's block form, so they come before the
  // qnt lowering; the integer kernels come after it (and after canonicalize)
  // so that they fuse the element-wise generics that follow them, requantize
  // included.
  if (codegen) {
    if (codegen->layout == "nhwc")
      pm.addNestedPass<func::FuncOp>(quantopt::createQntConvertToNhwc());
    pm.addNestedPass<func::FuncOp>(quantopt::createQntFoldAffineIntoLayers());
    pm.addNestedPass<func::FuncOp>(quantopt::createQntUnstuffTransposedConv());
    pm.addNestedPass<func::FuncOp>(quantopt::createQntFuseElementwise());
    pm.addNestedPass<func::FuncOp>(quantopt::createQntF32Matmul(
        {parallel, codegen->threads, codegen->minParallelDots}));
    pm.addNestedPass<func::FuncOp>(quantopt::createQntWeightOnlyMatmul(
        {parallel, codegen->threads, codegen->minParallelDots}));
    pm.addNestedPass<func::FuncOp>(
        quantopt::createQntBlockMatmul(
            {codegen->lanes, parallel, codegen->threads}));
  }
  pm.addPass(quantopt::createConvertQntToLinalg());
  OpPassManager &tosa = pm.nest<func::FuncOp>();
  tosa.addPass(tosa::createTosaToLinalgNamed());
  tosa.addPass(tosa::createTosaToLinalg());
  // tosa.rescale lowers to tosa.apply_scale, which only the option expands
  // (in 64-bit arithmetic, exactly as the TOSA specification states it).
  tosa.addPass(createTosaToArithPass(
      {/*includeApplyRescale=*/true, /*use32Bit=*/false}));
  tosa.addPass(createTosaToTensorPass());
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  pm.addPass(createCanonicalizerPass());
  if (codegen) {
    // Again, now that qnt.quantize/dequantize are element-wise generics: a
    // float op that no kernel takes (a squeeze-and-excitation product) and
    // the quantization after it become one pass over the tensor (only the
    // fusion: the integer contractions are generics now, and a splat weight
    // folded into one would hide it from the kernels).
    pm.addNestedPass<func::FuncOp>(
        quantopt::createQntFuseElementwise({/*producersOnly=*/true}));
    pm.addNestedPass<func::FuncOp>(quantopt::createQntVnniMatmul(
        {codegen->lanes, parallel,
         quantopt::resolveAmx(codegen->amx, codegen->isa), codegen->threads,
         codegen->minParallelDots}));
    pm.addNestedPass<func::FuncOp>(quantopt::createQntVectorizeElementwise(
        {codegen->lanes, codegen->sums == "vector", codegen->threads}));
    if (codegen->math == "polynomial")
      pm.addNestedPass<func::FuncOp>(quantopt::createQntPolynomialMath());
    pm.addNestedPass<func::FuncOp>(quantopt::createQntReciprocalDivision());
    pm.addPass(createCanonicalizerPass()); // the inits of the replaced contractions
  }
  bufferization::OneShotBufferizePassOptions bufferize;
  bufferize.bufferizeFunctionBoundaries = true;
  bufferize.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferize));
  bufferization::buildBufferDeallocationPipeline(pm);
  pm.addPass(createConvertBufferizationToMemRefPass());
  if (codegen)
    pm.addNestedPass<func::FuncOp>(quantopt::createQntStridedCopies());
  // With threads, the ops no kernel took (padding, pooling, copies, the
  // element-wise code left to the reference path) run their outer parallel
  // loops as an scf.parallel, which the OpenMP conversion below distributes
  // like the kernels' loops.
  if (parallel) {
    // The shares of qnt-vectorize-elementwise (scf.forall on tensors, now on
    // buffers) become scf.parallel too.
    pm.addPass(createForallToParallelLoopPass());
    pm.addNestedPass<func::FuncOp>(
        quantopt::createQntParallelLoops({codegen->threads}));
    // A loop that turns out to have one iteration (M = 1) runs inline.
    pm.addNestedPass<func::FuncOp>(quantopt::createQntSingleShare());
  }
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  if (codegen) {
    pm.addNestedPass<func::FuncOp>(quantopt::createQntVectorizeCopyLoops());
    pm.addPass(createConvertVectorToSCFPass());
  }
  // canonicalize inlines the memref.alloca_scope the OpenMP conversion
  // wraps the loop bodies in (they allocate nothing), which scf-to-cf needs;
  // it can only tell that they allocate nothing while the dots are still
  // qnt_x86.dot_u8i8 (an llvm.call_intrinsic might allocate).
  if (parallel) {
    pm.addPass(createConvertSCFToOpenMPPass({codegen->threads}));
    pm.addPass(createCanonicalizerPass());
  }
  if (codegen)
    pm.addPass(quantopt::createQntLowerDot(
        {codegen->isa.getValue(), codegen->bf16.getValue()}));
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createSCFToControlFlowPass());
  arith::ArithExpandOpsPassOptions expand;
  expand.includeBf16 = true;
  pm.addPass(arith::createArithExpandOpsPass(expand));
  // expm1 and log1p through libm: LLVM's lowering of them is imprecise.
  pm.addPass(quantopt::createQntLibmExpm1Log1p());
  // The math ops neither conversion below lowers: isinf, isnormal and
  // clampf in arith; ipowi, and fpowi (a vector exponent has no llvm.powi;
  // scalars take the same function, so both pipelines give the same bits),
  // as calls of upstream's generated functions.
  pm.addPass(quantopt::createQntExpandMath());
  pm.addPass(createConvertMathToFuncs());
  pm.addPass(createConvertMathToLLVMPass());
  pm.addPass(createConvertMathToLibmPass());
  // After the math lowering: math-to-libm scalarizes a vector math op
  // without an LLVM intrinsic (erf, tanh) into vector.extract/insert around
  // libm calls, which the vector lowering must then see (a GELU under
  // --qnt-codegen failed to translate otherwise).
  if (codegen) {
    // The AMX tiles of qnt-vnni-matmul{amx} lower here too.
    ConvertVectorToLLVMPassOptions vectorToLLVM;
    vectorToLLVM.amx = true;
    pm.addPass(createConvertVectorToLLVMPass(vectorToLLVM));
    // Before LLVM sees them: one-lane masked stores (an x86 miscompile).
    pm.addPass(quantopt::createQntSingleLaneStores());
  }
  // Allocations call the generic functions, which qnt-buffer-cache defines
  // in the module (large buffers reused from call to call).
  bool reuseBuffers = !codegen || codegen->reuseBuffers;
  FinalizeMemRefToLLVMConversionPassOptions memrefToLLVM;
  memrefToLLVM.useGenericFunctions = reuseBuffers;
  pm.addPass(createFinalizeMemRefToLLVMConversionPass(memrefToLLVM));
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  if (parallel)
    pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  if (codegen)
    pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  if (reuseBuffers)
    pm.addPass(quantopt::createQntBufferCache());
  return success();
}

bool quantopt::resolveAmx(llvm::StringRef choice, llvm::StringRef isa) {
  if (choice == "on")
    return true;
  // A forced instruction set (isa=vnni, avx2, generic) is what it says.
  if (choice != "host" || isa != "host")
    return false;
  llvm::StringMap<bool> features = llvm::sys::getHostCPUFeatures();
  return features.lookup("amx-int8") && features.lookup("amx-tile") &&
         requestAmxPermission();
}

LogicalResult quantopt::buildCodegenPipeline(OpPassManager &pm,
                                             const CodegenOptions &options) {
  return buildPipeline(pm, &options);
}

LogicalResult quantopt::buildLowerToLLVMPipeline(OpPassManager &pm) {
  return buildPipeline(pm, nullptr);
}

void quantopt::registerQuantOptPasses() {
  static std::once_flag registered;
  std::call_once(registered, [] {
    registerQuantOptConversionPasses();
    registerQntTransformsPasses();
    registerQntQuantizePipeline();
    registerQuantOptCodegenPasses();
    PassPipelineRegistration<>(
        "qnt-lower-to-llvm",
        "Lower qnt and the float linalg/tensor/arith code around it to the "
        "LLVM dialect (reference path)",
        [](OpPassManager &pm) { (void)buildLowerToLLVMPipeline(pm); });
    // Registered with its error handler, so that a wrong option value is
    // an error rather than a default.
    registerPassPipeline(
        "qnt-codegen",
        "Lower quantized models to the LLVM dialect through the vector "
        "dialect: VNNI kernels for integer matmuls, the reference path for "
        "the rest",
        [](OpPassManager &pm, StringRef text,
           function_ref<LogicalResult(const Twine &)> errorHandler) {
          CodegenOptions options;
          if (failed(options.parseFromString(text)))
            return failure();
          if (options.math != "polynomial" && options.math != "libm")
            return errorHandler("qnt-codegen: unknown math='" +
                                options.math.getValue() +
                                "' (expected polynomial or libm)");
          if (options.amx != "host" && options.amx != "on" &&
              options.amx != "off")
            return errorHandler("qnt-codegen: unknown amx='" +
                                options.amx.getValue() +
                                "' (expected host, on or off)");
          if (options.sums != "vector" && options.sums != "ordered")
            return errorHandler("qnt-codegen: unknown sums='" +
                                options.sums.getValue() +
                                "' (expected vector or ordered)");
          if (options.layout != "nhwc" && options.layout != "keep")
            return errorHandler("qnt-codegen: unknown layout='" +
                                options.layout.getValue() +
                                "' (expected nhwc or keep)");
          return buildCodegenPipeline(pm, options);
        },
        [](function_ref<void(const detail::PassOptions &)> handler) {
          handler(CodegenOptions());
        });
  });
}
