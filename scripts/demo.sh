#!/usr/bin/env bash
# The QuantOpt demo: installs what is missing, builds the tools, and runs the
# main jobs on the bundled examples: post-training quantization of a
# Fashion-MNIST CNN (fp32 vs quantized accuracy, agreement, model size, time
# per batch), and every storage type x granularity x scheme applied to example
# tensors through qnt ops, lowered to LLVM and executed by quant-run, with a
# table of the quantization error.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"

# dataset-fashion-mnist: the test set the example models are evaluated on.
"$root/scripts/install-deps.sh" dataset-fashion-mnist
BUILD_DIR="$build" "$root/scripts/build.sh" quant-opt quant-run quant-params

echo
echo "== Post-training quantization of the example CNN (examples/fashion-mnist)"
echo "   quant-opt --qnt-quantize=CONFIG, then quant-run of float and quantized"
echo "   models on the 10000 Fashion-MNIST test images"
echo
(cd "$root/examples/fashion-mnist" &&
  /usr/bin/python3 evaluate.py "$build/bin" --model cnn --dialect linalg)

echo
echo "== Quantization error per storage type, granularity and scheme"
echo "   (examples/quant-error: qnt.fake_quant -> --qnt-lower-to-llvm -> quant-run)"
echo
/usr/bin/python3 "$root/examples/quant-error/error_table.py" "$build/bin"
