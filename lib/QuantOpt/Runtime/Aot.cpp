//===- Aot.cpp - Ahead-of-time compilation to an object file --------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// The same lowering and LLVM optimization as the JIT (quant-run), but the
// machine code goes to a relocatable object for a chosen x86 CPU, with a C
// header that declares each entry's C interface (`_mlir_ciface_<entry>`,
// exported as `<prefix><entry>`). Every other symbol of the module is made
// internal, so that two models (or a model and the application's `main`)
// link together.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Runtime/Aot.h"

#include "QuantOpt/Codegen/Passes.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h"
#include "QuantOpt/Pipelines/Pipelines.h"
#include "QuantOpt/Runtime/Runner.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Object/ObjectFile.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/TargetParser/Triple.h"

#include <map>

using namespace mlir;
using namespace quantopt;
using namespace quantopt::runtime;

namespace {

llvm::Error makeError(const llvm::Twine &message) {
  return llvm::createStringError(llvm::inconvertibleErrorCode(), message);
}

constexpr llvm::StringLiteral kCifacePrefix = "_mlir_ciface_";

/// The x86 intrinsics the code generator emits and the target features each
/// needs (any one of the alternatives). LLVM's instruction selection aborts
/// on an intrinsic the subtarget lacks, so they are checked here first.
struct IntrinsicRequirement {
  llvm::StringLiteral name;
  llvm::StringLiteral description;
  llvm::StringLiteral alternatives[2];
};
constexpr IntrinsicRequirement kIntrinsicRequirements[] = {
    {"llvm.x86.avx512.vpdpbusd.512", "512-bit VNNI (isa=vnni lanes=16)",
     {"+avx512vnni", ""}},
    {"llvm.x86.avx512.vpdpbusd.256", "256-bit VNNI (isa=vnni lanes=8)",
     {"+avx512vnni,+avx512vl", "+avxvnni"}},
    {"llvm.x86.tdpbusd.internal", "AMX-INT8 (amx=on)", {"+amx-int8", ""}},
    {"llvm.x86.tdpbssd.internal", "AMX-INT8 (amx=on)", {"+amx-int8", ""}},
    {"llvm.x86.tileloadd64.internal", "AMX tiles (amx=on)", {"+amx-tile", ""}},
    {"llvm.x86.avx2.pmadd.ub.sw", "AVX2 (isa=avx2)", {"+avx2", ""}},
    {"llvm.x86.avx2.pmadd.wd", "AVX2 (isa=avx2)", {"+avx2", ""}},
};

/// The C spelling of a boundary element and a short tag for type names.
struct CType {
  std::string spelling, tag, note;
};

CType getCType(BoundaryStorage storage) {
  switch (storage.dtype) {
  case DType::F32:
    if (storage.elementBytes == 2)
      return {"uint16_t", "bf16", "bfloat16 bits"};
    if (storage.elementBytes == 1)
      return {"uint8_t", "f8", "8-bit float bits"};
    return {"float", "f32", ""};
  case DType::F64:
    return {"double", "f64", ""};
  case DType::F16:
    return {"uint16_t", "f16", "IEEE half bits"};
  case DType::Bool:
    return {"uint8_t", "b8", "0 or 1"};
  case DType::I8:
    return {"int8_t", "i8", ""};
  case DType::U8:
    return {"uint8_t", "u8", ""};
  case DType::I16:
    return {"int16_t", "i16", ""};
  case DType::U16:
    return {"uint16_t", "u16", ""};
  case DType::I32:
    return {"int32_t", "i32", ""};
  case DType::U32:
    return {"uint32_t", "u32", ""};
  case DType::I64:
    return {"int64_t", "i64", ""};
  case DType::U64:
    return {"uint64_t", "u64", ""};
  }
  llvm_unreachable("unknown dtype");
}

std::string printType(Type type) {
  std::string s;
  llvm::raw_string_ostream os(s);
  os << type;
  return s;
}

/// One tensor of an entry's signature, as the header declares it.
struct HeaderTensor {
  std::string typeName; // the descriptor struct
  std::string comment;  // the tensor type
};

/// An entry and its C declaration.
struct Entry {
  std::string name, symbol;
  std::vector<HeaderTensor> inputs, results;
};

/// Writes the header (see docs/Tools.md for the calling convention).
std::string writeHeader(ArrayRef<Entry> entries,
                        const std::map<std::string, std::string> &structs,
                        const AotOptions &options, const AotResult &result,
                        StringRef triple) {
  std::string out;
  llvm::raw_string_ostream os(out);
  std::string guard = "QUANTOPT_AOT_" + llvm::StringRef(options.prefix).upper() +
                      "H";
  os << "/* Generated by quant-compile";
  if (!options.sourceName.empty())
    os << " from " << llvm::sys::path::filename(options.sourceName);
  os << " for " << triple << ", CPU " << result.cpu << ".\n"
     << " *\n"
     << " * Link the object with:";
  for (const std::string &flag : result.linkFlags)
    os << " " << flag;
  os << "\n"
     << " *\n"
     << " * Each tensor is passed as MLIR's strided memref descriptor: the\n"
     << " * buffer as allocated, its aligned start, the offset of element 0\n"
     << " * and the sizes and strides of each dimension, in elements (a\n"
     << " * contiguous row-major input has strides[rank-1] = 1). Results are\n"
     << " * written into the first argument. A result's buffer belongs to the\n"
     << " * caller, who frees it with free(result.allocated), except when\n"
     << " * `allocated` is (void *)0xdeadbeef (a constant of the model) or the\n"
     << " * buffer of an input returned as it is. Entries may be called from\n"
     << " * several threads at once. */\n"
     << "#ifndef " << guard << "\n#define " << guard << "\n\n"
     << "#include <stdint.h>\n\n"
     << "#ifdef __cplusplus\nextern \"C\" {\n#endif\n\n";
  for (const auto &[name, definition] : structs)
    os << definition << "\n";
  for (const Entry &entry : entries) {
    os << "/* @" << entry.name << "(";
    llvm::interleaveComma(entry.inputs, os,
                          [&](const HeaderTensor &t) { os << t.comment; });
    os << ") -> (";
    llvm::interleaveComma(entry.results, os,
                          [&](const HeaderTensor &t) { os << t.comment; });
    os << ") */\n";
    std::string resultType;
    if (entry.results.size() == 1) {
      resultType = entry.results[0].typeName;
    } else if (entry.results.size() > 1) {
      resultType = options.prefix + entry.name + "_results";
      os << "typedef struct " << resultType << " {\n";
      for (auto [i, t] : llvm::enumerate(entry.results))
        os << "  " << t.typeName << " result" << i << ";\n";
      os << "} " << resultType << ";\n";
    }
    os << "void " << entry.symbol << "(";
    bool first = true;
    if (!resultType.empty()) {
      os << resultType << " *results";
      first = false;
    }
    for (auto [i, t] : llvm::enumerate(entry.inputs)) {
      os << (first ? "" : ", ") << t.typeName << " *input" << i;
      first = false;
    }
    if (first)
      os << "void";
    os << ");\n\n";
  }
  if (!result.releaseSymbol.empty())
    os << "/* Frees the large buffers the model keeps for its next calls\n"
       << " * (--qnt-codegen reuse-buffers); call it when no entry is running,\n"
       << " * e.g. before unloading the model or to give memory back. */\n"
       << "void " << result.releaseSymbol << "(void);\n\n";
  os << "#ifdef __cplusplus\n} /* extern \"C\" */\n#endif\n\n#endif /* "
     << guard << " */\n";
  return out;
}

/// The linker flags the undefined symbols call for.
std::vector<std::string> getLinkFlags(ArrayRef<std::string> undefined) {
  std::vector<std::string> flags;
  bool openmp = llvm::any_of(undefined, [](StringRef s) {
    return s.starts_with("__kmpc_") || s.starts_with("omp_");
  });
  bool runnerUtils = llvm::any_of(undefined, [](StringRef s) {
    return s.starts_with("memref") || s.starts_with("_mlir_");
  });
  if (openmp || runnerUtils) {
    flags.push_back("-L" QUANTOPT_LLVM_LIBDIR);
    flags.push_back("-Wl,-rpath," QUANTOPT_LLVM_LIBDIR);
  }
  if (runnerUtils)
    flags.push_back("-lmlir_c_runner_utils");
  if (openmp)
    flags.push_back("-lomp");
  flags.push_back("-lm");
  return flags;
}

} // namespace

std::string quantopt::runtime::getDefaultSymbolPrefix(StringRef outputPath) {
  StringRef stem = llvm::sys::path::stem(outputPath);
  std::string prefix;
  for (char c : stem)
    prefix += llvm::isAlnum(c) ? c : '_';
  if (prefix.empty() || llvm::isDigit(prefix[0]))
    prefix = "model_" + prefix;
  return prefix + "_";
}

/// `codegen` (--qnt-codegen's options) with the kernels' choices made for
/// the target `cpu` (its features, --features included) where the text
/// leaves them to the host: lanes=16 with AVX512-VNNI, else 8; the dot
/// instruction set quantopt::selectDotIsa picks for those lanes (the rule
/// of the JIT's isa=host: vpdpbusd, AVX2's vpmaddubsw or portable code);
/// bf16=avx512 with AVX512-BF16 (quantopt::selectBf16Dot), else generic.
/// Options the text names stay as given.
static std::string withTargetInstructionSet(llvm::StringRef codegen,
                                            const llvm::MCSubtargetInfo &cpu) {
  auto has = [&](StringRef feature) {
    return cpu.checkFeatures(("+" + feature).str());
  };
  llvm::StringMap<std::string> named;
  SmallVector<StringRef> words;
  codegen.split(words, ' ', -1, /*KeepEmpty=*/false);
  for (StringRef word : words) {
    auto [name, value] = word.split('=');
    named[name] = value.str();
  }
  std::string text = codegen.str();
  auto add = [&](StringRef name, StringRef value) {
    if (!named.contains(name))
      text += (text.empty() ? "" : " ") + (name + "=" + value).str();
  };
  int64_t lanes = has("avx512vnni") ? 16 : 8;
  if (named.contains("lanes"))
    (void)llvm::to_integer(named["lanes"], lanes);
  add("lanes", std::to_string(lanes));
  switch (quantopt::selectDotIsa(has, lanes == 16, lanes == 8)) {
  case quantopt::DotIsa::Vnni:
    add("isa", "vnni");
    break;
  case quantopt::DotIsa::Avx2:
    add("isa", "avx2");
    break;
  case quantopt::DotIsa::Generic:
    add("isa", "generic");
    break;
  }
  add("bf16", quantopt::selectBf16Dot(has) ? "avx512" : "generic");
  return text;
}

/// Lowers `module` with --qnt-codegen=`codegen` unless it is in the LLVM
/// dialect already (the options are checked either way).
static llvm::Error lowerWithCodegenIfNeeded(ModuleOp module,
                                            llvm::StringRef codegen) {
  // The options are checked even when there is nothing to lower; braces
  // would end the pipeline's option list and add passes of their own.
  if (codegen.find_first_of("{}") != StringRef::npos)
    return makeError("bad --codegen options '" + codegen +
                     "': braces are not options");
  quantopt::registerQuantOptPasses(); // the qnt-codegen pipeline, by name
  PassManager pm(module.getContext());
  std::string error;
  llvm::raw_string_ostream os(error);
  if (failed(
          parsePassPipeline(("qnt-codegen{" + codegen + "}").str(), pm, os))) {
    // The first line says which option; the parser adds a generic second.
    return makeError("bad --codegen options '" + codegen +
                     "': " + StringRef(error).split('\n').first.trim());
  }
  if (isLoweredToLLVM(module))
    return llvm::Error::success();
  if (failed(pm.run(module)))
    return makeError("lowering with --qnt-codegen=\"" + codegen +
                     "\" failed (see the diagnostics above)");
  return llvm::Error::success();
}

llvm::Expected<AotResult>
quantopt::runtime::compileAheadOfTime(ModuleOp module,
                                      const AotOptions &options) {
  for (char c : options.prefix)
    if (!llvm::isAlnum(c) && c != '_')
      return makeError("the symbol prefix '" + options.prefix +
                       "' is not a C identifier");
  if (!options.prefix.empty() && llvm::isDigit(options.prefix[0]))
    return makeError("the symbol prefix '" + options.prefix +
                     "' starts with a digit");
  // The target machine.
  llvm::InitializeNativeTarget();
  llvm::InitializeNativeTargetAsmPrinter();
  llvm::Triple triple(llvm::sys::getDefaultTargetTriple());
  if (triple.getArch() != llvm::Triple::x86_64)
    return makeError("quant-compile targets x86-64; this host is " +
                     triple.str());
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return makeError("no LLVM target for " + triple.str() + ": " + error);
  std::unique_ptr<llvm::MCSubtargetInfo> generic(
      target->createMCSubtargetInfo(triple, "", ""));
  AotResult result;
  llvm::SubtargetFeatures features;
  if (options.cpu == "host") {
    result.cpu = llvm::sys::getHostCPUName().str();
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      features.AddFeature(feature.getKey(), feature.getValue());
  } else {
    if (!generic->isCPUStringValid(options.cpu))
      return makeError("unknown CPU '" + options.cpu +
                       "' (use host, x86-64, x86-64-v2, x86-64-v3, "
                       "x86-64-v4 or an LLVM CPU name such as "
                       "sapphirerapids or znver5)");
    result.cpu = options.cpu;
  }
  for (StringRef feature : llvm::split(options.features, ',')) {
    feature = feature.trim();
    if (feature.empty())
      continue;
    if (!feature.starts_with("+") && !feature.starts_with("-"))
      return makeError("target feature '" + feature +
                       "' must start with + or -");
    StringRef name = feature.drop_front();
    bool known = llvm::any_of(
        generic->getAllProcessorFeatures(),
        [&](const llvm::SubtargetFeatureKV &kv) { return name == kv.Key; });
    if (!known)
      return makeError("unknown target feature '" + name + "'");
    features.AddFeature(feature);
  }
  result.features = features.getString();
  llvm::TargetOptions targetOptions;
  std::unique_ptr<llvm::TargetMachine> machine(target->createTargetMachine(
      triple, result.cpu, result.features, targetOptions, llvm::Reloc::PIC_,
      std::nullopt, llvm::CodeGenOptLevel::Aggressive));
  if (!machine)
    return makeError("cannot create a target machine for " + triple.str());

  // Lower: with the kernels when asked (their instruction set following the
  // CPU), else the reference lowering; a module in the LLVM dialect as is.
  if (options.codegen) {
    std::string text = *options.codegen;
    if (options.cpu != "host" || !options.features.empty())
      text = withTargetInstructionSet(text, *machine->getMCSubtargetInfo());
    if (llvm::Error err = lowerWithCodegenIfNeeded(module, text))
      return std::move(err);
  } else if (llvm::Error err = lowerToLLVMIfNeeded(module)) {
    return std::move(err);
  }

  // The entries and their C types.
  auto isEntry = [&](LLVM::LLVMFuncOp f) {
    return !f.isExternal() && !f.isPrivate() &&
           f->hasAttr(kSignatureAttrName) &&
           module.lookupSymbol(kCifacePrefix.str() + f.getName().str());
  };
  SmallVector<LLVM::LLVMFuncOp> entryOps;
  std::string available;
  for (auto f : module.getOps<LLVM::LLVMFuncOp>())
    if (isEntry(f))
      available += (available.empty() ? "@" : ", @") + f.getName().str();
  if (options.entries.empty()) {
    for (auto f : module.getOps<LLVM::LLVMFuncOp>())
      if (isEntry(f))
        entryOps.push_back(f);
    if (entryOps.empty())
      return makeError("the module has no public function with a tensor "
                       "signature to export");
  } else {
    for (const std::string &name : options.entries) {
      auto f = module.lookupSymbol<LLVM::LLVMFuncOp>(name);
      if (!f || !isEntry(f))
        return makeError("no public entry function '@" + name +
                         "' in the module (entries: " +
                         (available.empty() ? "none" : available) + ")");
      if (!llvm::is_contained(entryOps, f))
        entryOps.push_back(f);
    }
  }
  if (module.lookupSymbol("qnt_observe_f32"))
    return makeError("the module records observations (qnt.observe, for "
                     "calibration); compile the quantized model instead");

  std::map<std::string, std::string> structs;
  SmallVector<Entry> entries;
  for (LLVM::LLVMFuncOp f : entryOps) {
    auto signature = cast<FunctionType>(
        f->getAttrOfType<TypeAttr>(kSignatureAttrName).getValue());
    SmallVector<bool> unsignedArgs =
        readBoundaryFlags(f, kUnsignedArgsAttrName, signature.getNumInputs());
    SmallVector<bool> unsignedResults = readBoundaryFlags(
        f, kUnsignedResultsAttrName, signature.getNumResults());
    Entry entry;
    entry.name = f.getName().str();
    entry.symbol = options.prefix + entry.name;
    auto declare = [&](Type type, bool isUnsigned,
                       const std::string &what) -> llvm::Expected<HeaderTensor> {
      auto storage = getBoundaryStorage(type, isUnsigned, what);
      if (!storage)
        return storage.takeError();
      CType c = getCType(*storage);
      int64_t rank = cast<ShapedType>(type).getRank();
      std::string name =
          llvm::formatv("{0}memref_{1}_{2}d", options.prefix, c.tag, rank);
      std::string def;
      llvm::raw_string_ostream os(def);
      os << "typedef struct " << name << " {\n  " << c.spelling
         << " *allocated;\n  " << c.spelling << " *aligned;";
      if (!c.note.empty())
        os << " /* " << c.note << " */";
      os << "\n  int64_t offset;\n";
      if (rank > 0)
        os << "  int64_t sizes[" << rank << "];\n  int64_t strides[" << rank
           << "];\n";
      os << "} " << name << ";\n";
      structs.emplace(name, def);
      std::string comment = printType(type);
      if (isUnsigned)
        comment += " unsigned";
      return HeaderTensor{name, comment};
    };
    for (auto [i, type] : llvm::enumerate(signature.getInputs())) {
      auto t = declare(type, unsignedArgs[i],
                       "input #" + std::to_string(i) + " of @" + entry.name);
      if (!t)
        return t.takeError();
      entry.inputs.push_back(*t);
    }
    for (auto [i, type] : llvm::enumerate(signature.getResults())) {
      auto t = declare(type, unsignedResults[i],
                       "result #" + std::to_string(i) + " of @" + entry.name);
      if (!t)
        return t.takeError();
      entry.results.push_back(*t);
    }
    entries.push_back(std::move(entry));
  }

  // Translate, and refuse instructions the CPU does not have.
  llvm::LLVMContext context;
  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, context, "quantopt");
  if (!llvmModule)
    return makeError("translation to LLVM IR failed (see the diagnostics "
                     "above)");
  const llvm::MCSubtargetInfo *subtarget = machine->getMCSubtargetInfo();
  for (llvm::Function &f : *llvmModule) {
    if (!f.getName().starts_with("llvm.x86.") || f.use_empty())
      continue;
    for (const IntrinsicRequirement &r : kIntrinsicRequirements) {
      if (f.getName() != r.name)
        continue;
      bool ok = llvm::any_of(r.alternatives, [&](llvm::StringLiteral need) {
        return !need.empty() && subtarget->checkFeatures(need);
      });
      if (!ok)
        return makeError(llvm::formatv(
            "the module uses {0} ({1}), which CPU '{2}' does not have; "
            "build it with --qnt-codegen=\"isa=generic\" (isa=avx2 for AVX2, "
            "lanes=8 for AVX-VNNI, amx=off without AMX), or choose a CPU "
            "that has it",
            r.name, r.description, result.cpu));
    }
  }

  // Export `_mlir_ciface_<entry>` as `<prefix><entry>`; everything else is
  // internal, renamed out of the way if it has an exported name.
  llvm::StringSet<> exported;
  for (const Entry &e : entries)
    exported.insert(e.symbol);
  // qnt-buffer-cache's release function, exported as
  // `<prefix>release_buffers` beside the entries.
  constexpr llvm::StringLiteral kReleaseName = "_qnt_buffer_cache_release";
  llvm::Function *release = llvmModule->getFunction(kReleaseName);
  if (release && !release->isDeclaration()) {
    result.releaseSymbol = options.prefix + "release_buffers";
    exported.insert(result.releaseSymbol);
  }
  for (llvm::GlobalValue &g : llvmModule->global_values()) {
    if (g.isDeclaration())
      continue;
    bool isEntryWrapper = g.getName().starts_with(kCifacePrefix) &&
                          llvm::any_of(entries, [&](const Entry &e) {
                            return g.getName() == kCifacePrefix.str() + e.name;
                          });
    if (isEntryWrapper || (!result.releaseSymbol.empty() && &g == release))
      continue;
    g.setLinkage(llvm::GlobalValue::InternalLinkage);
    if (exported.contains(g.getName()))
      g.setName(g.getName() + ".internal");
  }
  if (!result.releaseSymbol.empty()) {
    release->setName(result.releaseSymbol);
    if (release->getName() != result.releaseSymbol)
      return makeError("cannot export '" + result.releaseSymbol +
                       "': the name is taken in the module");
  }
  for (const Entry &e : entries) {
    llvm::Function *wrapper =
        llvmModule->getFunction(kCifacePrefix.str() + e.name);
    wrapper->setName(e.symbol);
    if (wrapper->getName() != e.symbol)
      return makeError("cannot export '" + e.symbol +
                       "': the name is taken in the module");
  }

  // AMX tiles need the OS's permission before they run: each exported
  // entry asks first (arch_prctl ARCH_REQ_XCOMP_PERM, XFEATURE_XTILEDATA; a
  // repeated request is granted again at once), so that the application
  // need not know.
  bool usesAmx = llvm::any_of(*llvmModule, [](llvm::Function &f) {
    return !f.use_empty() && (f.getName().starts_with("llvm.x86.tile") ||
                              f.getName().starts_with("llvm.x86.tdp"));
  });
  if (usesAmx) {
    llvm::Type *i64 = llvm::Type::getInt64Ty(context);
    llvm::FunctionCallee syscallFn = llvmModule->getOrInsertFunction(
        "syscall", llvm::FunctionType::get(i64, {i64}, /*isVarArg=*/true));
    for (const Entry &e : entries) {
      llvm::Function *f = llvmModule->getFunction(e.symbol);
      llvm::IRBuilder<> builder(&*f->getEntryBlock().getFirstInsertionPt());
      builder.CreateCall(syscallFn, {llvm::ConstantInt::get(i64, 158),
                                     llvm::ConstantInt::get(i64, 0x1023),
                                     llvm::ConstantInt::get(i64, 18)});
    }
  }

  llvmModule->setDataLayout(machine->createDataLayout());
  llvmModule->setTargetTriple(triple);
  auto optimize = makeOptimizingTransformer(/*optLevel=*/3, /*sizeLevel=*/0,
                                            machine.get());
  if (llvm::Error err = optimize(llvmModule.get()))
    return makeError("LLVM optimization failed: " +
                     llvm::toString(std::move(err)));

  llvm::SmallVector<char, 0> object;
  {
    llvm::raw_svector_ostream os(object);
    llvm::legacy::PassManager codegen;
    if (machine->addPassesToEmitFile(codegen, os, nullptr,
                                     llvm::CodeGenFileType::ObjectFile))
      return makeError("the target cannot emit object files");
    codegen.run(*llvmModule);
  }
  result.object.assign(object.begin(), object.end());

  // What the object needs from elsewhere, read back from the object.
  auto objectFile = llvm::object::ObjectFile::createObjectFile(
      llvm::MemoryBufferRef(result.object, "object"));
  if (!objectFile)
    return makeError("cannot read the emitted object: " +
                     llvm::toString(objectFile.takeError()));
  for (const llvm::object::SymbolRef &symbol : (*objectFile)->symbols()) {
    auto flags = symbol.getFlags();
    auto name = symbol.getName();
    if (!flags || !name) {
      llvm::consumeError(flags.takeError());
      llvm::consumeError(name.takeError());
      continue;
    }
    if ((*flags & llvm::object::SymbolRef::SF_Undefined) && !name->empty() &&
        *name != "_GLOBAL_OFFSET_TABLE_")
      result.undefinedSymbols.push_back(name->str());
  }
  llvm::sort(result.undefinedSymbols);
  result.linkFlags = getLinkFlags(result.undefinedSymbols);
  result.header =
      writeHeader(entries, structs, options, result, triple.str());
  return result;
}
