// RUN: quant-opt %s --qnt-quantize="embeddings=true" 2>&1 | FileCheck %s
// RUN: rm -rf %t && quant-opt %s --qnt-quantize="embeddings=true" -o %t.mlir && quant-run %t.mlir --entry main --input %S/Inputs/tokens-2-0.npy --output-dir %t
// RUN: %python -c "import numpy as np; a = np.load('%t/out0.npy'); e = np.array([[0, 0.5, -64 * np.float32(0.5 / 127)], [1.27, -0.64, 0.2]], np.float32); print(np.allclose(a, e, rtol=1e-6, atol=0))" | FileCheck %s --check-prefix=EXEC
// RUN: quant-opt %s --qnt-quantize 2>&1 | FileCheck %s --check-prefix=OFF

// An embedding (a gather from a constant table, as quant-import-onnx writes
// ONNX's Gather) is quantized weight-only with embeddings=true: per row
// (token), i8 symmetric narrow. Row 0 [1.27, -0.635, 0.2]: s = 1.27 / 127 =
// 0.01, q = [127, round(-63.5) = -64 (half to even), 20], read back as
// [1.27, -0.64, 0.2]; row 2 [0, 0.5, -0.25]: s = 0.5 / 127, q = [0, 127,
// round(-63.5) = -64], read back as [0, 0.5, -0.251969]. Tokens [2, 0].
// CHECK: remark: embedding table quantized weight-only (i8 symmetric per-channel, per row)
// CHECK: remark: qnt-quantize: 0 layer(s): 0 integer, 0 weight-only, 0 kept in float, 1 embedding table(s) weight-only
// CHECK: %[[Q:.*]] = arith.constant dense<{{\[\[}}127, -64, 20], [{{.*}}], [0, 127, -64]]> : tensor<3x3xi8>
// CHECK: %[[T:.*]] = qnt.dequantize %[[Q]] : tensor<3x3xi8> to tensor<3x3xf32> as #qnt.params<i8, narrow, axis = 0, scales = [0.01, {{.*}}, 0.003937008]>
// CHECK-NOT: arith.constant dense<{{.*}}> : tensor<3x3xf32>
// CHECK: tensor.extract %[[T]]
// EXEC: True
// OFF-NOT: qnt.dequantize
func.func @main(%tokens: tensor<2xi64>) -> tensor<2x3xf32> {
  %table = arith.constant dense<[[1.27, -0.635, 0.2], [0.3, 0.1, -0.2], [0.0, 0.5, -0.25]]> : tensor<3x3xf32>
  %e = tensor.empty() : tensor<2x3xf32>
  %y = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i)>, affine_map<(i, j) -> (i, j)>], iterator_types = ["parallel", "parallel"]} ins(%tokens : tensor<2xi64>) outs(%e : tensor<2x3xf32>) {
  ^bb0(%t: i64, %o: f32):
    %row = arith.index_cast %t : i64 to index
    %col = linalg.index 1 : index
    %v = tensor.extract %table[%row, %col] : tensor<3x3xf32>
    linalg.yield %v : f32
  } -> tensor<2x3xf32> loc("tok")
  return %y : tensor<2x3xf32>
}
