//===- quant-params.cpp - Solve #qnt.params for a tensor ------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
//   quant-params TENSOR.npy --storage i8 [--scheme symmetric] [--axis A]
//                [--block B] [--range narrow|full] [--pow2]
//                [--weight-scale f32|f16] [--expressed f32]
//
// Prints the #qnt.params attribute that the numerics library's solver gives
// for a float32 tensor, ready to paste into qnt IR. See docs/Tools.md.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Numerics/Numerics.h"
#include "QuantOpt/Runtime/Npy.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;
namespace num = quantopt::numerics;

static cl::OptionCategory category("quant-params options");
static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<tensor.npy>"),
                                      cl::Required, cl::cat(category));
static cl::opt<std::string>
    storage("storage",
            cl::desc("Storage: i2 i4 i8 i16 u2 u4 u8 u16 f8E4M3FN f8E5M2 "
                     "f8E4M3FNUZ f8E5M2FNUZ f4E2M1FN f6E2M3FN f6E3M2FN"),
            cl::init("i8"), cl::cat(category));
static cl::opt<std::string> scheme(
    "scheme",
    cl::desc("symmetric (default), asymmetric, minval, mx (OCP MX: "
             "power-of-two block scales by the MX rule; MX element storage) "
             "or nvfp4 (f4E2M1FN: E4M3 block scales times a tensor scale "
             "from the whole tensor, tensor_scale)"),
    cl::init("symmetric"), cl::cat(category));
static cl::opt<int64_t> axis("axis",
                             cl::desc("Per-channel (or per-block) axis"),
                             cl::init(-1), cl::cat(category));
static cl::opt<int64_t> block("block",
                              cl::desc("Block size along --axis (per-block)"),
                              cl::init(0), cl::cat(category));
static cl::opt<std::string>
    range("range",
          cl::desc("narrow or full (default: narrow for symmetric integer "
                   "storage, full otherwise)"),
          cl::init(""), cl::cat(category));
static cl::opt<std::string>
    profile("profile",
            cl::desc("Whose formulas: quantopt (default), torch (torch.ao's "
                     "observers: full ranges, scales at least float32 eps, "
                     "quint8's symmetric zero point 128) or onnxruntime "
                     "(ONNX Runtime's quantizer: its ranges for the scale, "
                     "float64 division, u8 symmetric zero point 127) or "
                     "tflite (TFLite's converter: symmetric amax / 127 on "
                     "[-127, 127], zero points rounded half away from zero)"),
            cl::init("quantopt"), cl::cat(category));
static cl::opt<bool>
    reduceRange("reduce-range",
                cl::desc("One bit fewer than the storage type (torch's "
                         "reduce_range: i8 [-64, 63], u8 [0, 127])"),
                cl::init(false), cl::cat(category));
static cl::opt<int64_t> qmin("qmin",
                             cl::desc("Custom range: the lowest integer "
                                      "(with --qmax; torch's quant_min)"),
                             cl::init(0), cl::cat(category));
static cl::opt<int64_t> qmax("qmax",
                             cl::desc("Custom range: the highest integer "
                                      "(with --qmin; torch's quant_max)"),
                             cl::init(0), cl::cat(category));
static cl::opt<bool> pow2("pow2", cl::desc("Round scales up to powers of two"),
                          cl::init(false), cl::cat(category));
static cl::opt<std::string> weightScale(
    "weight-scale",
    cl::desc("Scales as f32 (default) or rounded to the nearest f16, at least "
             "2^-14, the values quantized with the rounded scale "
             "(--qnt-quantize weight-scale=f16)"),
    cl::init("f32"), cl::cat(category));
static cl::opt<std::string>
    expressed("expressed", cl::desc("Expressed type: f32 (default), f16, bf16"),
              cl::init("f32"), cl::cat(category));

static int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "quant-params") << message << "\n";
  return 1;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv,
                              "quant-params: solve #qnt.params for a tensor\n");

  std::optional<num::StorageKind> kind = num::parseStorageName(storage);
  if (!kind || *kind == num::StorageKind::I32)
    return fail("unknown --storage '" + storage + "'");
  std::optional<num::Scheme> parsedScheme = num::parseSchemeName(scheme);
  if (!parsedScheme)
    return fail("unknown --scheme '" + scheme +
                "' (expected symmetric, asymmetric, minval, mx or nvfp4)");
  if (block < 0)
    return fail("--block must be positive");
  if (block > 0 && axis < 0)
    return fail("--block needs --axis");
  if (axis < -1)
    return fail("--axis must be non-negative");
  std::optional<num::Profile> parsedProfile = num::parseProfileName(profile);
  if (!parsedProfile)
    return fail("unknown --profile '" + profile +
                "' (expected quantopt, torch, onnxruntime or tflite)");
  num::SolverOptions options;
  options.storage = *kind;
  options.scheme = *parsedScheme;
  options.profile = *parsedProfile;
  options.powerOfTwo = pow2;
  if (weightScale != "f32" && weightScale != "f16")
    return fail("unknown --weight-scale '" + weightScale +
                "' (expected f32 or f16)");
  options.halfScale = weightScale == "f16";
  std::optional<bool> narrow;
  if (range == "narrow" || range == "full")
    narrow = range == "narrow";
  else if (!range.empty())
    return fail("unknown --range '" + range + "' (expected narrow or full)");
  options.setDefaults(narrow);
  if (qmin.getNumOccurrences() || qmax.getNumOccurrences()) {
    num::IntRange storageRange = num::getIntRange(*kind, false);
    if (num::isFloatStorage(*kind) || qmin >= qmax ||
        qmin < storageRange.qmin || qmax > storageRange.qmax || !range.empty())
      return fail("--qmin/--qmax need both, qmin < qmax, inside the integer "
                  "storage's range, and no --range");
    options.rangeMin = qmin;
    options.rangeMax = qmax;
  }
  if (reduceRange) {
    if (num::isFloatStorage(*kind) || num::getStorageBitWidth(*kind) < 3)
      return fail("--reduce-range needs integer storage of 3 bits or more");
    options.reduceRange = true;
  }
  // The same rule as --qnt-quantize's: which storage, range, scheme and
  // profile take f16 scales.
  if (llvm::Error e = num::checkHalfScaleOptions(options))
    return fail("--weight-scale=f16: " + llvm::toString(std::move(e)));

  auto array = quantopt::runtime::readNpy(inputFile);
  if (!array)
    return fail(llvm::toString(array.takeError()));
  if (array->dtype != quantopt::runtime::DType::F32)
    return fail(inputFile + ": expected a float32 array, got " +
                quantopt::runtime::getDTypeName(array->dtype));
  llvm::ArrayRef<float> data(array->as<float>(), array->numElements());
  if (options.scheme == num::Scheme::NvFp4)
    options.tensorScale = num::getNvFp4TensorScaleOf(data);
  auto params = num::solveForTensor(data, array->shape,
                                    num::Granularity{axis, block}, options);
  if (!params)
    return fail(inputFile + ": " + llvm::toString(params.takeError()));

  MLIRContext context;
  context.loadDialect<qnt::QntDialect>();
  Builder b(&context);
  Type expressedType = expressed == "f16"    ? b.getF16Type()
                       : expressed == "bf16" ? b.getBF16Type()
                       : expressed == "f32"  ? b.getF32Type()
                                             : Type();
  if (!expressedType)
    return fail("unknown --expressed '" + expressed +
                "' (expected f32, f16 or bf16)");

  qnt::ParamsAttr attr = qnt::getParamsAttr(
      &context, options, num::Granularity{axis, block}, expressedType, *params,
      [&]() { return emitError(UnknownLoc::get(&context)); });
  if (!attr)
    return fail("the solved parameters do not verify");
  llvm::outs() << attr << "\n";
  return 0;
}
