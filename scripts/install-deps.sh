#!/usr/bin/env bash
# Installs the Debian 12 packages QuantOpt needs, if any is missing, plus the
# packages named as arguments (the demo adds dataset-fashion-mnist).
# Run as root (or with sudo available). Safe to run repeatedly.
set -euo pipefail

packages=(
  # LLVM/MLIR 22 with the MLIR dylib, clang and lld (Debian security suite).
  llvm-22-dev llvm-22-tools libmlir-22-dev mlir-22-tools clang-22 lld-22
  # clang's sanitizer runtimes and libFuzzer (scripts/build.sh --sanitize).
  libclang-rt-22-dev
  # Build and test tools.
  cmake ninja-build libgtest-dev
  # oneDNN, which bench/qnt-bench compares our kernels with.
  libdnnl-dev
  # LLVM's OpenMP runtime: multi-threaded kernels (--qnt-codegen threads=N).
  libomp-22-dev
  # Debian's python3 with numpy: test oracles, integration checks, demo.
  python3 python3-numpy
  # SciPy: scipy.stats.entropy in the transcription of ONNX Runtime's
  # entropy calibrator (test/Calibration/check_ort_histogram.py).
  python3-scipy
  # ONNX: the protobuf classes quant-import-onnx reads models with, the
  # python package the import tests build models with, and ONNX's own node
  # tests.
  libonnx-dev libprotobuf-dev python3-onnx libonnx-testdata
  # PyTorch: quantization-aware training of the example CNN
  # (examples/fashion-mnist/qat.py, test/Import/qat.test) and torch.onnx.
  python3-torch
  # Pillow renders the text lines PaddleOCR's models read (examples/paddleocr,
  # bench/models.py, test/Import/paddleocr.test).
  python3-pil
  # espeak-ng synthesizes the speech Silero's voice-activity model hears
  # (examples/silero, test/Import/silero.test).
  espeak-ng
  # The fortune cookies the example language model is trained and evaluated
  # on (examples/lm, test/Models/lm.test).
  fortunes
  # Headless Chromium renders the calibration error report in a test.
  chromium fonts-dejavu-core
  "$@"
)

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done

if [ ${#missing[@]} -eq 0 ]; then
  echo "install-deps: all packages present"
  exit 0
fi

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  if command -v sudo >/dev/null 2>&1; then SUDO="sudo"; else
    echo "install-deps: missing packages (${missing[*]}) and not root" >&2
    exit 1
  fi
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
