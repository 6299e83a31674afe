#!/usr/bin/env bash
# Regenerates docs/reference/*.md from the TableGen definitions.
# test/docs/reference-docs.test fails when the checked-in files are stale.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
tblgen=/usr/lib/llvm-22/bin/mlir-tblgen
inc=(-I "$root/include" -I /usr/lib/llvm-22/include)
"$tblgen" -gen-dialect-doc -dialect=qnt "${inc[@]}" "$root/include/QuantOpt/Dialect/Qnt/IR/QntOps.td" > "$root/docs/reference/QntDialect.md"
"$tblgen" -gen-dialect-doc -dialect=qnt_x86 "${inc[@]}" "$root/include/QuantOpt/Dialect/QntX86/IR/QntX86.td" > "$root/docs/reference/QntX86Dialect.md"
"$tblgen" -gen-pass-doc "${inc[@]}" "$root/include/QuantOpt/Conversion/Passes.td" > "$root/docs/reference/ConversionPasses.md"
"$tblgen" -gen-pass-doc "${inc[@]}" "$root/include/QuantOpt/Dialect/Qnt/Transforms/Passes.td" > "$root/docs/reference/QntTransformPasses.md"
"$tblgen" -gen-pass-doc "${inc[@]}" "$root/include/QuantOpt/Codegen/Passes.td" > "$root/docs/reference/CodegenPasses.md"
