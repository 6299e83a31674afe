#!/usr/bin/env bash
# The QuantOpt demo: installs what is missing, builds the tools, and runs the
# main job on the bundled example: every storage type x granularity x scheme
# applied to example tensors through qnt ops, lowered to LLVM and executed by
# quant-run, with a table of the quantization error.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"

"$root/scripts/install-deps.sh"
BUILD_DIR="$build" "$root/scripts/build.sh" quant-opt quant-run quant-params

echo
echo "== Quantization error per storage type, granularity and scheme"
echo "   (examples/quant-error: qnt.fake_quant -> --qnt-lower-to-llvm -> quant-run)"
echo
/usr/bin/python3 "$root/examples/quant-error/error_table.py" "$build/bin" "$@"
