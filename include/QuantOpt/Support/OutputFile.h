//===- OutputFile.h - Writing a tool's output file in one step --*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// Every file a QuantOpt tool writes goes through writeOutputFile: the bytes
// go to a temporary file next to the target, which is renamed over the
// target only when the write succeeded, so a failure leaves the old file
// as it was. When the path is a symlink, its target is replaced (the link
// stays a link); an existing file keeps its permission bits. A path that
// names something other than a file or a directory (a character device such
// as /dev/null, a FIFO, a socket) or "-" (standard output) is written in
// place: a rename would replace the device node itself, and as root
// `quant-opt -o /dev/null` turned /dev/null into a regular file. Header-only
// so that every tool (and the .npy writer) shares it without another library.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_SUPPORT_OUTPUTFILE_H
#define QUANTOPT_SUPPORT_OUTPUTFILE_H

#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/raw_ostream.h"

#include <optional>
#include <string>

namespace quantopt {

/// The file `path` names: the final target of a symlink (which need not
/// exist yet), else `path` itself.
inline std::string resolveOutputPath(llvm::StringRef path) {
  namespace fs = llvm::sys::fs;
  if (!fs::is_symlink_file(path))
    return path.str();
  llvm::SmallString<256> real;
  if (!fs::real_path(path, real))
    return std::string(real);
  return path.str(); // a dangling link: replaced like a file
}

/// Whether `target` (a resolved path) is written in place rather than
/// renamed over: "-", or an existing file that is neither a regular file nor
/// a directory.
inline bool isInPlaceOutput(llvm::StringRef target) {
  namespace fs = llvm::sys::fs;
  if (target == "-")
    return true;
  fs::file_status status;
  if (fs::status(target, status) || !fs::exists(status))
    return false;
  return !fs::is_regular_file(status) && !fs::is_directory(status);
}

/// Writes `bytes` to a device, FIFO or standard output (isInPlaceOutput).
inline llvm::Error writeInPlace(llvm::StringRef target, llvm::StringRef bytes) {
  std::error_code ec;
  llvm::raw_fd_ostream os(target, ec);
  if (!ec) {
    os << bytes;
    os.flush();
    ec = os.error();
    os.clear_error();
  }
  if (ec)
    return llvm::createStringError(ec, ec.message());
  return llvm::Error::success();
}

/// Writes `bytes` to `path` in one step (see the file comment). An error
/// says why; the caller names the path in its own style.
inline llvm::Error writeOutputFile(llvm::StringRef path,
                                   llvm::StringRef bytes) {
  namespace fs = llvm::sys::fs;
  std::string target = resolveOutputPath(path);
  if (isInPlaceOutput(target))
    return writeInPlace(target, bytes);
  std::optional<fs::perms> mode;
  fs::file_status status;
  if (!fs::status(target, status) && fs::is_regular_file(status))
    mode = status.permissions();
  auto fail = [&](const llvm::Twine &why) {
    return llvm::createStringError(llvm::inconvertibleErrorCode(), why);
  };
  llvm::Expected<fs::TempFile> temp =
      fs::TempFile::create(target + ".tmp-%%%%%%%%");
  if (!temp)
    return fail(llvm::toString(temp.takeError()));
  std::error_code writeError;
  {
    llvm::raw_fd_ostream os(temp->FD, /*shouldClose=*/false);
    os << bytes;
    os.flush();
    writeError = os.error();
    os.clear_error();
  }
  if (writeError) {
    llvm::consumeError(temp->discard());
    return fail(writeError.message());
  }
  if (mode)
    (void)fs::setPermissions(temp->TmpName, *mode);
  if (llvm::Error err = temp->keep(target))
    return fail(llvm::toString(std::move(err)));
  return llvm::Error::success();
}

} // namespace quantopt

#endif // QUANTOPT_SUPPORT_OUTPUTFILE_H
