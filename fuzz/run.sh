#!/usr/bin/env bash
# Runs every libFuzzer target of a sanitizer build (scripts/build.sh
# --sanitize) on its seed corpus: the parser targets for RUNS inputs each
# (default 200000), the whole-module target for MODULE_RUNS (default 1000).
# A crash, a sanitizer report or a leak stops the target with a non-zero
# exit and a reproducer (crash-*, leak-*) in the work directory. The long
# run of docs/Testing.md: RUNS=1000000 fuzz/run.sh.
#
#   fuzz/run.sh BUILD_DIR [WORK_DIR]
set -uo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="$(cd "${1:?usage: fuzz/run.sh BUILD_DIR [WORK_DIR]}" && pwd)"
work="${2:-$(mktemp -d)}"
runs="${RUNS:-200000}"
module_runs="${MODULE_RUNS:-1000}"
mkdir -p "$work"
status=0
# LLVM's headers poison and unpoison BumpPtrAllocator slabs in our
# (instrumented) code, while Debian's uninstrumented MLIR dylib allocates
# from the same slabs without unpoisoning: manual poisoning must be off, or
# every MLIR attribute uniqued after ours is a false use-after-poison.
export ASAN_OPTIONS="${ASAN_OPTIONS:-allow_user_poisoning=0:detect_leaks=1}"
export UBSAN_OPTIONS="${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}"

# Seed corpora, copied (libFuzzer adds what it finds to the first corpus
# directory; the checked-in seeds stay as they are).
seed() {
  local name="$1"; shift
  mkdir -p "$work/$name"
  for f in "$@"; do cp "$f" "$work/$name/" 2>/dev/null; done
}
seed params "$root"/fuzz/corpus/params/*
seed stats "$root"/test/Calibration/Inputs/*.json "$root"/test/Models/Inputs/*.json
seed recipe "$root"/test/Dialect/Qnt/Inputs/recipe.json
seed npy "$root"/test/quant-run/Inputs/*.npy
seed module "$root"/test/Dialect/Qnt/*.mlir "$root"/test/Codegen/*.mlir

run() {
  local target="$1" n="$2" log="$work/$1.log"
  echo "== $target: $n inputs"
  if ! (cd "$work" && "$build/bin/$target" -runs="$n" -max_len=8192 \
      -print_final_stats=1 "$work/${target#fuzz-}" > "$log" 2>&1); then
    status=1
    # The report itself (its first 80 lines: the error, the stacks), which
    # the tail below would cut; the whole log stays in the work directory.
    awk '/==ERROR:|runtime error:|ERROR: libFuzzer|ERROR: LeakSanitizer/ {p = 1}
         p && n++ < 80' "$log"
  fi
  tail -n 12 "$log"
}
run fuzz-params "$runs"
run fuzz-stats "$runs"
run fuzz-recipe "$runs"
run fuzz-npy "$runs"
run fuzz-module "$module_runs"
if [ $status -eq 0 ]; then echo "fuzz: no crash, leak or sanitizer report"; else echo "fuzz: FINDINGS in $work"; fi
exit $status
