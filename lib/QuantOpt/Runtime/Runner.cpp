//===- Runner.cpp - JIT execution of lowered modules on .npy data ---------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Runtime/Runner.h"

#include "QuantOpt/Codegen/Amx.h"

#include "QuantOpt/Dialect/Qnt/ExternalModels/QuantizableLayerModels.h"
#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Dialect/QntX86/IR/QntX86.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h"
#include "QuantOpt/Numerics/Numerics.h"
#include "QuantOpt/Pipelines/Pipelines.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "llvm/ADT/APFloat.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/TargetSelect.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>

using namespace mlir;
using namespace quantopt;
using namespace quantopt::runtime;
namespace num = quantopt::numerics;

namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

//===----------------------------------------------------------------------===//
// Boundary types
//===----------------------------------------------------------------------===//

/// How one argument or result is exchanged.
struct BoundaryType {
  Type type;          // The tensor or memref type.
  Type elementType;
  ArrayRef<int64_t> shape;
  bool isUnsigned = false;
  DType dtype;        // The numpy dtype of the exchanged array.
  unsigned bufferElementSize; // Bytes per element in memory.

  std::string describe() const {
    std::string s;
    llvm::raw_string_ostream os(s);
    os << type;
    if (isUnsigned)
      os << " (unsigned storage)";
    return s;
  }
};

/// The float storage kind of an element type, if it is one.
std::optional<num::StorageKind> getMiniFloatKind(Type t) {
  std::optional<num::StorageKind> kind = qnt::getStorageKindOf(t);
  if (kind && num::isFloatStorage(*kind))
    return kind;
  return std::nullopt;
}

llvm::Expected<BoundaryType> classify(Type type, bool isUnsigned,
                                      const llvm::Twine &what) {
  auto shaped = cast<ShapedType>(type);
  BoundaryType b;
  b.type = type;
  b.elementType = shaped.getElementType();
  b.shape = shaped.getShape();
  b.isUnsigned = isUnsigned;
  Type e = b.elementType;
  if (e.isF32()) {
    b.dtype = DType::F32;
    b.bufferElementSize = 4;
  } else if (e.isF64()) {
    b.dtype = DType::F64;
    b.bufferElementSize = 8;
  } else if (e.isF16()) {
    b.dtype = DType::F16;
    b.bufferElementSize = 2;
  } else if (e.isBF16()) {
    b.dtype = DType::F32;
    b.bufferElementSize = 2;
  } else if (getMiniFloatKind(e)) {
    b.dtype = DType::F32;
    b.bufferElementSize = 1;
  } else if (auto intType = dyn_cast<IntegerType>(e)) {
    unsigned w = intType.getWidth();
    if (w == 1) {
      b.dtype = DType::Bool;
      b.bufferElementSize = 1;
    } else if (w <= 8) {
      b.dtype = isUnsigned ? DType::U8 : DType::I8;
      b.bufferElementSize = 1;
    } else if (w == 16) {
      b.dtype = isUnsigned ? DType::U16 : DType::I16;
      b.bufferElementSize = 2;
    } else if (w == 32) {
      b.dtype = isUnsigned ? DType::U32 : DType::I32;
      b.bufferElementSize = 4;
    } else if (w == 64) {
      b.dtype = isUnsigned ? DType::U64 : DType::I64;
      b.bufferElementSize = 8;
    } else {
      return makeError(what + " has unsupported element type " +
                       b.describe());
    }
  } else {
    return makeError(what + " has unsupported element type " + b.describe());
  }
  return b;
}

//===----------------------------------------------------------------------===//
// Buffers and memref descriptors
//===----------------------------------------------------------------------===//

/// A 64-byte aligned byte buffer.
struct Buffer {
  std::unique_ptr<uint8_t, decltype(&std::free)> data{nullptr, &std::free};
  size_t size = 0;
  static Buffer allocate(size_t size) {
    Buffer b;
    size_t rounded = std::max<size_t>(64, (size + 63) / 64 * 64);
    b.data.reset(static_cast<uint8_t *>(std::aligned_alloc(64, rounded)));
    std::memset(b.data.get(), 0, rounded);
    b.size = size;
    return b;
  }
};

/// `{allocated, aligned, offset, sizes[rank], strides[rank]}` as 64-bit
/// words, the layout of a ranked memref descriptor.
std::vector<int64_t> makeDescriptor(void *data, ArrayRef<int64_t> shape) {
  std::vector<int64_t> d(3 + 2 * shape.size());
  d[0] = reinterpret_cast<int64_t>(data);
  d[1] = reinterpret_cast<int64_t>(data);
  d[2] = 0;
  int64_t stride = 1;
  for (int64_t i = shape.size() - 1; i >= 0; --i) {
    d[3 + i] = shape[i];
    d[3 + shape.size() + i] = stride;
    stride *= shape[i];
  }
  return d;
}

/// Converts an input array to the in-memory form of `b`.
llvm::Expected<Buffer> toBuffer(const NpyArray &array, const BoundaryType &b,
                                const llvm::Twine &what) {
  if (array.shape.size() != b.shape.size())
    return makeError(what + ": expected a rank-" + llvm::Twine(b.shape.size()) +
                     " array for " + b.describe() + ", got rank " +
                     llvm::Twine(array.shape.size()));
  for (auto [i, dim] : llvm::enumerate(b.shape))
    if (!ShapedType::isDynamic(dim) && dim != array.shape[i])
      return makeError(what + ": dimension " + llvm::Twine(i) + " of " +
                       b.describe() + " is " + llvm::Twine(dim) +
                       ", the array has " + llvm::Twine(array.shape[i]));
  if (array.dtype != b.dtype)
    return makeError(what + ": " + b.describe() + " is exchanged as " +
                     getDTypeName(b.dtype) + ", got " +
                     getDTypeName(array.dtype));
  int64_t n = array.numElements();
  Buffer buffer = Buffer::allocate(n * b.bufferElementSize);
  uint8_t *out = buffer.data.get();
  Type e = b.elementType;
  if (e.isBF16()) {
    const float *in = array.as<float>();
    for (int64_t i = 0; i < n; ++i) {
      llvm::APFloat v(in[i]);
      bool losesInfo;
      v.convert(llvm::APFloat::BFloat(), llvm::APFloat::rmNearestTiesToEven,
                &losesInfo);
      uint16_t bits = v.bitcastToAPInt().getZExtValue();
      std::memcpy(out + 2 * i, &bits, 2);
    }
  } else if (auto kind = getMiniFloatKind(e)) {
    // Stored minifloats arrive decoded; each must be a value of the type.
    const float *in = array.as<float>();
    const llvm::fltSemantics &sem = num::getFloatSemantics(*kind);
    for (int64_t i = 0; i < n; ++i) {
      if (std::isnan(in[i]) && llvm::APFloat::semanticsHasNaN(sem)) {
        out[i] = num::getNaNBits(*kind);
        continue;
      }
      llvm::APFloat v(in[i]);
      bool losesInfo = false;
      llvm::APFloat::opStatus status =
          v.convert(sem, llvm::APFloat::rmNearestTiesToEven, &losesInfo);
      if (std::isnan(in[i]) || losesInfo || status != llvm::APFloat::opOK)
        return makeError(what + ": element " + llvm::Twine(i) + " (" +
                         llvm::formatv("{0}", in[i]).str() +
                         ") is not a value of " + b.describe());
      out[i] = static_cast<uint8_t>(v.bitcastToAPInt().getZExtValue());
    }
  } else if (e.isInteger() && e.getIntOrFloatBitWidth() < 8 &&
             e.getIntOrFloatBitWidth() > 1) {
    unsigned w = e.getIntOrFloatBitWidth();
    int64_t lo = b.isUnsigned ? 0 : -(int64_t(1) << (w - 1));
    int64_t hi = b.isUnsigned ? (int64_t(1) << w) - 1 : (int64_t(1) << (w - 1)) - 1;
    for (int64_t i = 0; i < n; ++i) {
      int64_t v = b.isUnsigned ? int64_t(array.as<uint8_t>()[i])
                               : int64_t(array.as<int8_t>()[i]);
      if (v < lo || v > hi)
        return makeError(what + ": element " + llvm::Twine(i) + " (" +
                         llvm::Twine(v) + ") does not fit " + b.describe() +
                         ", range [" + llvm::Twine(lo) + ", " +
                         llvm::Twine(hi) + "]");
      out[i] = static_cast<uint8_t>(v);
    }
  } else if (!array.data.empty()) {
    // (An empty array's data may be null, which memcpy must not get:
    // UBSan, on ONNX's test_split_zero_size_splits.)
    std::memcpy(out, array.data.data(), array.data.size());
  }
  return buffer;
}

/// Reads a result described by `desc` (words of a memref descriptor).
NpyArray fromDescriptor(const int64_t *desc, const BoundaryType &b) {
  unsigned rank = b.shape.size();
  NpyArray array;
  array.dtype = b.dtype;
  array.shape.assign(desc + 3, desc + 3 + rank);
  const int64_t *strides = desc + 3 + rank;
  int64_t n = 1;
  for (int64_t d : array.shape)
    n *= d;
  array.data.resize(n * getDTypeSize(b.dtype));
  const uint8_t *base = reinterpret_cast<const uint8_t *>(desc[1]) +
                        desc[2] * b.bufferElementSize;
  Type e = b.elementType;
  auto kind = getMiniFloatKind(e);
  unsigned width = e.isIntOrFloat() ? e.getIntOrFloatBitWidth() : 0;
  std::vector<int64_t> index(rank, 0);
  for (int64_t linear = 0; linear < n; ++linear) {
    int64_t offset = 0;
    for (unsigned d = 0; d < rank; ++d)
      offset += index[d] * strides[d];
    const uint8_t *src = base + offset * b.bufferElementSize;
    uint8_t *dst = array.data.data() + linear * getDTypeSize(b.dtype);
    if (e.isBF16()) {
      uint16_t bits;
      std::memcpy(&bits, src, 2);
      uint32_t wide = uint32_t(bits) << 16;
      std::memcpy(dst, &wide, 4);
    } else if (kind) {
      float v = num::decodeFloatBits(*src, *kind);
      std::memcpy(dst, &v, 4);
    } else if (e.isInteger() && width > 1 && width < 8) {
      // Only the low `width` bits of a sub-byte element are defined.
      uint8_t raw = *src & ((1u << width) - 1);
      if (!b.isUnsigned && (raw & (1u << (width - 1))))
        raw |= static_cast<uint8_t>(~((1u << width) - 1));
      *dst = raw;
    } else if (e.isInteger(1)) {
      *dst = *src & 1;
    } else {
      std::memcpy(dst, src, b.bufferElementSize);
    }
    for (int64_t d = int64_t(rank) - 1; d >= 0; --d) {
      if (++index[d] < array.shape[d])
        break;
      index[d] = 0;
    }
  }
  return array;
}


std::string listFunctions(ModuleOp module) {
  std::string names;
  auto add = [&](StringRef name) {
    if (name.starts_with("_mlir_ciface_"))
      return;
    if (!names.empty())
      names += ", ";
    names += "@" + name.str();
  };
  for (auto f : module.getOps<func::FuncOp>())
    if (!f.isExternal() && f.isPublic())
      add(f.getName());
  for (auto f : module.getOps<LLVM::LLVMFuncOp>())
    if (!f.isExternal())
      add(f.getName());
  return names.empty() ? "none" : names;
}

} // namespace

//===----------------------------------------------------------------------===//
// Running
//===----------------------------------------------------------------------===//

//===----------------------------------------------------------------------===//
// Observers
//===----------------------------------------------------------------------===//

ObserverSink::~ObserverSink() = default;

static thread_local ObserverSink *threadSink = nullptr;

void quantopt::runtime::registerRunnerDialects(DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registry.insert<qnt::QntDialect, qnt_x86::QntX86Dialect>();
  quantopt::registerQuantizableLayerModels(registry);
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
}

void quantopt::runtime::setThreadObserverSink(ObserverSink *sink) {
  threadSink = sink;
}

/// Called by code lowered from qnt.observe (qnt-lower-observers): an
/// unranked f32 memref arrives as (rank, descriptor).
extern "C" void qnt_observe_f32(int64_t index, int64_t axis, int64_t moments,
                                int64_t rank, void *descriptor) {
  ObserverSink *sink = threadSink;
  if (!sink)
    return;
  const int64_t *d = static_cast<const int64_t *>(descriptor);
  const float *base = reinterpret_cast<const float *>(d[1]) + d[2];
  ArrayRef<int64_t> sizes(d + 3, rank), strides(d + 3 + rank, rank);
  int64_t n = 1;
  for (int64_t s : sizes)
    n *= s;
  std::vector<float> data(n);
  SmallVector<int64_t> idx(rank, 0);
  for (int64_t i = 0; i < n; ++i) {
    int64_t offset = 0;
    for (int64_t k = 0; k < rank; ++k)
      offset += idx[k] * strides[k];
    data[i] = base[offset];
    for (int64_t k = rank - 1; k >= 0; --k) {
      if (++idx[k] < sizes[k])
        break;
      idx[k] = 0;
    }
  }
  sink->observe(index, axis, moments, data, sizes);
}

//===----------------------------------------------------------------------===//
// Sessions
//===----------------------------------------------------------------------===//

SmallVector<bool> quantopt::runtime::readBoundaryFlags(Operation *op,
                                                      StringRef name,
                                                      size_t count) {
  SmallVector<bool> flags(count, false);
  if (auto attr = op->getAttrOfType<DenseBoolArrayAttr>(name))
    for (auto [i, v] : llvm::enumerate(attr.asArrayRef()))
      if (i < count)
        flags[i] = v;
  return flags;
}

bool quantopt::runtime::isLoweredToLLVM(ModuleOp module) {
  return llvm::none_of(module.getOps<func::FuncOp>(),
                       [](func::FuncOp f) { return !f.isExternal(); });
}

llvm::Error quantopt::runtime::lowerToLLVMIfNeeded(ModuleOp module) {
  if (isLoweredToLLVM(module))
    return llvm::Error::success();
  PassManager pm(module.getContext());
  if (failed(buildLowerToLLVMPipeline(pm)))
    return makeError("cannot build the qnt-lower-to-llvm pipeline");
  if (failed(pm.run(module)))
    return makeError("lowering with qnt-lower-to-llvm failed (see the "
                     "diagnostics above)");
  return llvm::Error::success();
}

llvm::Expected<BoundaryStorage>
quantopt::runtime::getBoundaryStorage(Type type, bool isUnsigned,
                                      const llvm::Twine &what) {
  if (!isa<ShapedType>(type)) {
    std::string name;
    llvm::raw_string_ostream os(name);
    os << type;
    return makeError(what + " is not a tensor (" + name + ")");
  }
  auto boundary = classify(type, isUnsigned, what);
  if (!boundary)
    return boundary.takeError();
  return BoundaryStorage{boundary->dtype, boundary->bufferElementSize};
}

struct Session::Impl {
  std::unique_ptr<ExecutionEngine> engine;
  void (*function)(void **) = nullptr;
  FunctionType signature;
  SmallVector<bool> unsignedArgs, unsignedResults;
  std::vector<BoundaryType> argTypes, resultTypes;
  std::vector<std::string> observerIds;
  std::string entry;
};

Session::Session() : impl(std::make_unique<Impl>()) {}

Session::~Session() {
  // The buffer cache of --qnt-codegen (qnt-buffer-cache) keeps freed blocks
  // in the module's globals; give them back before the JIT's memory goes.
  if (!impl->engine)
    return;
  auto release = impl->engine->lookup("_qnt_buffer_cache_release");
  if (!release) {
    llvm::consumeError(release.takeError()); // a module without the cache
    return;
  }
  reinterpret_cast<void (*)()>(*release)();
}

llvm::Expected<std::unique_ptr<Session>>
Session::create(ModuleOp module, llvm::StringRef entryName) {
  std::string entry = entryName.str();
  Operation *entryOp = module.lookupSymbol(entry);
  if (!entryOp || !isa<func::FuncOp, LLVM::LLVMFuncOp>(entryOp) ||
      cast<FunctionOpInterface>(entryOp).isExternal())
    return makeError("no function named '@" + entry +
                     "' in the module (functions: " + listFunctions(module) +
                     ")");
  if (auto func = dyn_cast<func::FuncOp>(entryOp))
    if (!func.isPublic())
      return makeError("function '@" + entry +
                       "' is private; only public functions can be run");
  if (isa<func::FuncOp>(entryOp)) {
    if (llvm::Error err = lowerToLLVMIfNeeded(module))
      return std::move(err);
    entryOp = module.lookupSymbol(entry);
  }
  auto llvmFunc = dyn_cast_or_null<LLVM::LLVMFuncOp>(entryOp);
  if (!llvmFunc)
    return makeError("function '@" + entry +
                     "' was not lowered to the LLVM dialect");
  auto signatureAttr = llvmFunc->getAttrOfType<TypeAttr>(kSignatureAttrName);
  if (!signatureAttr)
    return makeError("function '@" + entry +
                     "' has no tensor signature (lower it with "
                     "--qnt-lower-to-llvm, which records it, or pass the "
                     "module before lowering)");
  std::unique_ptr<Session> session(new Session());
  Impl &s = *session->impl;
  s.entry = entry;
  s.signature = cast<FunctionType>(signatureAttr.getValue());
  s.unsignedArgs =
      readBoundaryFlags(llvmFunc, kUnsignedArgsAttrName, s.signature.getNumInputs());
  s.unsignedResults =
      readBoundaryFlags(llvmFunc, kUnsignedResultsAttrName, s.signature.getNumResults());
  for (auto [i, type] : llvm::enumerate(s.signature.getInputs())) {
    auto boundary = classify(type, s.unsignedArgs[i],
                             "input #" + llvm::Twine(i));
    if (!boundary)
      return boundary.takeError();
    s.argTypes.push_back(*boundary);
  }
  for (auto [i, type] : llvm::enumerate(s.signature.getResults())) {
    auto boundary =
        classify(type, s.unsignedResults[i], "result #" + llvm::Twine(i));
    if (!boundary)
      return boundary.takeError();
    s.resultTypes.push_back(*boundary);
  }
  if (auto ids = module->getAttrOfType<ArrayAttr>(qnt::QntDialect::kObserversAttrName))
    for (Attribute id : ids)
      s.observerIds.push_back(cast<StringAttr>(id).str());

  // AMX tiles (qnt-vnni-matmul{amx}) need the OS's permission first, which
  // the compiling process asked for when it chose them (--qnt-codegen
  // amx=host); this one may not have compiled the module.
  bool usesAmx = false;
  module.walk([&](LLVM::CallIntrinsicOp call) {
    StringRef name = call.getIntrin();
    usesAmx |= name.starts_with("llvm.x86.tile") ||
               name.starts_with("llvm.x86.tdp");
  });
  if (usesAmx && !requestAmxPermission())
    return makeError("the module uses AMX tiles, which this CPU or operating "
                     "system does not provide (compile it with "
                     "--qnt-codegen=amx=off)");

  // JIT-compile for the host.
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  // The options hold a function_ref: keep the transformer alive.
  auto transformer = makeOptimizingTransformer(
      /*optLevel=*/3, /*sizeLevel=*/0, /*targetMachine=*/nullptr);
  ExecutionEngineOptions engineOptions;
  engineOptions.transformer = transformer;
  // Multi-threaded kernels (--qnt-codegen threads=N) run on LLVM's OpenMP
  // runtime.
  bool usesOpenMP = false;
  module.walk([&](Operation *op) {
    if (op->getDialect() &&
        op->getDialect()->getNamespace() == "omp")
      usesOpenMP = true;
  });
  llvm::SmallVector<llvm::StringRef> libraries;
  if (usesOpenMP)
    libraries.push_back(QUANTOPT_LIBOMP_PATH);
  engineOptions.sharedLibPaths = libraries;
  engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  auto engine = ExecutionEngine::create(module, engineOptions);
  if (!engine)
    return makeError("JIT compilation failed: " +
                     llvm::toString(engine.takeError()));
  s.engine = std::move(*engine);
  s.engine->registerSymbols([](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap symbols;
    symbols[interner("qnt_observe_f32")] = {
        llvm::orc::ExecutorAddr::fromPtr(&qnt_observe_f32),
        llvm::JITSymbolFlags::Exported};
    return symbols;
  });
  auto function = s.engine->lookupPacked("_mlir_ciface_" + entry);
  if (!function)
    return makeError("JIT lookup of '@" + entry +
                     "' failed: " + llvm::toString(function.takeError()));
  s.function = *function;
  return session;
}

FunctionType Session::getSignature() const { return impl->signature; }

llvm::ArrayRef<std::string> Session::getObserverIds() const {
  return impl->observerIds;
}

llvm::Expected<std::vector<NpyArray>>
Session::call(llvm::ArrayRef<NpyArray> inputs,
              llvm::ArrayRef<std::string> inputNames, unsigned repeat,
              Timing *timing) const {
  const Impl &s = *impl;
  if (inputs.size() != s.signature.getNumInputs())
    return makeError("function '@" + s.entry + "' takes " +
                     llvm::Twine(s.signature.getNumInputs()) +
                     " input(s), got " + llvm::Twine(inputs.size()));
  std::vector<Buffer> buffers;
  std::vector<std::vector<int64_t>> descriptors;
  for (auto [i, boundary] : llvm::enumerate(s.argTypes)) {
    std::string what =
        llvm::formatv("input #{0} ({1})", i,
                      i < inputNames.size() ? inputNames[i] : std::string("?"))
            .str();
    auto buffer = toBuffer(inputs[i], boundary, what);
    if (!buffer)
      return buffer.takeError();
    descriptors.push_back(makeDescriptor(buffer->data.get(), inputs[i].shape));
    buffers.push_back(std::move(*buffer));
  }
  size_t resultWords = 0;
  for (const BoundaryType &b : s.resultTypes)
    resultWords += 3 + 2 * b.shape.size();

  std::vector<int64_t> resultStorage(std::max<size_t>(resultWords, 1));
  void *resultPtr = resultStorage.data();
  std::vector<void *> descriptorPtrs;
  for (auto &d : descriptors)
    descriptorPtrs.push_back(d.data());
  std::vector<void *> args;
  if (!s.resultTypes.empty())
    args.push_back(&resultPtr);
  for (void *&p : descriptorPtrs)
    args.push_back(&p);

  // Results are fresh heap buffers owned by the caller; constants
  // (0xdeadbeef as allocated pointer) and inputs are not ours to free.
  auto freeResults = [&]() {
    SmallVector<int64_t> freed;
    size_t word = 0;
    for (const BoundaryType &b : s.resultTypes) {
      int64_t allocated = resultStorage[word];
      word += 3 + 2 * b.shape.size();
      if (allocated == 0 || allocated == 0xdeadbeef ||
          llvm::is_contained(freed, allocated))
        continue;
      bool isInput = llvm::any_of(descriptors, [&](auto &d) {
        return d[0] == allocated;
      });
      if (!isInput)
        std::free(reinterpret_cast<void *>(allocated));
      freed.push_back(allocated);
    }
  };

  unsigned calls = std::max(1u, repeat);
  std::vector<double> times;
  for (unsigned c = 0; c < calls; ++c) {
    if (c > 0)
      freeResults();
    auto start = std::chrono::steady_clock::now();
    s.function(args.data());
    auto stop = std::chrono::steady_clock::now();
    times.push_back(
        std::chrono::duration<double, std::milli>(stop - start).count());
  }
  if (timing) {
    std::sort(times.begin(), times.end());
    timing->calls = calls;
    timing->minMs = times.front();
    timing->maxMs = times.back();
    timing->medianMs = calls % 2 ? times[calls / 2]
                                 : (times[calls / 2 - 1] + times[calls / 2]) / 2;
  }

  std::vector<NpyArray> results;
  size_t word = 0;
  for (const BoundaryType &b : s.resultTypes) {
    results.push_back(fromDescriptor(resultStorage.data() + word, b));
    word += 3 + 2 * b.shape.size();
  }
  freeResults();
  return results;
}

llvm::Expected<std::vector<NpyArray>>
quantopt::runtime::runEntry(ModuleOp module, const RunOptions &options,
                            Timing *timing) {
  // Check the entry and read the inputs before spending time on lowering.
  Operation *entryOp = module.lookupSymbol(options.entry);
  if (!entryOp || !isa<func::FuncOp, LLVM::LLVMFuncOp>(entryOp) ||
      cast<FunctionOpInterface>(entryOp).isExternal())
    return makeError("no function named '@" + options.entry +
                     "' in the module (functions: " + listFunctions(module) +
                     ")");
  std::vector<NpyArray> inputs;
  for (const std::string &path : options.inputPaths) {
    auto array = readNpy(path);
    if (!array)
      return array.takeError();
    if (options.checkInput)
      if (llvm::Error err = options.checkInput(inputs.size(), *array))
        return err;
    inputs.push_back(std::move(*array));
  }
  auto session = Session::create(module, options.entry);
  if (!session)
    return session.takeError();
  return (*session)->call(inputs, options.inputPaths, options.repeat, timing);
}

llvm::Error quantopt::runtime::writeResults(llvm::StringRef dir,
                                            llvm::ArrayRef<NpyArray> results) {
  namespace fs = llvm::sys::fs;
  if (std::error_code ec = fs::create_directories(dir))
    return makeError("cannot create output directory '" + dir +
                     "': " + ec.message());
  // Write everything into a private directory first, so that a failure
  // leaves the output directory as it was.
  llvm::SmallString<128> model(dir);
  llvm::sys::path::append(model, ".quant-run-%%%%%%");
  llvm::SmallString<128> staging;
  fs::createUniquePath(model, staging, /*MakeAbsolute=*/false);
  if (std::error_code ec = fs::create_directory(staging))
    return makeError("cannot create '" + staging + "': " + ec.message());
  auto path = [](llvm::StringRef base, size_t i) {
    llvm::SmallString<128> p(base);
    llvm::sys::path::append(p, "out" + llvm::Twine(i) + ".npy");
    return p;
  };
  for (auto [i, array] : llvm::enumerate(results)) {
    if (llvm::Error err = writeNpy(path(staging, i), array)) {
      (void)fs::remove_directories(staging);
      return err;
    }
  }
  // All or nothing: a destination that cannot take a file stops everything
  // before any change; then each previous file moves aside into the staging
  // directory and the new one in, and a failure on the way puts every
  // previous file back.
  for (size_t i = 0; i < results.size(); ++i) {
    fs::file_status status;
    if (!fs::status(path(dir, i), status) && !fs::is_regular_file(status)) {
      (void)fs::remove_directories(staging);
      return makeError("cannot write '" + path(dir, i) +
                       "': it exists and is not a regular file");
    }
  }
  auto backup = [&](size_t i) {
    llvm::SmallString<128> p(staging);
    llvm::sys::path::append(p, "previous" + llvm::Twine(i) + ".npy");
    return p;
  };
  SmallVector<size_t> savedAside, movedIn;
  auto rollBack = [&] {
    for (size_t i : movedIn)
      (void)fs::remove(path(dir, i));
    for (size_t i : savedAside)
      (void)fs::rename(backup(i), path(dir, i));
  };
  for (size_t i = 0; i < results.size(); ++i) {
    if (fs::exists(path(dir, i))) {
      if (std::error_code ec = fs::rename(path(dir, i), backup(i))) {
        rollBack();
        (void)fs::remove_directories(staging);
        return makeError("cannot replace '" + path(dir, i) +
                         "': " + ec.message());
      }
      savedAside.push_back(i);
    }
    if (std::error_code ec = fs::rename(path(staging, i), path(dir, i))) {
      rollBack();
      (void)fs::remove_directories(staging);
      return makeError("cannot write '" + path(dir, i) + "': " + ec.message());
    }
    movedIn.push_back(i);
  }
  (void)fs::remove_directories(staging);
  // Results of an earlier run with more outputs would be misleading.
  for (size_t i = results.size(); fs::exists(path(dir, i)); ++i)
    (void)fs::remove(path(dir, i));
  return llvm::Error::success();
}
