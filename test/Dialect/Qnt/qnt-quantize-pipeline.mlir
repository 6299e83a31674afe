// --qnt-quantize is a registered pipeline of separate passes (their own
// tests follow): qnt-name-layers, the TOSA lowering the options need,
// qnt-convert-to-nhwc and qnt-fold-affine-into-layers (unless layout=keep),
// qnt-unstuff-transposed-conv (in both layouts; not per phase, so that the
// layers stay the ones calibration observed),
// convert-elementwise-to-linalg and qnt-generalize-elementwise for static
// activations, then qnt-quantize-layers with the options.
// RUN: not quant-opt %s --qnt-quantize="activations=static stats=%t.missing.json" --dump-pass-pipeline 2>&1 >/dev/null | FileCheck %s --check-prefix=STATIC
// STATIC: builtin.module(
// STATIC-NEXT: qnt-name-layers,
// STATIC-NEXT: func.func(
// STATIC-NEXT: tosa-to-linalg-named{{.*}},
// STATIC-NEXT: tosa-to-linalg{{.*}},
// STATIC-NEXT: tosa-to-tensor,
// STATIC-NEXT: tosa-to-arith{{.*}},
// STATIC-NEXT: qnt-convert-to-nhwc,
// STATIC-NEXT: qnt-fold-affine-into-layers,
// STATIC-NEXT: qnt-unstuff-transposed-conv{per-phase=true}
// STATIC-NEXT: ),
// STATIC-NEXT: convert-elementwise-to-linalg,
// STATIC-NEXT: func.func(
// STATIC-NEXT: qnt-generalize-elementwise
// STATIC-NEXT: ),
// STATIC-NEXT: qnt-quantize-layers{{.*}}activations=static{{.*}}stats={{.*}}missing.json
// RUN: quant-opt %s --qnt-quantize="activations=dynamic weights=i4" --dump-pass-pipeline 2>&1 >/dev/null | FileCheck %s --check-prefix=DYNAMIC
// DYNAMIC: qnt-name-layers,
// DYNAMIC-NEXT: func.func(
// DYNAMIC-NEXT: tosa-to-linalg-named{{.*}},
// DYNAMIC-NEXT: tosa-to-arith{{.*}},
// DYNAMIC-NEXT: qnt-convert-to-nhwc,
// DYNAMIC-NEXT: qnt-fold-affine-into-layers,
// DYNAMIC-NEXT: qnt-unstuff-transposed-conv{per-phase=true}
// DYNAMIC-NEXT: ),
// DYNAMIC-NEXT: qnt-quantize-layers{{.*}}activations=dynamic{{.*}}weights=i4
// RUN: quant-opt %s --qnt-quantize="activations=none" --dump-pass-pipeline 2>&1 >/dev/null | FileCheck %s --check-prefix=NONE
// NONE: qnt-name-layers,
// NONE-NEXT: func.func(
// NONE-NEXT: qnt-convert-to-nhwc,
// NONE-NEXT: qnt-fold-affine-into-layers,
// NONE-NEXT: qnt-unstuff-transposed-conv{per-phase=true}
// NONE-NEXT: ),
// NONE-NEXT: qnt-quantize-layers
// RUN: quant-opt %s --qnt-quantize="activations=none layout=keep" --dump-pass-pipeline 2>&1 >/dev/null | FileCheck %s --check-prefix=KEEP
// KEEP: qnt-name-layers,
// KEEP-NEXT: func.func(
// KEEP-NEXT: qnt-unstuff-transposed-conv{per-phase=true}
// KEEP-NEXT: ),
// KEEP-NEXT: qnt-quantize-layers
// RUN: not quant-opt %s --qnt-quantize="layout=nchw" 2>&1 | FileCheck %s --check-prefix=BADLAYOUT
// BADLAYOUT: qnt-quantize: unknown layout='nchw' (expected nhwc or keep)
// RUN: not quant-opt %s --qnt-quantize="bogus=1" 2>&1 | FileCheck %s --check-prefix=BAD
// BAD: no such option bogus

// qnt-name-layers records each layer's name, op name and activation type in
// its location, around the original one.
// RUN: quant-opt %s --qnt-name-layers --mlir-print-debuginfo | FileCheck %s --check-prefix=NAMES
// NAMES: linalg.matmul {{.*}} loc(#[[FC1:.*]])
// NAMES: linalg.matmul {{.*}} loc(#[[M1:.*]])
// NAMES-DAG: #[[FC1]] = loc(fused<{qnt.layer = "fc1", qnt.layer_input = tensor<4x8xf32>, qnt.layer_op = "linalg.matmul"}>[#{{.*}}])
// NAMES-DAG: #[[M1]] = loc(fused<{qnt.layer = "linalg.matmul#1", qnt.layer_input = tensor<4x8xf32>, qnt.layer_op = "linalg.matmul"}>[#{{.*}}])

// qnt-generalize-elementwise: linalg.add becomes a generic; the layer and
// the fill stay.
// RUN: quant-opt %s --qnt-generalize-elementwise | FileCheck %s --check-prefix=GEN
// GEN: linalg.fill
// GEN: linalg.matmul
// GEN: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]
// GEN: arith.addf
// GEN-NOT: linalg.add

// qnt-quantize-layers on its own names the layers itself and puts the
// locations back: the quantized layer keeps its name location.
// RUN: quant-opt %s --qnt-quantize-layers --mlir-print-debuginfo 2>/dev/null | FileCheck %s --check-prefix=LAYERS
// LAYERS: qnt.contract {{.*}} loc(#[[L:.*]])
// LAYERS: #[[L]] = loc("fc1")

func.func @f(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %w = arith.constant dense<0.5> : tensor<8x8xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  %y = linalg.matmul ins(%x, %w : tensor<4x8xf32>, tensor<8x8xf32>) outs(%f : tensor<4x8xf32>) -> tensor<4x8xf32> loc("fc1")
  %y2 = linalg.matmul ins(%y, %w : tensor<4x8xf32>, tensor<8x8xf32>) outs(%f : tensor<4x8xf32>) -> tensor<4x8xf32>
  %b = arith.constant dense<1.0> : tensor<4x8xf32>
  %s = linalg.add ins(%y2, %b : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) -> tensor<4x8xf32>
  return %s : tensor<4x8xf32>
}
