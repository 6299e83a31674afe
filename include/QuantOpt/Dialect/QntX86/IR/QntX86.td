//===- QntX86.td - x86 dot products for the qnt kernels ----*- tablegen -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_DIALECT_QNTX86_IR_QNTX86_TD
#define QUANTOPT_DIALECT_QNTX86_IR_QNTX86_TD

include "mlir/IR/OpBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

def QntX86_Dialect : Dialect {
  let name = "qnt_x86";
  let cppNamespace = "::mlir::qnt_x86";
  let summary = "x86 dot products the qnt kernels are built from";
  let description = [{
    Target-specific ops of QuantOpt's x86 kernels, kept apart from the
    target-neutral `qnt` dialect. `qnt-vnni-matmul` builds its micro-kernels
    from them and `qnt-lower-dot` lowers them to the VNNI intrinsics or to
    portable vector code.
  }];
}

class QntX86_Op<string mnemonic, list<Trait> traits = []>
    : Op<QntX86_Dialect, mnemonic, traits>;

def QntX86_DotU8I8Op : QntX86_Op<"dot_u8i8", [Pure,
    AllTypesMatch<["acc", "result"]>, AllTypesMatch<["a", "b"]>]> {
  let summary = "Sums of four u8 x i8 products into i32 lanes (vpdpbusd)";
  let description = [{
    For each i32 lane `l`: `acc[l] + sum_{r<4} zext(a[4l+r]) * sext(b[4l+r])`
    with wrapping i32 arithmetic: the semantics of x86's vpdpbusd. The VNNI
    kernels of `qnt-vnni-matmul` build on it; `qnt-lower-dot` turns it into
    `llvm.x86.avx512.vpdpbusd.512` (16 lanes) or
    `llvm.x86.avx512.vpdpbusd.256` (8 lanes) after bufferization, or into
    portable vector code (`isa=generic`).

    ```mlir
    %r = qnt_x86.dot_u8i8 %acc, %a, %b : vector<64xi8> into vector<16xi32>
    ```
  }];
  let arguments = (ins VectorOfLengthAndType<[8, 16], [I32]>:$acc,
      VectorOfLengthAndType<[32, 64], [I8]>:$a,
      VectorOfLengthAndType<[32, 64], [I8]>:$b);
  let results = (outs VectorOfLengthAndType<[8, 16], [I32]>:$result);
  let assemblyFormat = [{
    $acc `,` $a `,` $b attr-dict `:` type($a) `into` type($acc)
  }];
  let hasVerifier = 1;
}

def QntX86_DotBF16Op : QntX86_Op<"dot_bf16", [Pure,
    AllTypesMatch<["acc", "result"]>, AllTypesMatch<["a", "b"]>]> {
  let summary = "Two bf16 products added in turn to each f32 lane (vdpbf16ps)";
  let description = [{
    For each f32 lane `l`: `fma(a[2l], b[2l], fma(a[2l+1], b[2l+1],
    acc[l]))`, the products exact (bf16 x bf16 fits in f32) and each
    addition rounded to nearest even: the odd element first, as x86's
    vdpbf16ps computes it (measured bit for bit on this project's machines).
    The bf16 kernels of `qnt-f32-matmul` put a pair's first k in the odd
    element, so that the sums run in the reference lowering's order.
    `qnt-lower-dot` turns it into `llvm.x86.avx512bf16.dpbf16ps.512` on
    CPUs with AVX512-BF16 (which treats bf16 denormals as zero and flushes
    denormal results), else into the same two fused multiply-adds on vectors
    widened to f32 (`bf16=generic`).

    ```mlir
    %r = qnt_x86.dot_bf16 %acc, %a, %b : vector<32xbf16> into vector<16xf32>
    ```
  }];
  let arguments = (ins VectorOfLengthAndType<[16], [F32]>:$acc,
      VectorOfLengthAndType<[32], [BF16]>:$a,
      VectorOfLengthAndType<[32], [BF16]>:$b);
  let results = (outs VectorOfLengthAndType<[16], [F32]>:$result);
  let assemblyFormat = [{
    $acc `,` $a `,` $b attr-dict `:` type($a) `into` type($acc)
  }];
}

def QntX86_LookupBytesOp : QntX86_Op<"lookup_bytes", [Pure,
    AllTypesMatch<["indices", "result"]>]> {
  let summary = "Bytes read from a 16-entry table by 4-bit indices (vpshufb)";
  let description = [{
    For each byte `i`: `table[indices[i] & 15]`, where every index must lie
    in [0, 127] (x86's vpshufb gives 0 for indices with the top bit set).
    The group-wise kernels of `qnt-block-matmul` decode packed MXFP4 codes
    with it: the nibbles, unpacked to one byte each, index the table of the
    bytes `vpdpbusd` reads. `qnt-lower-dot` turns it into
    `llvm.x86.avx512.pshuf.b.512` (64 bytes with `isa=vnni`; AVX512BW,
    which every AVX512-VNNI CPU has) or `llvm.x86.avx2.pshuf.b` (32 bytes;
    64 as two halves with `isa=avx2`), the table repeated in every 128-bit
    lane, or into 15 compares and selects (`isa=generic`).

    ```mlir
    %u = qnt_x86.lookup_bytes %codes table = [12, 13, 14, 15, 16, 18, 20, 24, 12, 11, 10, 9, 8, 6, 4, 0] : vector<64xi8>
    ```
  }];
  let arguments = (ins VectorOfLengthAndType<[32, 64], [I8]>:$indices,
      DenseI8ArrayAttr:$table);
  let results = (outs VectorOfLengthAndType<[32, 64], [I8]>:$result);
  let assemblyFormat = [{
    $indices `table` `=` $table attr-dict `:` type($indices)
  }];
  let hasVerifier = 1;
}

#endif // QUANTOPT_DIALECT_QNTX86_IR_QNTX86_TD
