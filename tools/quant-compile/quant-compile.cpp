//===- quant-compile.cpp - A module to an object file and a C header ------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
//   quant-compile FILE.mlir -o model.o [--header model.h] [--entry NAME ...]
//                 [--prefix P] [--cpu host|x86-64-v3|sapphirerapids|...]
//                 [--features +f,-g] [--codegen[="OPTIONS"]]
//                 [--print-link-flags]
//
// Lowers FILE unless it is in the LLVM dialect already (the output of
// --qnt-codegen): with --qnt-codegen when --codegen is given (the kernels'
// instruction set following --cpu), else with --qnt-lower-to-llvm; compiles
// it for the CPU and writes
// a relocatable object and a C header declaring the entries. Both files are
// written only when everything succeeded. See docs/Tools.md and
// examples/aot.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Runtime/Aot.h"
#include "QuantOpt/Runtime/Runner.h"
#include "QuantOpt/Support/OutputFile.h"
#include "QuantOpt/Support/SourceNesting.h"
#include "mlir/Support/FileUtilities.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

using namespace mlir;
namespace cl = llvm::cl;

static cl::OptionCategory category("quant-compile options");
static cl::opt<std::string> inputFile(cl::Positional, cl::desc("<input.mlir>"),
                                      cl::Required, cl::cat(category));
static cl::opt<std::string> outputFile("o", cl::desc("Object file to write"),
                                       cl::value_desc("model.o"), cl::Required,
                                       cl::cat(category));
static cl::opt<std::string>
    headerFile("header",
               cl::desc("C header to write (default: the object's name with "
                        ".h)"),
               cl::value_desc("model.h"), cl::cat(category));
static cl::list<std::string>
    entries("entry",
            cl::desc("A function to export (default: every public function "
                     "with a tensor signature)"),
            cl::cat(category));
static cl::opt<std::string> prefix(
    "prefix",
    cl::desc("Prefix of the exported symbols and header types (default: the "
             "object's stem and '_', e.g. cnn_ for cnn.o)"),
    cl::cat(category));
static cl::opt<std::string>
    cpu("cpu",
        cl::desc("host (this machine's CPU and features) or an LLVM x86 CPU: "
                 "x86-64, x86-64-v2, x86-64-v3, x86-64-v4, sapphirerapids, "
                 "znver5, ..."),
        cl::init("host"), cl::cat(category));
static cl::opt<std::string>
    features("features",
             cl::desc("Extra LLVM target features, e.g. +avx512vnni,-amx-tile"),
             cl::cat(category));
static cl::opt<std::string> codegen(
    "codegen", cl::ValueOptional,
    cl::desc("Lower a module not yet in the LLVM dialect with the kernels: "
             "--qnt-codegen with these options (default: none; with --cpu "
             "other than host, isa=, lanes= and bf16= follow that CPU unless "
             "given), instead of the reference lowering"),
    cl::value_desc("\"threads=2 ...\""), cl::cat(category));
static cl::opt<bool> printLinkFlags(
    "print-link-flags",
    cl::desc("Print the flags to link the object with on stdout"),
    cl::cat(category));

static int fail(const llvm::Twine &message) {
  llvm::WithColor::error(llvm::errs(), "quant-compile") << message << "\n";
  return 1;
}

/// A file written to a temporary name, renamed over its path by commit().
struct StagedFile {
  std::string path;
  std::optional<llvm::sys::fs::TempFile> temp;
};

static llvm::Error stage(StagedFile &file, llvm::StringRef bytes) {
  auto temp = llvm::sys::fs::TempFile::create(file.path + ".tmp-%%%%%%%%");
  if (!temp)
    return llvm::createStringError("cannot write '" + file.path + "': " +
                                   llvm::toString(temp.takeError()));
  llvm::raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
  os << bytes;
  os.flush();
  if (os.has_error()) {
    std::error_code ec = os.error();
    os.clear_error();
    llvm::consumeError(temp->discard());
    return llvm::createStringError(ec, "cannot write '" + file.path +
                                           "': " + ec.message());
  }
  file.temp.emplace(std::move(*temp));
  return llvm::Error::success();
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(
      argc, argv,
      "QuantOpt ahead-of-time compiler: an MLIR module to an object file and "
      "a C header\n");

  // A device, FIFO or "-" is written in place (quantopt::isInPlaceOutput):
  // renaming over /dev/null would replace the device. Such an object has no
  // name to derive a header's from, so it gets one only with --header.
  std::string objectPath = quantopt::resolveOutputPath(outputFile);
  bool objectInPlace = quantopt::isInPlaceOutput(objectPath);
  std::string header = headerFile;
  if (header.empty() && !objectInPlace) {
    llvm::SmallString<128> path(outputFile);
    llvm::sys::path::replace_extension(path, ".h");
    header = path.str().str();
  }
  std::string headerPath =
      header.empty() ? std::string() : quantopt::resolveOutputPath(header);
  bool headerInPlace = !header.empty() && quantopt::isInPlaceOutput(headerPath);
  if (headerPath == objectPath && !objectInPlace)
    return fail("the header and the object would be the same file '" +
                header + "'");

  DialectRegistry registry;
  quantopt::runtime::registerRunnerDialects(registry);
  MLIRContext context(registry);
  std::string openError;
  std::unique_ptr<llvm::MemoryBuffer> file =
      openInputFile(inputFile, &openError);
  if (!file)
    return fail(openError);
  if (llvm::Error err =
          quantopt::checkSourceNesting(file->getBuffer(), inputFile)) {
    llvm::errs() << llvm::toString(std::move(err)) << "\n";
    return fail("cannot parse '" + inputFile + "'");
  }
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(std::move(file), llvm::SMLoc());
  SourceMgrDiagnosticHandler diagnostics(sourceMgr, &context);
  OwningOpRef<ModuleOp> module = parseSourceFile<ModuleOp>(sourceMgr, &context);
  if (!module)
    return fail("cannot parse '" + inputFile + "'");

  quantopt::runtime::AotOptions options;
  options.entries.assign(entries.begin(), entries.end());
  options.prefix = prefix.getNumOccurrences()
                       ? prefix.getValue()
                       : quantopt::runtime::getDefaultSymbolPrefix(outputFile);
  options.cpu = cpu;
  options.features = features;
  options.sourceName = inputFile;
  if (codegen.getNumOccurrences())
    options.codegen = codegen.getValue();
  auto result = quantopt::runtime::compileAheadOfTime(*module, options);
  if (!result)
    return fail(llvm::toString(result.takeError()));

  // Stage the files that are renamed into place, write the devices and
  // pipes, then move the staged files in.
  StagedFile object{objectPath, std::nullopt};
  StagedFile headerOut{headerPath, std::nullopt};
  auto discard = [&] {
    for (StagedFile *file : {&object, &headerOut})
      if (file->temp)
        llvm::consumeError(file->temp->discard());
  };
  if (!objectInPlace)
    if (llvm::Error err = stage(object, result->object))
      return fail(llvm::toString(std::move(err)));
  if (!header.empty() && !headerInPlace)
    if (llvm::Error err = stage(headerOut, result->header)) {
      discard();
      return fail(llvm::toString(std::move(err)));
    }
  for (auto [inPlace, path, bytes] :
       {std::tuple(objectInPlace, objectPath, llvm::StringRef(result->object)),
        std::tuple(headerInPlace, headerPath, llvm::StringRef(result->header))})
    if (inPlace)
      if (llvm::Error err = quantopt::writeInPlace(path, bytes)) {
        discard();
        return fail("cannot write '" + path +
                    "': " + llvm::toString(std::move(err)));
      }
  // The previous object waits aside until the header is in place, so that a
  // failure leaves both files as they were.
  namespace fs = llvm::sys::fs;
  std::string backup;
  if (object.temp && fs::exists(object.path)) {
    backup = object.path + ".previous";
    if (std::error_code ec = fs::rename(object.path, backup)) {
      discard();
      return fail("cannot replace '" + object.path + "': " + ec.message());
    }
  }
  auto restore = [&] {
    if (!backup.empty())
      (void)fs::rename(backup, object.path);
    else if (!objectInPlace)
      (void)fs::remove(object.path);
  };
  if (object.temp)
    if (llvm::Error err = object.temp->keep(object.path)) {
      discard();
      restore();
      return fail("cannot write '" + object.path +
                  "': " + llvm::toString(std::move(err)));
    }
  if (headerOut.temp)
    if (llvm::Error err = headerOut.temp->keep(headerOut.path)) {
      restore();
      return fail("cannot write '" + headerOut.path +
                  "': " + llvm::toString(std::move(err)));
    }
  if (!backup.empty())
    (void)fs::remove(backup);
  std::string flags;
  for (const std::string &flag : result->linkFlags)
    flags += (flags.empty() ? "" : " ") + flag;
  if (printLinkFlags)
    llvm::outs() << flags << "\n";
  llvm::errs() << "quant-compile: " << outputFile << " and "
               << (header.empty() ? "no header (--header names one)" : header)
               << " for CPU " << result->cpu << "; link with: " << flags
               << "\n";
  return 0;
}
