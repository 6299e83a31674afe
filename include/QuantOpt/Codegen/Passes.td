//===- Passes.td - QuantOpt code generation passes ---------*- tablegen -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_CODEGEN_PASSES_TD
#define QUANTOPT_CODEGEN_PASSES_TD

include "mlir/Pass/PassBase.td"

def QntVnniMatmul : Pass<"qnt-vnni-matmul", "::mlir::func::FuncOp"> {
  let summary = "AVX512-VNNI kernels with fused epilogues for u8 x i8 matmuls and convolutions";
  let description = [{
    Rewrites the integer contraction of each matmul (2-D, or batched with
    one batch), convolution (NHWC/HWCF, NHWC/FHWC, NCHW/FCHW through two
    transposes) and NHWC depthwise convolution layer (the `linalg.generic`
    `acc + ext(a) * ext(w)` that `convert-qnt-to-linalg` builds for a
    `qnt.contract`: u8 or i8 activations, constant i8 weights, i32
    accumulator from zeros) into a register-tiled loop nest on
    weights packed at compile time in vpdpbusd order
    (`[ceil(N/16)][ceil(K/4)][16][4]`, zero-padded; a tensor constant that
    bufferization makes a global): four rows share every 64-byte weight
    load, sixteen columns per `qnt_x86.dot_u8i8` (vpdpbusd), accumulators in
    registers over K, masked loads for a K tail and masked stores for an N
    tail. Convolutions with one input channel (or two and at most 8
    filters; at most 16) take 16 output pixels per vector instead, one
    accumulator per filter, each pixel's four window bytes shuffled out of
    one load of the input row (first layers). The chain of element-wise generics that consumes the contraction
    (zero-point correction, scales, bias, requantization on the float or Q31
    path, clamps, activations) is applied to the accumulators in registers
    before the store (a fused epilogue). The loop nest is the body of a
    `qnt.kernel`, so one-shot bufferization chooses its buffers. The result
    is bit-exact with the reference path. Other contractions keep the
    reference loops with a remark. `lanes=8` builds 256-bit kernels
    (AVX-VNNI) instead of 512-bit ones (docs/Codegen.md). The rewrites are
    `populateQntVnniMatmulPatterns`.
  }];
  let options = [
    Option<"lanes", "lanes", "int64_t", /*default=*/"16",
           "i32 lanes per vector: 16 (512-bit) or 8 (256-bit)">,
    Option<"parallel", "parallel", "bool", /*default=*/"false",
           "distribute the column-block groups with scf.parallel">,
    Option<"amx", "amx", "bool", /*default=*/"false",
           "2-D matmuls of i8 weights on AMX tiles (tdpbusd/tdpbssd; needs "
           "AMX-INT8 and the OS's permission at run time)">,
    Option<"threads", "threads", "int64_t", /*default=*/"1",
           "with parallel: the threads; a one-row matmul of at most four "
           "column blocks (N <= 64 at 16 lanes) shares its K among them">,
    Option<"minParallelDots", "min-parallel-dots", "int64_t", /*default=*/"-1",
           "with parallel: multiply-adds (M x K x N) below which a matmul "
           "runs on one thread, an OpenMP fork costing more than it shares "
           "(a run-time test when M is dynamic); -1: the measured default, "
           "2^18; 0: always share">,
  ];
  let dependentDialects = ["::mlir::amx::AMXDialect", "::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::qnt::QntDialect",
                           "::mlir::qnt_x86::QntX86Dialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::vector::VectorDialect"];
}

def QntVectorizeElementwise : Pass<"qnt-vectorize-elementwise", "::mlir::func::FuncOp"> {
  let summary = "SIMD loops for element-wise generics and min/max reductions";
  let description = [{
    Gives the element-wise `linalg.generic`s no kernel fused (quantizing an
    activation, dequantizing, bias and activation functions on their own)
    loops over vectors: the body runs op for op on vectors of `lanes`
    elements (every op of the body must be element-wise mappable, arith or
    math), over all elements in one dimension when every input is read
    through the identity map or is uniform, else along the last dimension,
    with one masked tail (inputs may also be read with 0 for a dimension of
    size 1, a keepdims reduction's result). Reductions whose every result is a minimum or
    maximum of the accumulator and a value of the input (optionally under a
    select on the input, as the range reduction of `qnt.dynamic_quantize`),
    or an integer sum (the activation row sums of asymmetric weights), keep
    one vector of partial results each and combine them with
    `vector.reduction`; minimum, maximum and wrapping integer addition do
    not depend on the order, so the results are the reference's (up to the
    sign of a zero extreme when both +0 and -0 occur). With
    `reassociate-float-sums` (the default of `--qnt-codegen sums=vector`),
    float sums (`acc + e`: the means of layer norm, softmax's denominator)
    are reduced the same way, each lane summing every `lanes`-th element and
    the lanes combined as a tree: a different rounding order from the
    reference's, within the bound docs/Codegen.md states. A result may be
    indexed by the parallel loops alone or followed by zeros for dimensions
    of size 1 (a keepdims reduction). Bodies with integer division (which masked padding lanes would
    trap on) and i1 tensors are left as they are, as are other generics
    (docs/Codegen.md). Element-wise loops are written on tensors
    (destination-passing), reductions in a `qnt.kernel`. NHWC pooling
    (maximum, minimum, unsigned or not, and sums) runs on vectors along the
    channels in a `qnt.kernel`, each window accumulated in the op's order by
    the op's body (the reference's bits). The rewrites are
    `populateQntVectorizeElementwisePatterns`.
  }];
  let options = [
    Option<"lanes", "lanes", "int64_t", /*default=*/"16",
           "elements per vector (of 32-bit elements): 16 or 8">,
    Option<"reassociateFloatSums", "reassociate-float-sums", "bool",
           /*default=*/"false",
           "vectorize float sums too, in lanes combined as a tree (not the "
           "reference's rounding order)">,
    Option<"threads", "threads", "int64_t", /*default=*/"1",
           "with more than 1, loops of at least 2^15 elements share their "
           "outermost loop among the threads (element-wise: scf.forall "
           "over shares of the elements or rows; reductions: scf.parallel "
           "over rows)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::qnt::QntDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::vector::VectorDialect"];
}

def QntF32Matmul : Pass<"qnt-f32-matmul", "::mlir::func::FuncOp"> {
  let summary = "Register-tiled f32 kernels for matmuls and convolutions with constant weights";
  let description = [{
    Rewrites each 2-D `linalg.matmul` of f32 with a constant weight into the
    structure of the VNNI kernels (docs/Codegen.md): weights packed at compile
    time as `[ceil(N/16)][K][16]` (a tensor constant), four rows per
    tile sharing every weight load, `vector.fma` with a broadcast activation,
    accumulators in registers over K starting from the init, masked loads and
    stores for an N tail. `conv_2d_nhwc_hwcf` with constant f32 weights
    gets the structure of the int8 convolution kernel (weights
    `[ceil(F/16)][KH*KW][C][16]`, four output pixels per tile), and
    `depthwise_conv_2d_nhwc_hwc` a lane per channel (weights
    `[ceil(C/16)][KH*KW][16]`, contiguous channel loads). As in the
    integer kernels, the chain of element-wise generics that consumes the
    result (bias, activation) is applied to the accumulators before they
    are stored. This keeps int8-against-fp32 comparisons fair. The loop nests are bodies of
    `qnt.kernel`s; the rewrites are `populateQntF32MatmulPatterns`.

    f16 layers (`--qnt-quantize weights=f16`): the activation is widened to
    f32 by an element-wise generic before the kernel (one conversion per
    element, not per use); a matmul keeps its weights packed as f16 in f32's
    layout and widens each weight vector as it loads (half the bytes: M = 1
    runs from memory at twice f32's speed), or, from 16 rows on, widens a
    column group's weights once into an f32 panel that the group's row tiles
    read (as `qnt-weight-only-matmul`); convolution weights are packed
    widened to f32 at compile time. Products of f16 values are exact in f32,
    so the kernels equal the reference bit for bit.

    Weight-only convolutions (weights from `qnt.dequantize` of a constant,
    f32 result) get the f32 kernels too: the dequantized values are folded
    at compile time with the numerics library's formula (the values the
    reference lowering computes on every call); a convolution's weights are
    small and each is read once per output pixel.
  }];
  let options = [
    Option<"parallel", "parallel", "bool", /*default=*/"false",
           "distribute the column-block groups with scf.parallel">,
    Option<"threads", "threads", "int64_t", /*default=*/"1",
           "with parallel: the number of workers the column groups of an "
           "f16 matmul with many rows are shared among, each with its own "
           "panel of widened weights (1: no panels with threads, the "
           "kernel widens as it loads)">,
    Option<"minParallelDots", "min-parallel-dots", "int64_t", /*default=*/"-1",
           "with parallel: multiply-adds (M x K x N) below which a matmul "
           "runs on one thread, an OpenMP fork costing more than it shares "
           "(a run-time test when M is dynamic); -1: the measured default, "
           "2^16; 0: always share">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::qnt::QntDialect",
                           "::mlir::qnt_x86::QntX86Dialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::vector::VectorDialect"];
}

def QntWeightOnlyMatmul : Pass<"qnt-weight-only-matmul", "::mlir::func::FuncOp"> {
  let summary = "Kernels for f32 x int8/int4 weight-only matmuls";
  let description = [{
    Rewrites each f32 `linalg.matmul` whose weight is `qnt.dequantize` of a
    constant i8 or i4 (packed or not) weight with per-tensor or per-output-
    channel scales and zero points 0 into a kernel that streams the stored
    integers (repacked at compile time: 16 bytes, or 8 bytes of two nibbles,
    per k and 16 columns), sign-extends and converts them in registers, and
    accumulates `vector.fma`s in 4x4 register tiles; the scales multiply the
    sums once at the end, then the init is added (docs/Codegen.md). The loop
    nest is the body of a `qnt.kernel`; the rewrite is
    `populateQntWeightOnlyMatmulPatterns`.
  }];
  let options = [
    Option<"parallel", "parallel", "bool", /*default=*/"false",
           "distribute the column-block groups with scf.parallel">,
    Option<"threads", "threads", "int64_t", /*default=*/"1",
           "with parallel: the number of workers the column groups are "
           "shared among, each with its own panel of dequantized weights "
           "(1: no panels with threads, the kernel streams)">,
    Option<"minParallelDots", "min-parallel-dots", "int64_t", /*default=*/"-1",
           "with parallel: multiply-adds (M x K x N) below which a matmul "
           "runs on one thread, an OpenMP fork costing more than it shares "
           "(a run-time test when M is dynamic); -1: the measured default, "
           "2^16; 0: always share">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::qnt::QntDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::vector::VectorDialect"];
}

def QntBlockMatmul : Pass<"qnt-block-matmul", "::mlir::func::FuncOp"> {
  let summary = "VNNI kernels for group-wise int4/int8 x int8 matmuls (qnt.contract's block form)";
  let description = [{
    Rewrites each `qnt.contract` with per-block weights (its block form:
    group-wise i4, u4, i8 or u8 weights with scales and optional zero points
    per block of `B` rows of K, or MXFP4 / MXFP6 E2M3 / NVFP4 codes read as
    the integers `f * value`, times i8 or u8 activations quantized per
    tensor, per row or per row and block) of a 2-D matmul with a constant
    weight and `B % 4 == 0` into a `qnt.kernel`: the weights are stored as
    unsigned bytes `q_w + c_w` (4-bit ones as nibbles; MXFP4 codes as
    nibbles that `qnt_x86.lookup_bytes` turns into `2 * value + 12`) in
    vpdpbusd's order
    and multiply the signed activation bytes; per block, fresh int32
    accumulators are corrected by the block's activation sum (computed once
    per call) and, unless the activations' zero point is known to be 0, by
    the block's weight sums, converted, and added to running f32 sums with
    one fused multiply-add by `s_x * s_w`, which gives the reference
    lowering's bits (docs/Codegen.md). Other block-form layers keep the
    reference loops with a remark saying why. The rewrite is
    `populateQntBlockMatmulPatterns`.
  }];
  let options = [
    Option<"lanes", "lanes", "int64_t", /*default=*/"16",
           "i32 lanes per vector: 16 (AVX512) or 8 (256-bit)">,
    Option<"parallel", "parallel", "bool", /*default=*/"false",
           "distribute the column-block groups with scf.parallel">,
    Option<"threads", "threads", "int64_t", /*default=*/"1",
           "with parallel: the number of workers the column groups are "
           "shared among, each with its own panel of unpacked 4-bit weights "
           "(1: no panels with threads)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::memref::MemRefDialect",
                           "::mlir::qnt::QntDialect",
                           "::mlir::qnt_x86::QntX86Dialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::tensor::TensorDialect",
                           "::mlir::vector::VectorDialect"];
}

def QntPolynomialMath : Pass<"qnt-polynomial-math", "::mlir::func::FuncOp"> {
  let summary = "f32 math functions as polynomial approximations (vectorizable)";
  let description = [{
    Rewrites the f32 math ops named in `ops` (scalars and vectors) into
    upstream MLIR's polynomial approximations
    (`populateMathPolynomialApproximationPatterns`): arithmetic that stays
    in vector registers, where the libm lowering calls a scalar function per
    element. The approximations are not libm's bit for bit:
    docs/Codegen.md states the ulp bounds measured against NumPy and
    `test/Codegen/polynomial-math.test` checks them, edge inputs included
    (+-0, denormals, +-Inf, NaN, large magnitudes). `--qnt-codegen` runs it
    unless `math=libm`.
  }];
  let options = [
    ListOption<"ops", "ops", "std::string",
               "math ops to approximate (default: exp, expm1, log, log1p, "
               "log2, tanh, erf)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::vector::VectorDialect"];
}

def QntFuseElementwise : Pass<"qnt-fuse-elementwise", "::mlir::func::FuncOp"> {
  let summary = "Chains of element-wise linalg.generic ops as one generic";
  let description = [{
    Upstream's element-wise fusion (`linalg::populateElementwiseOpsFusion-
    Patterns`) restricted to element-wise generics (parallel loops only, on
    tensors) whose producer is used by the consumer alone: an activation
    an importer spells op by op (HardSwish as `x + 3`, a clip, a product
    and a division) becomes one generic, one pass over memory, which the
    f32 kernels then fuse into their stores. Contractions, reductions and
    producers with other users are left as they are. First in
    `--qnt-codegen` after the layout conversion; the patterns are
    `populateQntFuseElementwisePatterns`. With `producers-only`, only the
    fusion itself (`populateQntFuseElementwiseProducersPatterns`), not
    upstream's folding of splat constants, fills and unused inits into
    generics: `--qnt-codegen` runs it so a second time after the qnt
    lowering, where `qnt.quantize`/`dequantize` are generics (a float op no
    kernel takes and the quantization of its result become one pass) and
    the integer contractions are generics too (a splat weight folded into
    one would hide it from the kernels).
  }];
  let options = [
    Option<"producersOnly", "producers-only", "bool", /*default=*/"false",
           "Only fuse producers into consumers (no folding of constants, "
           "fills and inits)">
  ];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def QntStridedCopies : Pass<"qnt-strided-copies", "::mlir::func::FuncOp"> {
  let summary = "Non-contiguous memref.copy as linalg.copy loops";
  let description = [{
    After bufferization: a `memref.copy` that the LLVM lowering would not
    turn into `llvm.memcpy` (a strided source or target, such as the
    interior of a padded tensor) becomes `linalg.copy`, whose loops LLVM
    unrolls and vectorizes, instead of a call of the runner utilities'
    `memrefCopy`, which moves one element at a time through generic index
    arithmetic. A fill of a whole buffer (`linalg.fill`, or the input-less
    `linalg.map` a bufferized `tensor.pad` writes) whose interior box a later
    copy overwrites, with no other access to the buffer in between, fills
    only the border (at most two slabs per dimension), so that the interior
    is written once. Part of `--qnt-codegen`; the rewrites are
    `populateQntStridedCopiesPatterns`.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def QntVectorizeCopyLoops : Pass<"qnt-vectorize-copy-loops", "::mlir::func::FuncOp"> {
  let summary = "Element-by-element copy loops as vector loads and stores";
  let description = [{
    After the linalg ops became loops: an innermost `scf.for` from 0 with
    step 1 whose body is a `memref.load` and a `memref.store` of the loaded
    value, both indexed by the induction variable in their innermost
    dimension of unit stride, on two buffers that cannot overlap (different
    allocations, one of them a `memref.alloc`/`alloca` of the function),
    becomes a loop of 64-byte `vector.load`/`vector.store` and one
    `vector.maskedload`/`maskedstore` for the rest, so that the copies into a
    concatenation's slices and a padded tensor's interior do not depend on
    LLVM vectorizing them (which it did not). Part of `--qnt-codegen`; the
    rewrite is `populateQntVectorizeCopyLoopsPatterns`.
  }];
  let dependentDialects = ["::mlir::vector::VectorDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect"];
}

def QntParallelLoops : Pass<"qnt-parallel-loops", "::mlir::func::FuncOp"> {
  let summary = "The ops no kernel took as loops whose outer parallel dimensions are an scf.parallel";
  let description = [{
    After bufferization, with `--qnt-codegen threads=N` (N > 1): each linalg
    op on buffers outside a parallel loop (padding copies, pooling,
    transposes, fills, element-wise code no kernel fused) becomes its
    `scf.for` nest (`linalg::linalgOpToLoops`) with its outermost parallel
    loops, as many as it takes for their static trip counts to reach 4 x
    `threads` iterations (a dynamic trip count suffices), turned into one
    `scf.parallel`; the inner loops stay plain loops that LLVM vectorizes.
    Ops of fewer than 2^15 iterations in all stay on one thread (waking the
    others costs more).
    Upstream's `convert-linalg-to-parallel-loops` makes every parallel
    dimension parallel, which the OpenMP conversion collapses into one index
    per element (two threads ran the CNN slower than one). The rewrite is
    `populateQntParallelLoopsPatterns`.
  }];
  let options = [
    Option<"threads", "threads", "int64_t", /*default=*/"2",
           "threads the loops are shared among">,
  ];
  let dependentDialects = ["::mlir::scf::SCFDialect"];
}

def QntLibmExpm1Log1p : Pass<"qnt-libm-expm1-log1p", "::mlir::ModuleOp"> {
  let summary = "math.expm1 and math.log1p as libm calls";
  let description = [{
    LLVM's lowering of `math.expm1` and `math.log1p` computes `exp(x) - 1`
    and `log(1 + x)`, which lose every digit near 0 (millions of ulps).
    This pass, which both `--qnt-lower-to-llvm` and `--qnt-codegen` run
    before the math lowering, calls libm's `expm1f`/`log1pf` (`expm1`/`log1p`
    for f64) instead, element by element for vectors (upstream's
    `populateMathToLibmConversionPatterns`, applied to those two ops only).
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::vector::VectorDialect"];
}

def QntExpandMath : Pass<"qnt-expand-math"> {
  let summary = "The math ops without an LLVM lowering, in arith";
  let description = [{
    Upstream's math-to-LLVM and math-to-libm conversions leave three ops
    without a lowering, so that a model containing one failed to compile.
    This pass, which both `--qnt-lower-to-llvm` and `--qnt-codegen` run
    before the math lowering (scalars and vectors alike), rewrites them:
    - `math.isinf x`: `|x| == inf` (ordered: false for NaN; false for a
      type without infinities, such as f8E4M3FN);
    - `math.isnormal x`: `smallest normal <= |x| < inf` (ordered; `<=` the
      largest finite value for a type without infinities);
    - `math.clampf x to [lo, hi]`: `minimumf(maximumf(x, lo), hi)`, in
      `np.clip`'s order: NaN in any operand gives NaN, and -0 < +0.
      (Upstream's `math-expand-ops`
      follows the op's documented formula `maxf(minf(x, lo), hi)`, which
      gives `hi` for every `x` when `lo < hi`.)
    `math.ipowi` and `math.fpowi` take upstream's `convert-math-to-funcs`
    (exact repeated squaring, one call per element of a vector), which the
    pipelines run after this pass. The rewrite is
    `populateQntExpandMathPatterns`.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect"];
}

def QntSingleShare : Pass<"qnt-single-share", "::mlir::func::FuncOp"> {
  let summary = "One-iteration parallel loops run inline, without an OpenMP fork";
  let description = [{
    With `--qnt-codegen threads=N`, before `convert-scf-to-openmp`: each
    outermost `scf.parallel` (without reductions) whose static trip counts
    do not guarantee two iterations is wrapped in `scf.if (trips == 1)`,
    whose then branch runs the body inline on the calling thread with the
    lower bounds as its indices; the else branch is the loop (a loop of one
    iteration statically becomes its body). An OpenMP
    fork and join costs about 1.5-2 us here even when one thread has all
    the work, and with dynamic sizes a one-row input (M = 1) gives the
    kernels one (column group, row share) pair, a row reduction one row and
    a small element-wise op one share. The rewrite of one loop is
    `quantopt::guardSingleShare`.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::scf::SCFDialect"];
}

def QntReciprocalDivision : Pass<"qnt-reciprocal-division", "::mlir::func::FuncOp"> {
  let summary = "Vector divisions before a rounding to integers through the reciprocal, exactly";
  let description = [{
    Quantization divides (`round(x / s)`), and a 16-lane `vdivps` costs
    about ten cycles of throughput. Each 1-D f32 `arith.divf` on vectors
    whose divisor is uniform (a broadcast scalar or a splat constant) and
    whose result only feeds `math.roundeven`, `math.round` and NaN tests
    (`arith.cmpf uno|ord %q, %q`) becomes
    `t = x * (1 / s)` behind a test: when every lane of `t` is farther than
    2^-20 |t| from its nearest half-integer, `t` rounds to the integers
    `x / s` rounds to (the two differ by at most 2^-21 |t|: derivation in
    ReciprocalDivision.cpp), and the vector takes it; otherwise (a lane
    near a tie, |t| >= 2^19, NaN, infinity, a divisor that is 0, NaN or
    above 2^126, whose reciprocal would be subnormal) an `scf.if` divides.
    Divisions already inside an `scf.if` (the slow path's own) are left
    alone. The rounded results are the
    division's, bit for bit. Run by `--qnt-codegen` after the element-wise
    vectorization; the pattern is `populateQntReciprocalDivisionPatterns`.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::scf::SCFDialect",
                           "::mlir::vector::VectorDialect"];
}

def QntSingleLaneStores : Pass<"qnt-single-lane-stores", "::mlir::ModuleOp"> {
  let summary = "Masked stores of one lane as scalar stores (an LLVM 22 x86 miscompile)";
  let description = [{
    Replaces each `llvm.intr.masked.store` of a fixed 1-D vector whose
    constant mask has exactly one active lane with `llvm.extractelement` and
    a scalar `llvm.store` to that lane's address. LLVM 22's x86 backend,
    with AVX-512, emits such a store of a vector truncated from wider
    integers (`trunc <16 x i32> to <16 x i8>`) as a 4-byte store of the
    untruncated lane, overwriting the three bytes after it: the last vector
    of a row whose length leaves one element (N = 33) clobbered the next
    row. Runs in `--qnt-codegen` after `convert-vector-to-llvm`; the
    rewrite is `populateQntSingleLaneStoresPatterns`.
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def QntLowerDot : Pass<"qnt-lower-dot", "::mlir::ModuleOp"> {
  let summary = "Lower qnt_x86.dot_u8i8, dot_bf16 and lookup_bytes to x86 intrinsics or portable vector code";
  let description = [{
    With `isa=vnni`, replaces `qnt_x86.dot_u8i8` with `llvm.call_intrinsic
    "llvm.x86.avx512.vpdpbusd.512"` (16 lanes) or `".256"` (8 lanes, which
    LLVM encodes as AVX-VNNI or AVX512-VNNI/VL). With `isa=generic`, with
    portable vector ops instead: widen both operands to i32, multiply, and
    add each group of four products to its lane (four `vector.shuffle`s and
    adds), for CPUs without VNNI. With `isa=avx2`, with AVX2's
    `llvm.x86.avx2.pmadd.ub.sw` (vpmaddubsw) and `.pmadd.wd` (vpmaddwd) on
    the weight split as `2 * (b >> 1) + (b & 1)`, so that no i16 pair sum
    saturates: exact, unlike the saturating use of vpmaddubsw (16 lanes as
    two halves). `qnt_x86.lookup_bytes` becomes `vpshufb`
    (`llvm.x86.avx512.pshuf.b.512` with `isa=vnni`, `llvm.x86.avx2.pshuf.b`
    on 32 bytes, and on 64 as two halves with `isa=avx2`) or compares and
    selects (`isa=generic`). `isa=host` (default) picks `vnni` when the CPU
    running the compiler has AVX512-VNNI (16 lanes) or AVX512-VNNI/VL or
    AVX-VNNI (8 lanes), `avx2` when it has AVX2, `generic` otherwise; quant-run compiles on the CPU that
    runs the code, so this is the JIT choice. Runs after bufferization in
    `--qnt-codegen` (deallocation does not accept the intrinsic call, whose
    effects it cannot see).
  }];
  let options = [
    Option<"isa", "isa", "std::string", /*default=*/"\"host\"",
           "host, vnni, avx2 or generic">,
    Option<"bf16", "bf16", "std::string", /*default=*/"\"host\"",
           "qnt_x86.dot_bf16: host (avx512 when the CPU has AVX512-BF16), "
           "avx512 (vdpbf16ps) or generic (fused multiply-adds)">,
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::vector::VectorDialect"];
}

def QntBufferCache : Pass<"qnt-buffer-cache", "::mlir::ModuleOp"> {
  let summary = "Large buffers of compiled code reused across calls, by an allocator in the module";
  let description = [{
    Runs last in `--qnt-lower-to-llvm` and `--qnt-codegen`, after
    `finalize-memref-to-llvm` with `use-generic-functions`, which makes every
    `memref.alloc` / `memref.dealloc` call `_mlir_memref_to_llvm_alloc` /
    `_mlir_memref_to_llvm_free`. This pass defines those functions in the
    module: a block of at least `min-bytes` that the code frees is kept in
    a cache of 256 blocks (at most `max-bytes` in all) and handed out again
    to an allocation of the same size (up to 1/8 more, plus 8 KiB), so that
    a model called repeatedly allocates its large tensors once, instead of
    mapping fresh pages (which page-fault again) on every call. Smaller
    blocks, and every block when the cache is full or another thread holds
    it (the lock is only tried, never waited for), go to `malloc`/`free`.
    Blocks are `malloc` blocks, so a result the caller receives is freed
    with `free`. `_qnt_buffer_cache_release()` (also defined) frees the
    blocks kept, for a caller about to drop the code (the JIT runner when a
    session ends; `quant-compile` exports it as `<prefix>release_buffers`).
    The allocator is part of the compiled code: the JIT and an
    object from `quant-compile` behave alike, whatever the process's
    allocator settings. Needs `malloc_usable_size` (glibc, musl).
  }];
  let options = [
    Option<"minBytes", "min-bytes", "int64_t", /*default=*/"262144",
           "Blocks from this size on are cached">,
    Option<"maxBytes", "max-bytes", "int64_t", /*default=*/"536870912",
           "Bytes the cache keeps at most (0: no cache, malloc and free)">,
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

#endif // QUANTOPT_CODEGEN_PASSES_TD
