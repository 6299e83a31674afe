// Tests quant-run's errors; none of them may create the output directory.
// RUN: rm -rf %t

// RUN: not quant-run %s --entry nope --input %S/Inputs/f32_4.npy --output-dir %t 2>&1 | FileCheck %s --check-prefix=ENTRY
// ENTRY: error: no function named '@nope' in the module (functions: @f, @i4, @f8)

// RUN: not quant-run %s --entry helper --input %S/Inputs/f32_4.npy --output-dir %t 2>&1 | FileCheck %s --check-prefix=PRIVATE
// PRIVATE: error: function '@helper' is private; only public functions can be run

// RUN: not quant-run %s --entry f --output-dir %t 2>&1 | FileCheck %s --check-prefix=COUNT
// COUNT: error: function '@f' takes 1 input(s), got 0

// RUN: not quant-run %s --entry f --input %S/Inputs/f32_5.npy --output-dir %t 2>&1 | FileCheck %s --check-prefix=SHAPE
// SHAPE: error: input #0 ({{.*}}f32_5.npy): dimension 0 of tensor<4xf32> is 4, the array has 5

// RUN: not quant-run %s --entry f --input %S/Inputs/f32_2x4.npy --output-dir %t 2>&1 | FileCheck %s --check-prefix=RANK
// RANK: error: input #0 ({{.*}}f32_2x4.npy): expected a rank-1 array for tensor<4xf32>, got rank 2

// RUN: not quant-run %s --entry f --input %S/Inputs/f64_4.npy --output-dir %t 2>&1 | FileCheck %s --check-prefix=DTYPE
// DTYPE: error: input #0 ({{.*}}f64_4.npy): tensor<4xf32> is exchanged as float32, got float64

// RUN: not quant-run %s --entry f --input %S/Inputs/missing.npy --output-dir %t 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: {{.*}}missing.npy

// RUN: not quant-run %s --entry f --input %S/Inputs/not_npy.npy --output-dir %t 2>&1 | FileCheck %s --check-prefix=MALFORMED
// MALFORMED: error: {{.*}}not_npy.npy: {{.*}}magic

// RUN: not quant-run %s --entry i4 --input %S/Inputs/i8_4_out_of_i4.npy --output-dir %t 2>&1 | FileCheck %s --check-prefix=RANGE
// RANGE: error: input #0 ({{.*}}): element 2 (8) does not fit tensor<4xi4>, range [-8, 7]

// RUN: not quant-run %s --entry f8 --input %S/Inputs/f32_4_not_f8.npy --output-dir %t 2>&1 | FileCheck %s --check-prefix=F8
// F8: error: input #0 ({{.*}}): element 1 (0.30) is not a value of tensor<4xf8E4M3FN>

// RUN: not quant-run %S/Inputs/does-not-exist.mlir --entry f 2>&1 | FileCheck %s --check-prefix=NOFILE
// NOFILE: error: cannot open input file

// RUN: not test -e %t

func.func @f(%x: tensor<4xf32>) -> tensor<4xi8> {
  %q = qnt.quantize %x : tensor<4xf32> to tensor<4xi8> as #qnt.params<i8, scales = [0.5]>
  return %q : tensor<4xi8>
}

func.func @i4(%q: tensor<4xi4>) -> tensor<4xf32> {
  %x = qnt.dequantize %q : tensor<4xi4> to tensor<4xf32> as #qnt.params<i4, scales = [0.5]>
  return %x : tensor<4xf32>
}

func.func @f8(%q: tensor<4xf8E4M3FN>) -> tensor<4xf32> {
  %x = qnt.dequantize %q : tensor<4xf8E4M3FN> to tensor<4xf32> as #qnt.params<f8E4M3FN, scales = [0.5]>
  return %x : tensor<4xf32>
}

func.func private @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
