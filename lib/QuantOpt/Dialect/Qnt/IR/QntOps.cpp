//===- QntOps.cpp - qnt dialect and operations ----------------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "llvm/Support/Format.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectImplementation.h"
#include "mlir/IR/OpImplementation.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"

#include <cmath>

using namespace mlir;
using namespace mlir::qnt;
namespace num = quantopt::numerics;

#include "QuantOpt/Dialect/Qnt/IR/QntDialect.cpp.inc"

//===----------------------------------------------------------------------===//
// custom<Params>: a #qnt.params attribute (or an alias of one) in an op.
//===----------------------------------------------------------------------===//

/// The op formats never put a `:` right after the attribute: the generic
/// attribute parser would take it as the start of an attribute type.
static ParseResult parseParams(OpAsmParser &parser, ParamsAttr &params) {
  SMLoc loc = parser.getCurrentLocation();
  Attribute attr;
  if (parser.parseAttribute(attr))
    return failure();
  params = dyn_cast<ParamsAttr>(attr);
  if (!params)
    return parser.emitError(loc) << "expected a #qnt.params attribute, got "
                                 << attr;
  return success();
}

static void printParams(OpAsmPrinter &printer, Operation *, ParamsAttr params) {
  printer.printAttribute(params);
}
#include "QuantOpt/Dialect/Qnt/IR/QntEnums.cpp.inc"
#include "QuantOpt/Dialect/Qnt/IR/QntInterfaces.cpp.inc"

void QntDialect::initialize() {
  registerAttributes();
  addOperations<
#define GET_OP_LIST
#include "QuantOpt/Dialect/Qnt/IR/QntOps.cpp.inc"
      >();
}

LogicalResult QntDialect::verifyOperationAttribute(Operation *op,
                                                   NamedAttribute attr) {
  StringRef name = attr.getName().strref();
  Attribute value = attr.getValue();
  auto fail = [&]() { return op->emitOpError() << "'" << name << "' "; };
  if (name == kSignatureAttrName) {
    auto type = dyn_cast<TypeAttr>(value);
    if (!type || !isa<FunctionType>(type.getValue()))
      return fail() << "must be a function type, not " << value;
    return success();
  }
  if (name == kUnsignedArgsAttrName || name == kUnsignedResultsAttrName) {
    auto flags = dyn_cast<DenseBoolArrayAttr>(value);
    if (!flags)
      return fail() << "must be an array<i1: ...>, not " << value;
    if (auto signature = op->getAttrOfType<TypeAttr>(kSignatureAttrName))
      if (auto type = dyn_cast<FunctionType>(signature.getValue())) {
        size_t count = name == kUnsignedArgsAttrName ? type.getNumInputs()
                                                     : type.getNumResults();
        if (static_cast<size_t>(flags.size()) != count)
          return fail() << "has " << flags.size() << " flags for " << count
                        << (name == kUnsignedArgsAttrName ? " arguments"
                                                          : " results")
                        << " of '" << kSignatureAttrName << "'";
      }
    return success();
  }
  if (name == kObserversAttrName) {
    auto ids = dyn_cast<ArrayAttr>(value);
    if (!isa<ModuleOp>(op) || !ids)
      return fail() << "must be an array of strings on a module";
    llvm::StringSet<> seen;
    for (Attribute id : ids) {
      auto str = dyn_cast<StringAttr>(id);
      if (!str)
        return fail() << "must hold strings, not " << id;
      if (!seen.insert(str.getValue()).second)
        return fail() << "names observer '" << str.getValue() << "' twice";
    }
    return success();
  }
  if (name == kModelFingerprintAttrName) {
    auto str = dyn_cast<StringAttr>(value);
    if (!isa<ModuleOp>(op) || !str || str.size() != 16 ||
        !llvm::all_of(str.getValue(), llvm::isHexDigit))
      return fail() << "must be 16 hex digits on a module, not " << value;
    return success();
  }
  return op->emitOpError() << "has an unknown qnt attribute '" << name
                           << "' (the dialect defines "
                           << kSignatureAttrName << ", "
                           << kUnsignedArgsAttrName << ", "
                           << kUnsignedResultsAttrName << ", "
                           << kObserversAttrName << " and "
                           << kModelFingerprintAttrName << ")";
}

num::RoundingMode mlir::qnt::toNumerics(RoundingMode mode) {
  switch (mode) {
  case RoundingMode::half_even:
    return num::RoundingMode::HalfEven;
  case RoundingMode::half_away:
    return num::RoundingMode::HalfAwayFromZero;
  case RoundingMode::half_up:
    return num::RoundingMode::HalfUp;
  case RoundingMode::reciprocal:
    return num::RoundingMode::Reciprocal;
  }
  llvm_unreachable("unknown rounding mode");
}

RoundingMode mlir::qnt::fromNumerics(num::RoundingMode mode) {
  switch (mode) {
  case num::RoundingMode::HalfEven:
    return RoundingMode::half_even;
  case num::RoundingMode::HalfAwayFromZero:
    return RoundingMode::half_away;
  case num::RoundingMode::HalfUp:
    return RoundingMode::half_up;
  case num::RoundingMode::Reciprocal:
    return RoundingMode::reciprocal;
  }
  llvm_unreachable("unknown rounding mode");
}

//===----------------------------------------------------------------------===//
// Shared verification
//===----------------------------------------------------------------------===//

/// The input and result of a qnt op have the same shape (dynamic sizes in
/// the same places) and no encodings.
static LogicalResult verifySameShape(Operation *op) {
  auto in = cast<RankedTensorType>(op->getOperand(0).getType());
  auto out = cast<RankedTensorType>(op->getResult(0).getType());
  if (in.getEncoding() || out.getEncoding())
    return op->emitOpError() << "tensors with an encoding are not supported";
  if (in.getShape() != out.getShape())
    return op->emitOpError() << "input shape and result shape must be "
                                "identical, including dynamic sizes";
  return success();
}

/// Checks that `type` holds real values of `params`.
static LogicalResult verifyRealType(Operation *op, ShapedType type,
                                    ParamsAttr params, StringRef what) {
  if (type.getElementType() != params.getExpressedType())
    return op->emitOpError() << what << " element type "
                             << type.getElementType()
                             << " does not match the expressed type "
                             << params.getExpressedType();
  return params.verifyForShape(type.getShape(),
                               [&]() { return op->emitOpError(); });
}

/// Checks that `type` holds stored values of `params`.
static LogicalResult verifyStoredType(Operation *op, ShapedType type,
                                      ParamsAttr params, StringRef what) {
  Type expected = params.getStoredElementType();
  if (type.getElementType() != expected)
    return op->emitOpError()
           << what << " element type " << type.getElementType()
           << " does not match storage " << params.getStorageType()
           << " (expected " << expected << ")";
  return params.verifyForShape(type.getShape(),
                               [&]() { return op->emitOpError(); });
}

static LogicalResult verifyRounding(Operation *op, ParamsAttr params,
                                    RoundingMode rounding) {
  if (params.isFloatStorage() && rounding != RoundingMode::half_even &&
      rounding != RoundingMode::reciprocal)
    return op->emitOpError()
           << "float storage rounds to nearest-even; rounding '"
           << stringifyRoundingMode(rounding) << "' applies to integers only";
  if (params.getStorageKind() == num::StorageKind::I32)
    return op->emitOpError()
           << "i32 storage is for accumulators; use qnt.requantize";
  return success();
}

/// Checks that every scale ratio `in / out` has a multiplier on the
/// requantization path `mode` (per group; either side may be per tensor).
LogicalResult mlir::qnt::verifyRequantScales(Operation *op, ArrayRef<float> in,
                                             ParamsAttr out, RequantMode mode) {
  ArrayRef<float> outScales = out.getScales().asArrayRef();
  size_t n = std::max(in.size(), outScales.size());
  for (size_t i = 0; i < n; ++i) {
    float sIn = in[in.size() == 1 ? 0 : i];
    float sOut = outScales[outScales.size() == 1 ? 0 : i];
    if (mode == RequantMode::float32) {
      float m = num::computeFloatMultiplier(sIn, sOut);
      if (!std::isfinite(m) || m == 0.0f)
        return op->emitOpError() << "scale ratio #" << i
                                 << " is not a finite non-zero float32 ("
                                 << m << ")";
    } else {
      auto multiplier =
          num::computeFixedPointMultiplier(double(sIn) / double(sOut));
      if (!multiplier)
        return op->emitOpError() << "scale ratio #" << i << ": "
                                 << llvm::toString(multiplier.takeError());
    }
  }
  return success();
}

//===----------------------------------------------------------------------===//
// Ops
//===----------------------------------------------------------------------===//

LogicalResult QuantizeOp::verify() {
  if (failed(verifySameShape(*this)))
    return failure();
  if (failed(verifyRealType(*this, getInput().getType(), getParams(),
                            "input")) ||
      failed(verifyStoredType(*this, getResult().getType(), getParams(),
                              "result")))
    return failure();
  if (failed(verifyRounding(*this, getParams(), getRounding())))
    return failure();
  ParamsAttr params = getParams();
  if (!getSaturate() && !num::hasOverflowValue(params.getStorageKind()))
    return emitOpError() << "saturate = false needs float8 storage (a NaN "
                            "or an infinity to overflow to), not "
                         << params.getStorageType();
  if (std::optional<Type> precision = getPrecision()) {
    if (!precision->isF16() && !precision->isBF16() && !precision->isF32())
      return emitOpError() << "precision must be f16, bf16 or f32, not "
                           << *precision;
    if (params.hasMinValues())
      return emitOpError() << "precision applies to affine and float "
                              "storage, not to minval parameters";
    num::Precision p = getDivisionPrecision();
    for (auto [i, scale] : llvm::enumerate(params.getScales().asArrayRef()))
      if (!num::isValueOf(scale, p))
        return emitOpError()
               << "scale #" << i << " (" << scale << ") is not a value of "
               << *precision << ", the division's precision";
  }
  return success();
}

num::Precision QuantizeOp::getDivisionPrecision() {
  std::optional<Type> precision = getPrecision();
  if (!precision || precision->isF32())
    return num::Precision::F32;
  return precision->isF16() ? num::Precision::F16 : num::Precision::BF16;
}

/// The bits per element of packed storage (2 or 4), or an error.
static FailureOr<unsigned> getPackedBits(DequantizeOp op) {
  ParamsAttr params = op.getParams();
  unsigned bits = params.isFloatStorage()
                      ? 0
                      : num::getStorageBitWidth(params.getStorageKind());
  if (bits != 2 && bits != 4)
    return op.emitOpError() << "packed storage is for 2- and 4-bit integers, "
                               "not "
                            << params.getStorageType();
  if (!op.getInput().getType().getElementType().isInteger(8))
    return op.emitOpError() << "packed input must be a tensor of i8";
  if (op.getResult().getType().getElementType() != params.getExpressedType())
    return op.emitOpError() << "result element type "
                            << op.getResult().getType().getElementType()
                            << " does not match the expressed type "
                            << params.getExpressedType();
  return bits;
}

LogicalResult DequantizeOp::verify() {
  if (getPacked() && getPackedFlat())
    return emitOpError() << "packed and packed_flat exclude each other";
  if (getPackedFlat()) {
    FailureOr<unsigned> bits = getPackedBits(*this);
    if (failed(bits))
      return failure();
    auto in = getInput().getType();
    auto out = getResult().getType();
    if (!out.hasStaticShape() || in.getRank() != 1 || out.getEncoding() ||
        in.getEncoding())
      return emitOpError() << "packed_flat takes a 1-D input and a static "
                              "result shape";
    int64_t bytes = (out.getNumElements() * *bits + 7) / 8;
    if (in.getDimSize(0) != bytes)
      return emitOpError() << "packed_flat input must hold " << bytes
                           << " bytes for " << out.getNumElements() << " "
                           << *bits << "-bit elements, not "
                           << in.getDimSize(0);
    return getParams().verifyForShape(out.getShape(),
                                      [&]() { return emitOpError(); });
  }
  if (getPacked()) {
    auto in = getInput().getType();
    auto out = getResult().getType();
    ParamsAttr params = getParams();
    FailureOr<unsigned> packedBits = getPackedBits(*this);
    if (failed(packedBits))
      return failure();
    unsigned bits = *packedBits;
    if (in.getRank() != out.getRank() || in.getRank() == 0 ||
        in.getEncoding() || out.getEncoding())
      return emitOpError() << "packed input and result must have the same "
                              "non-zero rank";
    int64_t last = out.getShape().back();
    if (ShapedType::isDynamic(last) || (last * bits) % 8 != 0 ||
        in.getShape().back() != last * bits / 8 ||
        in.getShape().drop_back() != out.getShape().drop_back())
      return emitOpError() << "packed input shape must be the result shape "
                              "with the last dimension (static, a multiple of "
                           << 8 / bits << ") divided by " << 8 / bits;
    return params.verifyForShape(out.getShape(),
                                 [&]() { return emitOpError(); });
  }
  if (failed(verifySameShape(*this)))
    return failure();
  if (failed(verifyStoredType(*this, getInput().getType(), getParams(),
                              "input")))
    return failure();
  return verifyRealType(*this, getResult().getType(), getParams(), "result");
}

LogicalResult FakeQuantOp::verify() {
  if (failed(verifySameShape(*this)))
    return failure();
  if (failed(verifyRealType(*this, getInput().getType(), getParams(),
                            "input")))
    return failure();
  return verifyRounding(*this, getParams(), getRounding());
}

LogicalResult RequantizeOp::verify() {
  if (failed(verifySameShape(*this)))
    return failure();
  ParamsAttr in = getInParams(), out = getOutParams();
  if (in.isFloatStorage() || out.isFloatStorage())
    return emitOpError() << "requantize maps integers to integers; float "
                            "storage is not accepted";
  if (in.hasMinValues() || out.hasMinValues())
    return emitOpError() << "requantize does not accept min values";
  if (failed(verifyStoredType(*this, getInput().getType(), in, "input")) ||
      failed(verifyStoredType(*this, getResult().getType(), out, "result")))
    return failure();
  if (!in.isPerTensor() && !out.isPerTensor() &&
      (in.getAxis() != out.getAxis() ||
       in.getBlockSize() != out.getBlockSize()))
    return emitOpError() << "input and output parameters must have the same "
                            "granularity, or one must be per tensor";
  if (getMode() != RequantMode::float32 &&
      in.getStorageKind() == num::StorageKind::I32 &&
      llvm::any_of(in.getZeroPoints().asArrayRef(),
                   [](int64_t z) { return z != 0; }))
    // (q - z_in) must fit in 32 signed bits for the 64-bit product.
    return emitOpError() << "fixed_point requantize of i32 storage needs "
                            "zero input zero points";
  if (failed(verifyRequantScales(*this, in.getScales().asArrayRef(), out,
                                 getMode())))
    return failure();
  if (!getMultipliers() && !getShifts())
    return success();
  if (!getMultipliers() || !getShifts())
    return emitOpError() << "multipliers and shifts go together";
  if (getMode() == RequantMode::float32)
    return emitOpError() << "stated multipliers need a fixed-point mode";
  size_t n = getNumGroups();
  if (getMultipliers()->size() != n || getShifts()->size() != n)
    return emitOpError() << "expected " << n
                         << " multipliers and shifts (one per parameter "
                            "group), got "
                         << getMultipliers()->size() << " and "
                         << getShifts()->size();
  for (size_t i = 0; i < n; ++i) {
    num::FixedPointMultiplier m{(*getMultipliers())[i], (*getShifts())[i]};
    double ratio =
        double(in.getScales()[in.isPerTensor() ? 0 : i]) /
        double(out.getScales()[out.isPerTensor() ? 0 : i]);
    if (!num::fixedPointMultiplierMatches(m, ratio)) {
      std::string ratioText;
      llvm::raw_string_ostream(ratioText) << llvm::format("%.9g", ratio);
      return emitOpError() << "multiplier #" << i << " (" << m.multiplier
                           << " * 2^-" << m.shift
                           << ") must be in [1, 2^31) with a shift in "
                              "[1, 62] and agree with the scale ratio "
                           << ratioText;
    }
  }
  return success();
}

size_t RequantizeOp::getNumGroups() {
  return std::max(getInParams().getScales().size(),
                  getOutParams().getScales().size());
}

num::FixedPointMultiplier RequantizeOp::getFixedPointMultiplier(size_t i) {
  if (getMultipliers())
    return {(*getMultipliers())[i], (*getShifts())[i]};
  ParamsAttr in = getInParams(), out = getOutParams();
  float sIn = in.getScales()[in.isPerTensor() ? 0 : i];
  float sOut = out.getScales()[out.isPerTensor() ? 0 : i];
  return cantFail(
      num::computeFixedPointMultiplier(double(sIn) / double(sOut)));
}

num::SolverOptions DynamicQuantizeOp::getSolverOptions() {
  num::SolverOptions options;
  options.storage = *getStorageKindOf(getStorage());
  switch (getScheme()) {
  case DynamicScheme::symmetric:
    options.scheme = num::Scheme::Symmetric;
    break;
  case DynamicScheme::asymmetric:
    options.scheme = num::Scheme::Asymmetric;
    break;
  case DynamicScheme::mx:
    options.scheme = num::Scheme::Mx;
    break;
  case DynamicScheme::nvfp4:
    // The elements are E2M1 values (returned doubled, as integers).
    options.scheme = num::Scheme::NvFp4;
    options.storage = num::StorageKind::F4E2M1FN;
    if (std::optional<APFloat> g = getTensorScale())
      options.tensorScale = g->convertToFloat();
    break;
  }
  // Symmetric integer storage and MXINT8 use the narrow range, as the solver
  // defaults.
  options.setDefaults();
  return options;
}

SmallVector<int64_t> DynamicQuantizeOp::getParamShape() {
  ArrayRef<int64_t> shape = getInput().getType().getShape();
  SmallVector<int64_t> paramShape;
  if (getPerRow() && !shape.empty())
    paramShape.assign(shape.begin(), shape.end() - 1);
  if (std::optional<int64_t> block = getBlock(); block && !shape.empty()) {
    paramShape.assign(shape.begin(), shape.end());
    if (!ShapedType::isDynamic(shape.back()))
      paramShape.back() = num::getNumBlocks(shape.back(), *block);
  }
  return paramShape;
}

LogicalResult DynamicQuantizeOp::verify() {
  std::optional<num::StorageKind> kind = getStorageKindOf(getStorage());
  if (!kind || num::isFloatStorage(*kind) || *kind == num::StorageKind::I32)
    return emitOpError() << "storage must be an integer type of 2 to 16 bits, "
                            "got "
                         << getStorage();
  if (getScheme() == DynamicScheme::mx && *kind != num::StorageKind::I8)
    return emitOpError() << "scheme mx takes i8 storage (OCP MX's MXINT8), "
                            "got "
                         << getStorage();
  if (getScheme() == DynamicScheme::nvfp4) {
    if (*kind != num::StorageKind::I8)
      return emitOpError() << "scheme nvfp4 takes i8 storage (the E2M1 "
                              "values doubled), got "
                           << getStorage();
    if (!getPerRow() && !getBlock())
      return emitOpError() << "scheme nvfp4 needs per_row or block (NVFP4's "
                              "block scales)";
  }
  if (std::optional<APFloat> g = getTensorScale()) {
    if (getScheme() != DynamicScheme::nvfp4)
      return emitOpError() << "tensor_scale applies to scheme nvfp4 only";
    float v = g->convertToFloat();
    if (!(v > 0.0f) || !std::isfinite(v))
      return emitOpError() << "tensor_scale must be positive and finite, got "
                           << v;
  }
  auto in = getInput().getType();
  auto out = getResult().getType();
  if (!in.getElementType().isF32())
    return emitOpError() << "input must be a tensor of f32";
  if (in.getShape() != out.getShape() || in.getEncoding() || out.getEncoding())
    return emitOpError() << "input shape and result shape must be identical";
  Type stored = IntegerType::get(getContext(), num::getStorageBitWidth(*kind));
  if (out.getElementType() != stored)
    return emitOpError() << "result element type must be " << stored;
  SmallVector<int64_t> paramShape = getParamShape();
  if (getPerRow() && getBlock())
    return emitOpError() << "per_row and block exclude each other (block "
                            "parameters are per row already)";
  if (getPerRow() && in.getRank() < 2)
    return emitOpError() << "per_row needs a tensor of rank 2 or more";
  if (getBlock() && (in.getRank() < 1 || in.isDynamicDim(in.getRank() - 1)))
    return emitOpError() << "block needs a static last dimension";
  auto scalesType = getScales().getType();
  auto zpType = getZeroPoints().getType();
  if (scalesType.getShape() != ArrayRef<int64_t>(paramShape) ||
      !scalesType.getElementType().isF32())
    return emitOpError() << "scales must be "
                         << RankedTensorType::get(paramShape,
                                                  Float32Type::get(getContext()));
  if (zpType.getShape() != ArrayRef<int64_t>(paramShape) ||
      !zpType.getElementType().isInteger(32))
    return emitOpError() << "zero points must be "
                         << RankedTensorType::get(
                                paramShape, IntegerType::get(getContext(), 32));
  return success();
}

#define GET_OP_CLASSES
#include "QuantOpt/Dialect/Qnt/IR/QntOps.cpp.inc"

//===----------------------------------------------------------------------===//
// ObserveOp
//===----------------------------------------------------------------------===//

LogicalResult ObserveOp::verify() {
  if (getId().empty())
    return emitOpError("needs a non-empty id");
  if (std::optional<int64_t> axis = getChannelAxis()) {
    int64_t rank = getInput().getType().getRank();
    if (*axis < 0 || *axis >= rank)
      return emitOpError() << "channel_axis " << *axis
                           << " is out of range for a rank-" << rank
                           << " tensor";
  }
  if (getMoments() && !getChannelAxis())
    return emitOpError("moments need a channel_axis (the layer's input "
                       "channels)");
  return success();
}
