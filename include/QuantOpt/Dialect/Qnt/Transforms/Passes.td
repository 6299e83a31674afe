//===- Passes.td - qnt transformation passes ---------------*- tablegen -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_DIALECT_QNT_TRANSFORMS_PASSES_TD
#define QUANTOPT_DIALECT_QNT_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

//===----------------------------------------------------------------------===//
// Post-training quantization
//===----------------------------------------------------------------------===//

def QntNameLayers : Pass<"qnt-name-layers", "::mlir::ModuleOp"> {
  let summary = "Record each layer's name and op name in its location";
  let description = [{
    The first entry of the `qnt-quantize` pipeline. Every op implementing
    `QuantizableLayerOpInterface` gets its layer name (the first name of its
    location, else `<op name>#<n>`) and its op name recorded in its location
    (a `FusedLoc` whose metadata holds both), so that the lowering passes
    after it (TOSA to linalg keeps locations) leave recipes, statistics and
    remarks naming the layers as the user wrote them. `qnt-quantize-layers`
    reads the record and puts the original locations back. Layers that
    already carry a record keep it.
  }];
}

def QntGeneralizeElementwise : Pass<"qnt-generalize-elementwise", "::mlir::func::FuncOp"> {
  let summary = "Named element-wise linalg ops to linalg.generic";
  let description = [{
    Rewrites named element-wise linalg ops (`linalg.add`, `linalg.max`,
    `linalg.elementwise`, ...; not fills, broadcasts, transposes, copies or
    layers) into `linalg.generic`, the one form the chaining patterns fold
    biases and clamps from. An entry of the `qnt-quantize` pipeline with
    `activations=static`; the rewrite is
    `populateQntGeneralizeElementwisePatterns`.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def QntConvertToNhwc : Pass<"qnt-convert-to-nhwc", "::mlir::func::FuncOp"> {
  let summary = "NCHW convolutions and pooling to NHWC, with the transposes planned once";
  let description = [{
    Rewrites `linalg.conv_2d_nchw_fchw`, `linalg.depthwise_conv_2d_nchw_chw`,
    `linalg.pooling_nchw_max` and `linalg.pooling_nchw_sum` (any element
    type) into their NHWC forms (`conv_2d_nhwc_hwcf`,
    `depthwise_conv_2d_nhwc_hwc`, `pooling_nhwc_max/sum`) between two
    `linalg.transpose` ops, constant weights transposed at compile time, and
    then moves the transposes so that a chain of layers keeps NHWC:

    - down through element-wise `linalg.generic` ops (the generic iterates in
      its transposed input's layout; a broadcast operand such as a
      per-channel bias is read through the permuted map, an `expand_shape`
      that only adds unit dimensions is read through its source), zero
      padding, fills and empties;
    - down through element-wise generics that gather with `linalg.index`
      and `tensor.extract` (a nearest-neighbour Resize: `linalg.index i`
      becomes `linalg.index p[i]` and the extract reads the untransposed
      tensor at permuted indices);
    - down through `tensor.insert_slice` into an empty tensor, a fill or a
      tensor transposed the same way (a concatenation, the zero-stuffed
      input of a transposed convolution), offsets, sizes and strides
      permuted;
    - a transpose of a transpose folds (to nothing when they cancel);
    - the flatten of a transposed tensor into a `linalg.matmul` with
      constant weights becomes a flatten of the untransposed tensor with the
      weights' rows permuted at compile time;
    - up above the zero padding of a function argument (a `tensor.pad`, or
      an insertion into a fill such as a transposed convolution's spread),
      and above transposes and `qnt.quantize`/`qnt.dequantize` of it, so a
      model's input is transposed once, first, while it is smallest (the
      sinking patterns leave that chain alone); an NHWC model's own
      transpose of its input to NCHW then cancels with the layer's.

    Last, a transpose that moves only unit dimensions (a squeeze-and-
    excitation vector `[N][C][1][1]` to `[N][1][1][C]`) becomes a
    `tensor.collapse_shape` and a `tensor.expand_shape`, which bufferize to
    views (`populateQntUnitDimTransposePatterns`). What remains are the
    transposes at the function's boundaries and before ops the patterns do
    not cross (reductions, reshapes other than the flatten into a matmul). Run by `--qnt-quantize` (option `layout`, so
    that static int8 chains through the NHWC bias, ReLU and pooling) and by
    `--qnt-codegen` (option `layout`), both by default. The patterns are
    `populateQntConvertToNhwcPatterns` and, without the layer rewrites,
    `populateQntTransposePropagationPatterns`.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def QntConvertToBF16 : Pass<"qnt-convert-to-bf16", "::mlir::ModuleOp"> {
  let summary = "Float layers to bf16 weights and activations with f32 accumulation";
  let description = [{
    Every `linalg.matmul` (default maps) and `linalg.conv_2d_nhwc_hwcf` with
    f32 activations, constant f32 weights and an f32 result becomes the same
    op on bf16 operands with the f32 result: the weights rounded to bf16 at
    compile time and the activation rounded as the layer runs (a
    `linalg.generic` of `arith.truncf`), both to nearest even (NaN stays
    NaN); the products, exact in f32, are summed in f32 (linalg's
    mixed-precision semantics). `--qnt-codegen` runs these layers on
    vdpbf16ps kernels (`qnt-f32-matmul`), bit for bit as the reference
    lowering. Run by `--qnt-quantize weights=bf16` after the layout
    conversion and batch-normalization folding. A remark counts the layers
    converted and names each layer kept in f32 and why (depthwise
    convolutions, batched matmuls of two activations, NCHW layers,
    non-constant weights); the pattern is `populateQntConvertToBF16Patterns`.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def QntConvertToF16 : Pass<"qnt-convert-to-f16", "::mlir::ModuleOp"> {
  let summary = "Float layers to f16 weights and activations with f32 accumulation";
  let description = [{
    `qnt-convert-to-bf16`'s rewrite with IEEE half precision: every
    `linalg.matmul` (default maps), `linalg.conv_2d_nhwc_hwcf` and
    `linalg.depthwise_conv_2d_nhwc_hwc` with f32 activations, constant f32
    weights and an f32 result takes f16 weights (rounded to nearest even at
    compile time; beyond 65504 they become infinite) and f16 activations
    (an `arith.truncf` the layer runs) into its f32 result. A product of
    two f16 values is exact in f32 (22 significant bits, exponents within
    f32's normal range, f16 denormals included), so a fused multiply-add
    equals the reference lowering's multiply and add: `--qnt-codegen` runs
    these layers on the f32 kernels of `qnt-f32-matmul` with f16 weights
    packed at half the bytes, widened as they load (F16C `vcvtph2ps`), bit
    for bit as the reference. Run by `--qnt-quantize weights=f16`; the
    remark and the layers kept in f32 are those of `qnt-convert-to-bf16`
    (except that NHWC depthwise convolutions convert); the pattern is
    `populateQntConvertToF16Patterns`.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def QntFoldAffineIntoLayers : Pass<"qnt-fold-affine-into-layers", "::mlir::func::FuncOp"> {
  let summary = "Fold per-channel affine ops (batch normalization) into the layer before them";
  let description = [{
    An element-wise `linalg.generic` that is affine in the output y of a
    layer (`linalg.matmul`, `conv_2d_nhwc_hwcf` or
    `depthwise_conv_2d_nhwc_hwc` with constant f32 weights, from a fill of
    zero, used by that op alone) with per-output-channel constants, such as
    an inference batch normalization `gamma * (y - mean) / sqrt(var + eps) +
    beta`, becomes `y' + b[c]` on the layer with its weights scaled by
    `a[c]` along the output channel (the last dimension), as ONNX Runtime's
    graph optimizer and PyTorch's conv-bn fusion do before quantizing. The
    body must be affine in y by structure (`addf`, `subf`, `negf`, `mulf` by
    and `divf` by values built from constants and per-channel constant
    operands with `sqrt`/`rsqrt`); `a` and `b` come from evaluating it at
    y = 0 and y = 1 in double precision. Two such ops in a row (a bias,
    then a batch normalization, as after ONNX's ConvTranspose with a bias)
    first become one (upstream's `fuseElementwiseOps`); a constant may
    have other dimensions of size 1 (a `[1][C]` bias read at `(d0, d3)`).
    Results change in the last bits of float rounding. Run by `--qnt-quantize` and `--qnt-codegen` after the
    layout conversion, so that quantization sees the folded weights and a
    plain bias it chains into int32; the pattern is
    `populateQntFoldAffineIntoLayersPatterns`.
  }];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect"];
}

def QntUnstuffTransposedConv : Pass<"qnt-unstuff-transposed-conv", "::mlir::func::FuncOp"> {
  let summary = "Transposed convolutions in polyphase form, without zero stuffing";
  let description = [{
    A transposed convolution imports as the convolution of its input spread
    out by the strides into zeros (a strided `tensor.insert_slice` into a
    zero fill). When the window K is a multiple of the stride s, every
    output phase (output position modulo s, on a grid shifted by the pads)
    takes K/s window positions that read consecutive inputs, so the
    `conv_2d_nhwc_hwcf` (or `conv_2d_nchw_fchw`) becomes a stride-1
    convolution of the unspread input, padded by the zeros the phases read,
    with a window of K/s into s_h*s_w*F channels (weights rearranged at
    compile time; NHWC columns ordered (r, t, f), NCHW ones (f, r, t)), a
    depth-to-space (`expand_shape`, `linalg.transpose`, `collapse_shape`)
    and a crop (`extract_slice`) where the pads shift the grid. Window ==
    stride without pads (2x2 stride 2) is a 1x1 convolution and no crop;
    4x4 stride 2 pad 1 a 2x2 convolution of the input padded by one. No
    multiply-add on the zeros of the spread, and F = 1 no longer leaves 15
    of 16 vector lanes idle. The products that remain keep their order, so
    float results are the same bits for finite weights. The depth-to-space
    (and its crop) then moves below element-wise `linalg.generic` ops whose
    other operands are scalars or constants that vary along the channel
    only (bias, batch normalization, activation), their constants repeated
    per column, so that the kernels fuse them and static int8 chains them
    (a model that starts with such a layer has its input, not the spread,
    transposed by `qnt-convert-to-nhwc`, so the pass sees the spread). In
    NHWC a 1x1 convolution after a depth-to-space with no more filters than
    channels (a transposed convolution after another, as in PaddleOCR's
    detector head) runs first, on the phases side by side (reshapes), so
    the depth-to-space moves its fewer columns; the element-wise ops after
    it run on that convolution with their constants as they are.
    A window that is not a multiple of the stride (3x3 stride 2: its phases
    take different numbers of taps) becomes one convolution per phase, each
    with its own window, interleaved into the grid by strided
    `tensor.insert_slice` ops and cropped (no zero weights: a product the
    stuffed form does not compute would turn an infinite input into NaN);
    with `per-phase=false` it stays stuffed. Run by `--qnt-codegen` and by
    `--qnt-quantize`, after the layout conversion: there each phase is a
    layer that keeps the transposed convolution's record (its name, so its
    statistics and recipe rules; the model fingerprint counts it once), has
    its own weight scales, and chains (the phases' shared input is
    quantized once, each phase's output is requantized into the
    interleave). The patterns are `populateQntUnstuffTransposedConvPatterns`.

    Example (1-D along the width, K = 4, s = 2, pads 1, flipped weight
    [1, 2, 3, 4], x of 3 columns): the 9-wide spread and its 1x4
    convolution become

    ```mlir
    %p = tensor.pad %x low[0, 0, 1, 0] high[0, 0, 1, 0] { ... }
        : tensor<1x1x3x1xf32> to tensor<1x1x5x1xf32>
    %y = linalg.conv_2d_nhwc_hwcf ... ins(%p, %v : tensor<1x1x5x1xf32>,
        tensor<1x2x1x2xf32>)  // %v = [[[[2, 1]], [[4, 3]]]]
        outs(...) -> tensor<1x1x4x2xf32>
    // depth-to-space to 1x1x8x1, then
    %o = tensor.extract_slice %d[0, 0, 1, 0] [1, 1, 6, 1] [1, 1, 1, 1]
    ```
  }];
  let options = [
    Option<"perPhase", "per-phase", "bool", /*default=*/"true",
           "Also rewrite windows that are not a multiple of the stride, as one "
           "convolution per phase (several layers where the model has one)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::tensor::TensorDialect"];
}

def QntPropagateNonFinite : Pass<"qnt-propagate-non-finite", "::mlir::func::FuncOp"> {
  let summary = "Float results become NaN where the inputs hold NaN or infinities";
  let description = [{
    Quantization maps NaN to the zero point and infinities to the ends of
    the range (docs/Numerics.md), so a quantized model turns non-finite
    inputs into finite, plausible results where the float model returns
    NaN. This pass (`--qnt-quantize non-finite=propagate|propagate-all`)
    makes a public function's float results NaN when its float arguments
    hold a NaN or an infinity: with `batch=rows`, per row of dimension 0
    (the batch: the results of sample i are NaN when sample i's inputs are
    not all finite, as in a float model whose samples are independent);
    with `batch=all`, every result of the call. `rows` needs every float
    argument and result to have a dimension 0 of one size (static and
    equal, or dynamic in all, then checked when the function runs); a
    function without that gets `all`, with a remark. The check is a
    max-reduction of `|x| >= inf` (unordered: NaN too) per row, and a
    select on each result; functions without float arguments or results
    are left alone.
  }];
  let options = [
    Option<"batch", "batch", "std::string", /*default=*/"\"rows\"",
           "rows (per row of dimension 0) or all (the whole call)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::cf::ControlFlowDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::tensor::TensorDialect"];
}

def QntQuantizeLayers : Pass<"qnt-quantize-layers", "::mlir::ModuleOp"> {
  let summary = "Post-training quantization of matmul and convolution layers";
  let description = [{
    The last entry of the `qnt-quantize` pipeline (which takes the same
    options and first runs `qnt-name-layers`, the TOSA lowering the options
    need and, with `activations=static`, `convert-elementwise-to-linalg` and
    `qnt-generalize-elementwise`; docs/Quantize.md). Finds every op implementing `QuantizableLayerOpInterface` (linalg.matmul
    with any operand maps, linalg.batch_matmul, linalg.conv_2d_nhwc_hwcf,
    linalg.conv_2d_nchw_fchw, linalg.depthwise_conv_2d_nhwc_hwc, tosa.conv2d,
    tosa.depthwise_conv2d, tosa.matmul) whose weight is a constant, solves
    the weight's parameters with the numerics library, quantizes it at compile
    time into a dense constant of the storage type, and then:

    - `activations=dynamic` (default): each linalg layer becomes one
      `qnt.contract` on the stored activation (quantized at run time by
      `qnt.dynamic_quantize`, per tensor or per row) and the stored weight,
      with the layer's own indexing maps and its result in real values; the
      layer's init value, when not zero, is added after it. The layer's name
      is the location of its `qnt.contract`. Depthwise convolutions stay in
      float, with a remark, unless `act-depthwise` says otherwise.
    - `activations=static`: the same with activation ranges from
      `stats=FILE` (JSON, per layer name; docs/Quantize.md). Consecutive
      static layers chain in integers: a layer whose output reaches the next
      through a bias, clamps, zero padding, max pooling, reshapes,
      transposes or a concatenation requantizes its accumulator straight to
      the next layer's input (`qnt.contract` with an int32 bias, result
      parameters and a stored clamp), and a last bias becomes the int32 bias
      of its layer.
    - `activations=none`: weight-only; the layer computes in float on
      `qnt.dequantize`d weights.

    Integer kernels are built on linalg: with `activations` other than
    `none`, the pipeline lowers TOSA layers with `tosa-to-linalg-named` (and
    TOSA constants with `tosa-to-arith`) first; with `activations=static` the
    whole TOSA graph (`tosa-to-linalg`, `tosa-to-tensor` too) so that
    consecutive layers chain in integers; a TOSA layer that reaches this pass
    unlowered keeps float activations, with a remark. Integer kernels need
    integer weights with per-tensor or per-channel parameters, or per-block
    ones (integers, or MXFP4 / MXFP6 E2M3 / NVFP4 codes) with dynamic
    activations per row or per block (the block form of `qnt.contract`);
    layers that do not fit (other float weights, per-block weights with
    per-tensor activations, no statistics) fall back to weight-only with a
    remark.

    Options give the default configuration; `recipe=FILE` (JSON, see
    docs/Quantize.md) overrides it per layer or keeps layers in float. Every
    layer kept in float gets a remark saying why, and a summary remark counts
    what was done.

    Example: `quant-opt model.mlir --qnt-quantize="weights=i4 weight-granularity=block block-size=64"`
    (the pipeline), or `--qnt-quantize-layers` on linalg alone.
  }];
  let options = [
    Option<"weights", "weights", "std::string", /*default=*/"\"i8\"",
           "Weight storage: i8, u8, i4, u4, i2, u2, i16, u16, f8E4M3FN, f8E5M2, f8E4M3FNUZ, f8E5M2FNUZ, f4E2M1FN, f6E2M3FN, f6E3M2FN; or bf16 / f16 (16-bit float weights and activations, f32 accumulation: qnt-convert-to-bf16 / qnt-convert-to-f16); or an OCP MX format, mxfp8, mxfp8e5m2, mxfp6, mxfp6e3m2, mxfp4 or mxint8 (blocks of block-size along K, power-of-two E8M0 scales by the MX rule); or nvfp4 (f4E2M1FN in blocks of 16 along K unless block-size is given, E4M3 block scales times a float32 tensor scale)">,
    Option<"weightScheme", "weight-scheme", "std::string", /*default=*/"\"symmetric\"",
           "symmetric, asymmetric, minval, mx (OCP MX power-of-two block scales; with an MX element storage) or nvfp4 (E4M3 block scales times a tensor scale; with f4E2M1FN storage)">,
    Option<"weightGranularity", "weight-granularity", "std::string",
           /*default=*/"\"channel\"", "tensor, channel (output channels) or block (along the reduction axis)">,
    Option<"blockSize", "block-size", "int64_t", /*default=*/"32",
           "Block size for weight-granularity=block">,
    Option<"weightRange", "weight-range", "std::string", /*default=*/"\"\"",
           "narrow or full (default: narrow for symmetric integer storage, full otherwise)">,
    Option<"pow2", "pow2", "bool", /*default=*/"false",
           "Round weight scales up to powers of two">,
    Option<"weightScale", "weight-scale", "std::string", /*default=*/"\"f32\"",
           "Weight scales as f32, or rounded to f16 (nearest, at least 2^-14; the values quantized with the rounded scale), as llama.cpp's and MatMulNBits' fp16 scales: group-wise kernels then stream half the scale bytes. Integer storage of at most 11 bits (a wider range could clip its largest values) and float storage, with the quantopt profile; not with MX or nvfp4 weights, nor bf16/f16 ones">,
    Option<"profile", "profile", "std::string", /*default=*/"\"quantopt\"",
           "Whose formulas solve the weights' and static activations' parameters: quantopt, torch (torch.ao's observers: full ranges, scales at least float32 eps) onnxruntime (ONNX Runtime's quantizer: its own ranges for the scale, float64 division) or tflite (TFLite's converter: symmetric amax / 127 on [-127, 127], zero points rounded half away from zero); integer storage">,
    Option<"reduceRange", "reduce-range", "std::string", /*default=*/"\"none\"",
           "One bit fewer than the storage type (torch's reduce_range): none, activations, weights or all">,
    Option<"layout", "layout", "std::string", /*default=*/"\"nhwc\"",
           "nhwc (NCHW convolutions and pooling become NHWC first, "
           "qnt-convert-to-nhwc) or keep">,
    Option<"activations", "activations", "std::string", /*default=*/"\"dynamic\"",
           "dynamic (run-time ranges), static (ranges from stats=FILE) or none (weight-only)">,
    Option<"actStorage", "act-storage", "std::string", /*default=*/"\"u8\"",
           "Activation storage for integer kernels: u8, i8 (or another integer type up to 16 bits)">,
    Option<"actScheme", "act-scheme", "std::string", /*default=*/"\"asymmetric\"",
           "asymmetric or symmetric activation parameters, or mx (OCP "
           "MX's MXINT8: power-of-two scales by the MX rule, with "
           "act-storage=i8 and activations=dynamic; with "
           "act-granularity=block and weights=mxint8, MX blocks on both "
           "sides), or nvfp4 (NVIDIA's NVFP4: E2M1 values in the weights' "
           "blocks with E4M3 block scales solved at run time under a "
           "per-tensor scale, act-tensor-scale; act-storage=i8, "
           "activations=dynamic, act-granularity=block); convolutions take "
           "them per pixel and block of input channels">,
    Option<"actGranularity", "act-granularity", "std::string", /*default=*/"\"tensor\"",
           "tensor, row (one scale per row of a matmul activation: per token), "
           "or block (dynamic, per row and per block of the weights' block "
           "size when the weights are per block, else per row)">,
    Option<"actTensorScale", "act-tensor-scale", "std::string", /*default=*/"\"dynamic\"",
           "The tensor scale of NVFP4 activations (act-scheme=nvfp4): "
           "dynamic (from each activation's largest magnitude at run time, "
           "as torchao) or calibrated (from the layer input's range in "
           "stats=FILE under calibration=minmax, moving-average or "
           "percentile, as ModelOpt)">,
    Option<"actMatmuls", "act-matmuls", "std::string", /*default=*/"\"float\"",
           "layers whose both operands are activations (attention's q k^T and "
           "p v): float (kept), or dynamic (both quantized at run time with "
           "act-storage and act-scheme, the first per act-granularity, the "
           "second per tensor)">,
    Option<"actDepthwise", "act-depthwise", "std::string", /*default=*/"\"auto\"",
           "depthwise convolutions of at most 32 multiply-adds per input "
           "element: auto (float with activations=dynamic, "
           "whose run-time range and quantization of the input cost more "
           "than the layer's 9-25 multiply-adds per input element save, "
           "unless profile=onnxruntime, whose quantize_dynamic makes them "
           "ConvInteger; quantized otherwise), float (kept, with a remark) "
           "or quantize">,
    Option<"stats", "stats", "std::string", /*default=*/"\"\"",
           "calibration statistics: activation ranges for activations=static, "
           "Hessians for weight-method=gptq">,
    Option<"requantize", "requantize", "std::string", /*default=*/"\"\"",
           "how chained static layers requantize their i32 accumulators: "
           "float (f32 multiplier, round half to even), fixed-point (Q31 "
           "multiplier and shift, integer only) or double-round (the same "
           "rounded twice, as TFLite's MultiplyByQuantizedMultiplier and "
           "TOSA's DOUBLE_ROUND); unset: double-round under profile=tflite, "
           "float otherwise">,
    Option<"recipe", "recipe", "std::string", /*default=*/"\"\"",
           "JSON recipe with per-layer overrides and layers to keep in float">,
    Option<"calibration", "calibration", "std::string", /*default=*/"\"minmax\"",
           "how activation ranges come from the stats: minmax, moving-average, "
           "percentile, mse, entropy or torch-histogram (quant-run --calibrate "
           "--torch-histogram); or auto: per layer, the one of "
           "calibration-candidates with the best layer-output SQNR on "
           "calibration-samples">,
    Option<"calibrationCandidates", "calibration-candidates", "std::string",
           /*default=*/"\"minmax,percentile,mse,entropy\"",
           "calibration=auto: the estimators each layer chooses among">,
    Option<"calibrationSamples", "calibration-samples", "std::string",
           /*default=*/"\"\"",
           "a quant-run --dump-observed directory of the float model with "
           "observers (each layer's input samples): what calibration=auto "
           "measures on, and mixed precision on layers without a Hessian">,
    Option<"percentile", "percentile", "double", /*default=*/"99.99",
           "for calibration=percentile: the percentage of values kept on each side">,
    Option<"ortBins", "ort-bins", "unsigned", /*default=*/"0",
           "under profile=onnxruntime, calibration=percentile and entropy "
           "read ONNX Runtime's histogram with this many bins (quant-run "
           "--calibrate --ort-histogram); 0: ONNX Runtime's defaults, 2048 "
           "for percentile and 128 for entropy">,
    Option<"ortSymmetricPercentile", "ort-symmetric-percentile", "bool",
           /*default=*/"true",
           "under profile=onnxruntime, calibration=percentile as ONNX "
           "Runtime's PercentileCalibrater with symmetric=true (its default: "
           "the percentile of |x|, range [-e, e]) or false (the two-sided "
           "percentiles of x)">,
    Option<"weightBits", "weight-bits", "int64_t", /*default=*/"0",
           "use only the range of this many bits inside the weight storage, "
           "e.g. weights=i4 weight-bits=3 for 3-bit weights in i4 ([-4, 3]); "
           "0: the storage's range">,
    Option<"weightMethod", "weight-method", "std::string", /*default=*/"\"rtn\"",
           "how weights are rounded: rtn (to nearest), gptq (GPTQ with the "
           "Hessians of stats=FILE) or awq (to nearest after AWQ's "
           "activation-aware scaling; docs/Algorithms.md)">,
    Option<"gptqBlockSize", "gptq-block-size", "int64_t", /*default=*/"128",
           "GPTQ: columns per lazy-update block">,
    Option<"gptqDamp", "gptq-damp", "double", /*default=*/"0.01",
           "GPTQ: dampening, the fraction of the mean Hessian diagonal added "
           "to the diagonal">,
    Option<"gptqActOrder", "gptq-act-order", "bool", /*default=*/"false",
           "GPTQ: quantize input channels in descending order of their "
           "Hessian diagonal (static groups with per-block weights)">,
    Option<"awqGrid", "awq-grid", "int64_t", /*default=*/"20",
           "AWQ: candidates for the exponent alpha (0, 1/n, ..., (n-1)/n)">,
    Option<"awqClip", "awq-clip", "bool", /*default=*/"true",
           "AWQ: also search each weight group's clipping range">,
    Option<"mixedPrecision", "mixed-precision", "std::string", /*default=*/"\"\"",
           "candidate precisions per layer, e.g. \"i4:block:32,i8:channel,float\" "
           "(STORAGE[:GRANULARITY[:BLOCK]] or float): each matmul layer takes "
           "the smallest whose output SQNR on the calibration data (from the "
           "Hessians of stats=FILE) reaches mp-min-sqnr">,
    Option<"mpMinSqnr", "mp-min-sqnr", "double", /*default=*/"30",
           "mixed precision: the per-layer output SQNR budget in dB">,
    Option<"mpReport", "mp-report", "std::string", /*default=*/"\"\"",
           "mixed precision: write each layer's measurements and choice here "
           "(JSON)">,
    Option<"nonFinite", "non-finite", "std::string", /*default=*/"\"saturate\"",
           "what NaN and infinite inputs give: saturate (NaN the zero point, "
           "infinities the ends of the range, as ONNX), propagate (the float "
           "results of a batch row whose inputs are not all finite are NaN: "
           "qnt-propagate-non-finite) or propagate-all (every float result "
           "of such a call is NaN)">,
    Option<"quantizeEmbeddings", "embeddings", "bool", /*default=*/"false",
           "also quantize embedding tables (constant tables a gather reads) "
           "weight-only with the weight options, a parameter set per row">,
    Option<"biasCorrection", "bias-correction", "bool", /*default=*/"false",
           "remove the expected output shift of the quantized weights, "
           "-E[x]^T (W_q - W), with the input means of stats=FILE (moments)">,
    Option<"smoothQuant", "smoothquant", "double", /*default=*/"-1",
           "SmoothQuant's migration strength alpha in [0, 1] (off when "
           "negative): input channels rescaled with the per-channel extremes "
           "of stats=FILE before quantization">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::math::MathDialect",
                           "::mlir::qnt::QntDialect",
                           "::mlir::tensor::TensorDialect"];
}

def QntChainLayers : Pass<"qnt-chain-layers", "::mlir::ModuleOp"> {
  let summary = "Keep consecutive static qnt.contract layers in integers";
  let description = [{
    Rewrites, with patterns anchored on the ops they replace (so the order of
    the layers does not matter):

    - a `qnt.quantize` of a static `qnt.contract`'s real output, reached
      through a constant per-channel bias, constant clamps (ReLU, ReLU6),
      zero padding, max pooling, reshapes, transposes or as operands of a
      concatenation, into a copy of that layer whose accumulator, with the
      bias in int32 at `s_x * s_w`, is requantized straight to the quantize's
      parameters (`requantize=float|fixed-point`), the clamp as stored bounds
      and the shape ops replayed on the stored integers;
    - a `qnt.quantize` of dequantized values seen through those
      scale-preserving ops, with the dequantize's (per-tensor) parameters,
      into the ops replayed on the stored integers (exact: a QDQ model's
      pair around max pooling);
    - any other per-tensor `qnt.quantize` (integer storage) of zero
      padding, strided insertions into zeros (a transposed convolution's
      zero stuffing), reshapes and transposes, each used once, into those
      ops on the quantized values (the padding and the zeros hold the zero
      point): exact, and
      a float chain the layers do not take (a HardSwish) then ends in the
      quantization, which the kernels fuse into their stores (PaddleOCR's
      classifier, static int8: 20.6 -> 12.5 ms at one thread, the same
      bytes); max pooling stays, as it commutes with quantization only for
      finite values;
    - then a constant bias (and clamps) after a static layer with a real
      result into the layer's int32 bias.

    `--qnt-quantize` runs the same rewrites; the pass is for layers written
    by hand or by an importer. The patterns are public
    (`populateQntChainLayersPatterns`, which includes
    `populateQntQuantizeMovePatterns`, and `populateQntFoldLayerBiasPatterns`).

    ```mlir
    %y1 = qnt.contract %xq, %w1 : (...) -> tensor<?x8xf32> maps = [...] input = #p1 weight = #w1
    %h = linalg.generic ... ins(%y1, %bias) { max(y + b, 0) }
    %x2 = qnt.quantize %h : tensor<?x8xf32> to tensor<?x8xi8> as #p2
    ```
    becomes
    ```mlir
    %x2 = qnt.contract %xq, %w1 bias %b_i32 : (...) -> tensor<?x8xi8> maps = [...] input = #p1 weight = #w1 result = #p2
    ```
  }];
  let options = [
    Option<"requantize", "requantize", "std::string", /*default=*/"\"float\"",
           "float (f32 multiplier, round half to even), fixed-point (Q31 "
           "multiplier and shift) or double-round (TFLite's)">,
  ];
  let dependentDialects = ["::mlir::arith::ArithDialect",
                           "::mlir::linalg::LinalgDialect",
                           "::mlir::qnt::QntDialect",
                           "::mlir::tensor::TensorDialect"];
}

def QntFoldDequantizedLayers : Pass<"qnt-fold-dequantized-layers", "::mlir::ModuleOp"> {
  let summary = "Turn layers on qnt.dequantize'd operands (QDQ) into qnt.contract";
  let description = [{
    A float `linalg` layer (matmul, batched matmul, convolution: an op with
    `QuantizableLayerOpInterface`) whose activation and constant weight are
    both `qnt.dequantize` results becomes one `qnt.contract` on the stored
    values, with the layer's maps and a real result: the QDQ reading of the
    layer (an exact int32 sum times `s_x * s_w`) instead of a float sum of
    dequantized values. The activation must be per tensor and the weight per
    tensor or per channel on an output channel, with affine integer
    parameters; a layer whose contract would not verify (an accumulator that
    could overflow, say) stays as it is. Follow with `--qnt-chain-layers` to
    fold a `qnt.quantize` of the result into the layer. The patterns are
    public (`populateQntFoldDequantizedLayersPatterns`).

    The QDQ forms exporters write are brought to that shape first, exactly:
    `qnt.quantize` of a float constant (a fake-quantized weight, as
    torch.onnx exports QAT models) folds into the constant of its stored
    integers (the numerics library's rounding and saturation); a
    `linalg.transpose` of a dequantized constant (ONNX's Gemm with transB)
    becomes the dequantization of the transposed constant; an activation
    that is a dequantized tensor seen through reshapes, slices, transposes,
    max-pooling and padding with a value on its grid is requantized with the same
    parameters (every value is on the grid, so nothing changes). A layer
    left in float over dequantized operands gets a remark naming it and
    saying why.

    ```mlir
    %x = qnt.dequantize %xq : tensor<4x8xi8> to tensor<4x8xf32> as #px
    %w = qnt.dequantize %wq : tensor<8x3xi8> to tensor<8x3xf32> as #pw
    %y = linalg.matmul ins(%x, %w : ...) outs(%zeros : ...)
    ```
    becomes
    ```mlir
    %y = qnt.contract %xq, %wq : (tensor<4x8xi8>, tensor<8x3xi8>) -> tensor<4x3xf32> maps = [...] input = #px weight = #pw
    ```
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect",
                           "::mlir::qnt::QntDialect"];
}

//===----------------------------------------------------------------------===//
// Calibration
//===----------------------------------------------------------------------===//

def QntInsertObservers : Pass<"qnt-insert-observers", "::mlir::ModuleOp"> {
  let summary = "Observe the activations --qnt-quantize quantizes statically";
  let description = [{
    Inserts a `qnt.observe` on the activation input of every layer that
    `--qnt-quantize` would give an integer kernel with static activations
    (a `QuantizableLayerOpInterface` op with a constant float weight, not
    kept in float by `recipe`), with the layer's name as id (its name
    location, or `<op name>#<n>`: stable for the same model). Per-channel
    statistics are kept along the activation's channel axis (dimension 1 of
    an NCHW convolution, the last dimension otherwise; the reduction
    dimension the activation shares with the weight for matmuls in any
    layout) unless `per-channel=false`.

    `moments=channels` or `moments=hessian` also asks the runtime for the
    per-input-channel moments (and X^T X) that GPTQ, AWQ, SmoothQuant and
    bias correction read (docs/Algorithms.md).

    On a model `--qnt-quantize` already rewrote, it observes what each static
    integer layer consumes instead: the dequantized input of its integer
    contraction, under the same id, so float and quantized activations can be
    compared layer by layer (quant-report). The module records the model
    fingerprint (`qnt.model_fingerprint`) that stats files carry.
  }];
  let options = [
    Option<"recipe", "recipe", "std::string", /*default=*/"\"\"",
           "JSON recipe: layers it keeps in float are not observed">,
    Option<"perChannel", "per-channel", "bool", /*default=*/"true",
           "also keep per-channel min/max">,
    Option<"moments", "moments", "std::string", /*default=*/"\"none\"",
           "per-input-channel moments: none, channels (absolute maximum, "
           "mean |x|, mean) or hessian (also X^T X)">,
  ];
  let dependentDialects = ["::mlir::qnt::QntDialect"];
}

def QntLowerObservers : Pass<"qnt-lower-observers", "::mlir::ModuleOp"> {
  let summary = "Turn qnt.observe into calls of the calibration runtime";
  let description = [{
    Numbers the `qnt.observe` ops in module order, records their ids in the
    module attribute `qnt.observers` (index -> id), and replaces each with
    `func.call @qnt_observe_f32(index, channel_axis or -1, tensor<*xf32>)`,
    a C function of the calibration runtime quant-run provides
    (docs/Calibration.md). Part of `--qnt-lower-to-llvm`.
  }];
  let dependentDialects = ["::mlir::func::FuncDialect",
                           "::mlir::arith::ArithDialect",
                           "::mlir::tensor::TensorDialect"];
}

//===----------------------------------------------------------------------===//
// Execution support
//===----------------------------------------------------------------------===//

def QntExportSignatures : Pass<"qnt-export-signatures", "::mlir::ModuleOp"> {
  let summary = "Record public function signatures for quant-run";
  let description = [{
    For every public `func.func` whose arguments and results are ranked
    tensors or identity-layout memrefs, stores the signature as the
    `qnt.signature` attribute (a `TypeAttr` of the original `FunctionType`),
    sets `llvm.emit_c_interface`, and marks tensor arguments
    `bufferization.writable = false` (the caller's inputs are never
    overwritten). After lowering to the LLVM dialect the function
    keeps both, so `quant-run` can marshal `.npy` data to and from an already
    lowered module. Integer tensors are signless, so arguments read by (and
    results produced by) a qnt op with unsigned storage are listed in
    `qnt.unsigned_args` / `qnt.unsigned_results` (boolean arrays).
    Functions with other argument types are left alone with a remark saying
    why.

    Example: `func.func @f(%a: tensor<4xf32>) -> tensor<4xi8>` gets
    `attributes {llvm.emit_c_interface, qnt.signature = (tensor<4xf32>) -> tensor<4xi8>}`.
  }];
}

#endif // QUANTOPT_DIALECT_QNT_TRANSFORMS_PASSES_TD
