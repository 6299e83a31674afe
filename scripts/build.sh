#!/usr/bin/env bash
# Configures and builds QuantOpt in $BUILD_DIR (default: build/) with clang,
# lld and the MLIR/LLVM dylibs. Extra arguments are passed to ninja.
#
#   scripts/build.sh --sanitize [targets]: the same in $BUILD_DIR (default
#   build-asan/) with QuantOpt's code under AddressSanitizer and
#   UndefinedBehaviorSanitizer, and the libFuzzer targets (docs/Testing.md).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
sanitize=OFF
if [ "${1:-}" = "--sanitize" ]; then
  sanitize=ON
  shift
  build="${BUILD_DIR:-$root/build-asan}"
else
  build="${BUILD_DIR:-$root/build}"
fi
if [ ! -f "$build/build.ninja" ]; then
  cmake -G Ninja -S "$root" -B "$build" \
    -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_PREFIX_PATH=/usr/lib/llvm-22 \
    -DCMAKE_C_COMPILER=clang-22 -DCMAKE_CXX_COMPILER=clang++-22 \
    -DLLVM_USE_LINKER=lld -DQUANTOPT_SANITIZE=$sanitize
fi
ninja -C "$build" "$@"
