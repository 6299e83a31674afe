//===- TransposedConv.cpp - Transposed convolutions without zero stuffing -===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// qnt-unstuff-transposed-conv. A transposed convolution imports as the
// convolution of its input spread out by the strides into zeros (ONNX's
// ConvTranspose, docs/Import.md): x every s-th position from `low` in a zero
// fill, convolved (stride 1) with the flipped window W of size K. Per
// dimension, output o sums z[o + k] W[k] over the window, and z[o + k] is
// x[(o + k - low) / s] where s divides o + k - low, zero elsewhere. When s
// divides K (m = K / s taps per phase), group the outputs by their phase on
// a grid shifted by a = (s - 1 - low) mod s: output o = s*u + r - a takes
// the taps k = s-1-r + s*j, j < m, all reading x[u + delta + j] with
// delta = (s - 1 - low - a) / s (the same for every phase r), so
//
//   out[s*u + r - a] = sum_j xp[u + j] * W[s-1-r + s*j]
//
// with xp = x padded by -delta zeros before (and what the last phase reads
// after). That is a stride-1 convolution of xp with an m-wide window into
// s*F channels (one per phase and filter; in 2-D s_h*s_w*F, the weights
// rearranged at compile time), a depth-to-space (an expand_shape, a
// linalg.transpose and a collapse_shape), and a crop of a positions at the
// start (and what the grid has past the output). Window == stride without
// pads (the 2x2 stride-2 upsampling of detection heads) is m = 1, a = 0, no
// padding: a 1x1 convolution and no crop; 4x4 stride 2 pad 1 (segmentation
// and GAN upsampling) is a 2x2 convolution of x padded by one, a = 1.
//
// The zero-stuffed convolution spends (s_h s_w - 1) of every s_h s_w
// multiply-adds on zeros; with F = 1 (a detector's last layer) its
// channel-lane kernels also leave 15 of 16 lanes idle. The products that
// remain keep their order (j increases with k) and the skipped ones were
// exact zeros for finite weights, so the results are the same bits.
//
// A window that is not a multiple of the stride (3x3 stride 2, as decoders
// upsample) gives phase r only m_r = (K - s + r) / s + 1 taps (k < K): one
// convolution per phase with its own window, each reading the first rows
// of xp it needs, inserted every s-th row and column (strided
// tensor.insert_slice ops into a tensor.empty: the interleave), then the
// crop. Not one convolution with zero weights in the missing taps: those
// would multiply x where the stuffed form never does (NaN for an infinite
// x). This makes several layers of one: they keep its location, so its
// layer record (name, statistics, recipe rules) in --qnt-quantize, where
// each phase has its own weight scales and chains (QuantizeMoves.cpp).
//
// The depth-to-space (and its crop) then moves down through element-wise
// generics whose other operands are per-channel constants or scalars (the
// bias, a batch normalization, the activation), which become per-column
// constants of the polyphase convolution's result, so that the kernels fuse
// them into its stores and static int8 chains them into its int32 bias and
// requantization; the interleave (and its crop) likewise, the generic
// copied onto each phase.
//
// When x is a function argument, the layout conversion transposes x and
// spreads the result (HoistTransposeAboveInsertedArgument in
// TransposePropagation.cpp), so the spread is found in either layout.
//
// Both layouts: conv_2d_nhwc_hwcf (weights [kh][kw][C][F], the new channel
// (r, t, f)) and conv_2d_nchw_fchw (weights [F][C][kh][kw], the new channel
// (f, r, t)), so that a model quantized with layout=keep gets the same
// per-channel scales as the NHWC one.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/Transforms/ElementwiseFusion.h"
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

#include <set>

namespace quantopt {
#define GEN_PASS_DEF_QNTUNSTUFFTRANSPOSEDCONV
#include "QuantOpt/Dialect/Qnt/Transforms/Passes.h.inc"
} // namespace quantopt

using namespace mlir;

namespace {
/// Where a layout keeps its dimensions.
struct Layout {
  bool nhwc;
  int64_t channel() const { return nhwc ? 3 : 1; }
  int64_t spatial(int d) const { return nhwc ? 1 + d : 2 + d; }
  /// The 6-D view [N, H, W, kh, kw, F] or [N, F, kh, kw, H, W] of the 1x1
  /// convolution's result, and the permutation to [N, H, kh, W, kw, F] or
  /// [N, F, H, kh, W, kw].
  SmallVector<ReassociationIndices> expand() const {
    if (nhwc)
      return {{0}, {1}, {2}, {3, 4, 5}};
    return {{0}, {1, 2, 3}, {4}, {5}};
  }
  SmallVector<int64_t> permutation() const {
    if (nhwc)
      return {0, 1, 3, 2, 4, 5};
    return {0, 1, 4, 2, 5, 3};
  }
  SmallVector<ReassociationIndices> collapse() const {
    if (nhwc)
      return {{0}, {1, 2}, {3, 4}, {5}};
    return {{0}, {1}, {2, 3}, {4, 5}};
  }
};

/// The depth-to-space of `y` (the 1x1 convolution's layout): an
/// expand_shape to the 6-D view, the transpose, a collapse_shape.
Value depthToSpace(OpBuilder &b, Location loc, Value y, Layout layout,
                   int64_t kh, int64_t kw) {
  auto type = cast<RankedTensorType>(y.getType());
  int64_t n = type.getDimSize(0);
  int64_t c = type.getDimSize(layout.channel());
  int64_t h = type.getDimSize(layout.spatial(0));
  int64_t w = type.getDimSize(layout.spatial(1));
  int64_t f = c / (kh * kw);
  SmallVector<int64_t> six = layout.nhwc
                                 ? SmallVector<int64_t>{n, h, w, kh, kw, f}
                                 : SmallVector<int64_t>{n, f, kh, kw, h, w};
  auto sixType = RankedTensorType::get(six, type.getElementType());
  Value expanded =
      tensor::ExpandShapeOp::create(b, loc, sixType, y, layout.expand());
  // Both permutations keep the batch first; only it may be dynamic (read
  // from y, so that the view has the transpose as its one user).
  SmallVector<int64_t> perm = layout.permutation();
  SmallVector<OpFoldResult> permuted{tensor::getMixedSize(b, loc, y, 0)};
  for (int64_t d : ArrayRef(perm).drop_front())
    permuted.push_back(b.getIndexAttr(six[d]));
  Value empty =
      tensor::EmptyOp::create(b, loc, permuted, type.getElementType());
  Value transposed =
      linalg::TransposeOp::create(b, loc, expanded, empty, perm).getResult()[0];
  return tensor::CollapseShapeOp::create(b, loc, transposed, layout.collapse());
}

/// [N][H][W*P][F] -> [N][H][W][(p, f)]: the pixels of P phases, side by
/// side along the width (SinkDepthToSpaceBelowPointwiseConv's 1x1
/// convolution), regrouped as one pixel's P*F columns (reshapes).
Value regroupPhases(OpBuilder &b, Location loc, Value y, int64_t phases) {
  auto type = cast<RankedTensorType>(y.getType());
  int64_t n = type.getDimSize(0), h = type.getDimSize(1),
          w = type.getDimSize(2) / phases, f = type.getDimSize(3);
  Value grouped = tensor::ExpandShapeOp::create(
      b, loc,
      RankedTensorType::get({n, h, w, phases, f}, type.getElementType()), y,
      SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}, {4}});
  return tensor::CollapseShapeOp::create(
      b, loc, grouped,
      SmallVector<ReassociationIndices>{{0}, {1}, {2}, {3, 4}});
}

/// Whether `op` has one user besides the tensor.dims that read a dynamic
/// batch size (a crop's, the phases' regrouping): the sinks rebuild those
/// sizes from what they move.
bool usedOnceBesidesSizes(Operation *op) {
  return llvm::count_if(op->getUsers(), [](Operation *user) {
           return !isa<tensor::DimOp>(user);
         }) == 1;
}

/// Matches `v` = regroupPhases(y, P) as built above, each reshape used
/// once besides the tensor.dim of a batch size; returns y.
Value matchRegroupedPhases(Value v) {
  auto collapse = v.getDefiningOp<tensor::CollapseShapeOp>();
  if (!collapse || !usedOnceBesidesSizes(collapse) ||
      collapse.getReassociationIndices() !=
          SmallVector<ReassociationIndices>{{0}, {1}, {2}, {3, 4}})
    return {};
  auto expand = collapse.getSrc().getDefiningOp<tensor::ExpandShapeOp>();
  if (!expand || !usedOnceBesidesSizes(expand) ||
      expand.getReassociationIndices() !=
          SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}, {4}})
    return {};
  return expand.getSrc();
}

/// Whether `slice` is a crop the sinks can replay below a generic: one
/// user, unit strides, static offsets, and each dynamic dimension taken
/// whole (from 0, its size the source's tensor.dim).
bool isCrop(tensor::ExtractSliceOp slice) {
  if (!slice->hasOneUse() || !slice.hasUnitStride() ||
      ShapedType::isDynamicShape(slice.getStaticOffsets()))
    return false;
  for (int64_t d = 0; d < slice.getResultType().getRank(); ++d) {
    if (!slice.getResultType().isDynamicDim(d))
      continue;
    auto size = dyn_cast<Value>(slice.getMixedSizes()[d]);
    auto dim = size ? size.getDefiningOp<tensor::DimOp>() : tensor::DimOp();
    if (slice.getStaticOffsets()[d] != 0 || !dim ||
        dim.getSource() != slice.getSource() || dim.getConstantIndex() != d)
      return false;
  }
  return true;
}

/// The same crop as `crop` of `v` (a new source of the same shape).
Value replayCrop(OpBuilder &b, Location loc, tensor::ExtractSliceOp crop,
                 Value v) {
  SmallVector<OpFoldResult> sizes = crop.getMixedSizes();
  for (int64_t d = 0; d < crop.getResultType().getRank(); ++d)
    if (crop.getResultType().isDynamicDim(d))
      sizes[d] = tensor::getMixedSize(b, loc, v, d);
  return tensor::ExtractSliceOp::create(b, loc, v, crop.getMixedOffsets(),
                                        sizes, crop.getMixedStrides());
}

/// Whether `op` is an element-wise generic the sinks move: a 4-D map of
/// its inputs (isElementwiseMap) that reads no loop index.
bool isSinkable(linalg::GenericOp op) {
  return quantopt::isElementwiseMap(op) && op.getNumLoops() == 4 &&
         op.getBody()->getOps<linalg::IndexOp>().empty();
}

/// `op`'s computation on `inputs` (read by `maps`, then the identity
/// result), over the shape of `like`.
Value cloneGeneric(RewriterBase &rewriter, linalg::GenericOp op,
                   ValueRange inputs, ArrayRef<AffineMap> maps, Value like) {
  Location loc = op.getLoc();
  Type element =
      cast<RankedTensorType>(op.getResultTypes()[0]).getElementType();
  Value empty = tensor::EmptyOp::create(
      rewriter, loc, tensor::getMixedSizes(rewriter, loc, like), element);
  auto generic = linalg::GenericOp::create(
      rewriter, loc, TypeRange{empty.getType()}, inputs, ValueRange{empty},
      maps, op.getIteratorTypesArray());
  rewriter.cloneRegionBefore(op.getRegion(), generic.getRegion(),
                             generic.getRegion().end());
  return generic.getResult(0);
}

/// Matches `v` = depthToSpace(y, ...) as built above; returns y.
Value matchDepthToSpace(Value v, Layout &layout, int64_t &kh, int64_t &kw) {
  // The collapse has one user besides the tensor.dim of a crop's batch.
  auto collapse = v.getDefiningOp<tensor::CollapseShapeOp>();
  if (!collapse || !usedOnceBesidesSizes(collapse))
    return {};
  auto transpose = collapse.getSrc().getDefiningOp<linalg::TransposeOp>();
  if (!transpose || !transpose->hasOneUse() ||
      !transpose.hasPureTensorSemantics())
    return {};
  auto expand = transpose.getInput().getDefiningOp<tensor::ExpandShapeOp>();
  if (!expand || !expand->hasOneUse())
    return {};
  for (bool nhwc : {true, false}) {
    Layout candidate{nhwc};
    if (llvm::to_vector(transpose.getPermutation()) !=
            candidate.permutation() ||
        expand.getReassociationIndices() != candidate.expand() ||
        collapse.getReassociationIndices() != candidate.collapse())
      continue;
    auto six = expand.getResultType();
    layout = candidate;
    kh = six.getDimSize(nhwc ? 3 : 2);
    kw = six.getDimSize(nhwc ? 4 : 3);
    if (ShapedType::isDynamic(kh) || ShapedType::isDynamic(kw))
      return {};
    return expand.getSrc();
  }
  return {};
}

/// The polyphase form of one spatial dimension (file comment).
struct Phases {
  int64_t stride;  // s: the phases, the output positions modulo s
  int64_t window;  // K
  int64_t taps;    // m = ceil(K / s): the most window positions a phase takes
  int64_t shift;   // a: the first output is position a of the phase grid
  int64_t padLow;  // -delta: zeros before x
  int64_t padHigh; // zeros after x
  int64_t rows;    // Uc: the polyphase convolution's output size

  /// The window positions phase r takes: k = s-1-r + s*j < K.
  int64_t tapsOf(int64_t r) const { return (window - stride + r) / stride + 1; }
  bool uniform() const { return window % stride == 0; }
};

/// The phases of a dimension where x (size `in`) is spread every `stride`
/// from `low` into a fill of size `spread`, convolved with a window of
/// `window` giving `out` positions; nullopt when the window is smaller than
/// the stride (a phase would take no tap).
std::optional<Phases> getPhases(int64_t in, int64_t stride, int64_t low,
                                int64_t spread, int64_t window, int64_t out) {
  if (in < 1 || stride < 1 || low < 0 || window < stride ||
      spread < low + stride * (in - 1) + 1 || out != spread - window + 1)
    return std::nullopt;
  Phases p;
  p.stride = stride;
  p.window = window;
  p.taps = llvm::divideCeil(window, stride);
  p.shift = llvm::mod(stride - 1 - low, stride);
  int64_t delta = (stride - 1 - low - p.shift) / stride;
  int64_t grid = llvm::divideCeilSigned(out + p.shift, stride);
  p.padLow = -delta;
  p.padHigh = std::max<int64_t>(0, grid + delta + p.taps - 1 - in);
  p.rows = in + p.padLow + p.padHigh - p.taps + 1;
  return p;
}

/// A convolution of a zero-stuffed input whose window is a multiple of its
/// stride becomes a convolution of the unstuffed input with a window of
/// K / s into s*s*F channels, a depth-to-space and a crop (file comment).
template <typename ConvOp>
struct UnstuffTransposedConv : OpRewritePattern<ConvOp> {
  UnstuffTransposedConv(MLIRContext *ctx, bool perPhase)
      : OpRewritePattern<ConvOp>(ctx), perPhase(perPhase) {}
  bool perPhase;
  static constexpr bool kNhwc =
      std::is_same_v<ConvOp, linalg::Conv2DNhwcHwcfOp>;

  LogicalResult matchAndRewrite(ConvOp conv,
                                PatternRewriter &rewriter) const override {
    Layout layout{kNhwc};
    if (!conv.hasPureTensorSemantics() ||
        !llvm::all_of(conv.getStrides().template getValues<int64_t>(),
                      [](int64_t s) { return s == 1; }) ||
        !llvm::all_of(conv.getDilations().template getValues<int64_t>(),
                      [](int64_t s) { return s == 1; }))
      return rewriter.notifyMatchFailure(conv, "strided or dilated");
    auto insert =
        conv.getInputs()[0].template getDefiningOp<tensor::InsertSliceOp>();
    DenseElementsAttr weight;
    if (!insert || !matchPattern(conv.getInputs()[1], m_Constant(&weight)))
      return rewriter.notifyMatchFailure(conv, "not a zero-stuffed input and "
                                               "constant weights");
    auto element = dyn_cast<FloatType>(weight.getElementType());
    auto fill = insert.getDest().template getDefiningOp<linalg::FillOp>();
    FloatAttr zero;
    if (!element || !fill ||
        !matchPattern(fill.getInputs()[0], m_Constant(&zero)) ||
        !zero.getValue().isZero())
      return rewriter.notifyMatchFailure(conv, "not spread into float zeros");
    auto init = conv.getOutputs()[0].template getDefiningOp<linalg::FillOp>();
    if (!init)
      return rewriter.notifyMatchFailure(conv, "the init is not a fill");
    Value x = insert.getSource();
    auto xType = cast<RankedTensorType>(x.getType());
    auto spreadType = insert.getDestType();
    auto yType = cast<RankedTensorType>(conv.getResultTypes()[0]);
    auto wType = cast<RankedTensorType>(weight.getType());
    if (xType.getRank() != 4 || xType.getElementType() != element ||
        yType.getElementType() != element)
      return failure();
    int64_t k[2] = {wType.getDimSize(kNhwc ? 0 : 2),
                    wType.getDimSize(kNhwc ? 1 : 3)};
    int64_t c = wType.getDimSize(kNhwc ? 2 : 1);
    int64_t f = wType.getDimSize(kNhwc ? 3 : 0);
    // The slice: the whole of x, every s-th row and column from `low`.
    ArrayRef<int64_t> offsets = insert.getStaticOffsets();
    ArrayRef<int64_t> strides = insert.getStaticStrides();
    ArrayRef<int64_t> sizes = insert.getStaticSizes();
    int64_t ch = layout.channel();
    if (ShapedType::isDynamic(offsets[0]) || offsets[0] != 0 ||
        offsets[ch] != 0 || strides[0] != 1 || strides[ch] != 1 ||
        sizes[ch] != c || xType.getDimSize(ch) != c ||
        spreadType.getDimSize(ch) != c)
      return rewriter.notifyMatchFailure(conv, "not a whole-input spread");
    Phases phases[2];
    for (int d = 0; d < 2; ++d) {
      int64_t dim = layout.spatial(d);
      int64_t in = xType.getDimSize(dim);
      std::optional<Phases> p;
      if (!ShapedType::isDynamic(in) && sizes[dim] == in &&
          !ShapedType::isDynamic(offsets[dim]) &&
          !ShapedType::isDynamic(strides[dim]))
        p = getPhases(in, strides[dim], offsets[dim],
                      spreadType.getDimSize(dim), k[d], yType.getDimSize(dim));
      if (!p)
        return rewriter.notifyMatchFailure(
            conv, "the window is smaller than the stride (or the sizes are "
                  "dynamic)");
      phases[d] = *p;
    }
    if (phases[0].stride * phases[1].stride < 2)
      return rewriter.notifyMatchFailure(conv, "not spread (stride 1)");
    if (!perPhase && !(phases[0].uniform() && phases[1].uniform()))
      return rewriter.notifyMatchFailure(
          conv, "the window is not a multiple of the stride (per-phase=false)");

    Location loc = conv.getLoc();
    // x padded by the zeros the phases read beyond it.
    Value input = x;
    if (phases[0].padLow || phases[0].padHigh || phases[1].padLow ||
        phases[1].padHigh) {
      SmallVector<OpFoldResult> low(4, rewriter.getIndexAttr(0));
      SmallVector<OpFoldResult> high = low;
      for (int d = 0; d < 2; ++d) {
        low[layout.spatial(d)] = rewriter.getIndexAttr(phases[d].padLow);
        high[layout.spatial(d)] = rewriter.getIndexAttr(phases[d].padHigh);
      }
      Value padZero = arith::ConstantOp::create(rewriter, loc, zero);
      input =
          tensor::PadOp::create(rewriter, loc, Type(), x, low, high, padZero);
    }
    SmallVector<APFloat> src(weight.getValues<APFloat>());
    // W at window position (i, j), filter fi, channel ci.
    auto weightAt = [&](int64_t i, int64_t j, int64_t ci, int64_t fi) {
      return kNhwc ? src[((i * k[1] + j) * c + ci) * f + fi]
                   : src[((fi * c + ci) * k[0] + i) * k[1] + j];
    };
    // A stride-1 convolution of `in` with `weights` (`columns` filters of
    // an mh x mw window) into the phase grid's rows and columns.
    auto convolve = [&](Value in, int64_t mh, int64_t mw, int64_t columns,
                        ArrayRef<APFloat> weights) {
      auto type = RankedTensorType::get(
          kNhwc ? SmallVector<int64_t>{mh, mw, c, columns}
                : SmallVector<int64_t>{columns, c, mh, mw},
          element);
      Value w = arith::ConstantOp::create(
          rewriter, loc, DenseElementsAttr::get(type, weights));
      SmallVector<OpFoldResult> sizes;
      for (int64_t d = 0; d < 4; ++d)
        sizes.push_back(tensor::getMixedSize(rewriter, loc, x, d));
      sizes[ch] = rewriter.getIndexAttr(columns);
      for (int d = 0; d < 2; ++d)
        sizes[layout.spatial(d)] = rewriter.getIndexAttr(phases[d].rows);
      Value empty = tensor::EmptyOp::create(rewriter, loc, sizes, element);
      Value filled =
          linalg::FillOp::create(rewriter, loc, init.getInputs()[0], empty)
              .getResult(0);
      auto one = rewriter.getI64TensorAttr({1, 1});
      return ConvOp::create(rewriter, loc, filled.getType(), ValueRange{in, w},
                            ValueRange{filled}, one, one)
          .getResult(0);
    };
    int64_t sh = phases[0].stride, sw = phases[1].stride;
    Value result;
    if (phases[0].uniform() && phases[1].uniform()) {
      // One convolution: V[jh][jw][c][(r, t, f)] (NHWC; NCHW:
      // V[(f, r, t)][c][jh][jw]) = W at (sh-1-r + sh*jh, sw-1-t + sw*jw).
      int64_t mh = phases[0].taps, mw = phases[1].taps;
      int64_t columns = sh * sw * f;
      SmallVector<APFloat> dst(src.size(), src.front());
      for (int64_t r = 0; r < sh; ++r)
        for (int64_t t = 0; t < sw; ++t)
          for (int64_t jh = 0; jh < mh; ++jh)
            for (int64_t jw = 0; jw < mw; ++jw)
              for (int64_t ci = 0; ci < c; ++ci)
                for (int64_t fi = 0; fi < f; ++fi) {
                  int64_t col =
                      kNhwc ? (r * sw + t) * f + fi : (fi * sh + r) * sw + t;
                  dst[kNhwc ? ((jh * mw + jw) * c + ci) * columns + col
                            : ((col * c + ci) * mh + jh) * mw + jw] =
                      weightAt(sh - 1 - r + sh * jh, sw - 1 - t + sw * jw, ci,
                               fi);
                }
      result = depthToSpace(
          rewriter, loc, convolve(input, mh, mw, columns, dst), layout, sh, sw);
    } else {
      // Phases with different numbers of taps: one convolution per phase
      // (r, t) with its own window, reading the first rows and columns of
      // the padded input its window needs, interleaved into the grid by
      // strided insertions (no zero weights: a product the stuffed form
      // does not compute would turn an infinite x into NaN).
      SmallVector<OpFoldResult> gridSizes =
          tensor::getMixedSizes(rewriter, loc, x);
      gridSizes[ch] = rewriter.getIndexAttr(f);
      for (int d = 0; d < 2; ++d)
        gridSizes[layout.spatial(d)] =
            rewriter.getIndexAttr(phases[d].stride * phases[d].rows);
      result = tensor::EmptyOp::create(rewriter, loc, gridSizes, element);
      for (int64_t r = 0; r < sh; ++r)
        for (int64_t t = 0; t < sw; ++t) {
          int64_t mh = phases[0].tapsOf(r), mw = phases[1].tapsOf(t);
          SmallVector<APFloat> dst;
          for (int64_t n = 0; n < mh * mw * c * f; ++n) {
            // NHWC [jh][jw][c][f]; NCHW [f][c][jh][jw].
            int64_t fi = kNhwc ? n % f : n / (c * mh * mw);
            int64_t ci = kNhwc ? (n / f) % c : (n / (mh * mw)) % c;
            int64_t jw = kNhwc ? (n / (f * c)) % mw : n % mw;
            int64_t jh = kNhwc ? n / (f * c * mw) : (n / mw) % mh;
            dst.push_back(
                weightAt(sh - 1 - r + sh * jh, sw - 1 - t + sw * jw, ci, fi));
          }
          Value in = input;
          SmallVector<int64_t> need = {phases[0].rows + mh - 1,
                                       phases[1].rows + mw - 1};
          auto inType = cast<RankedTensorType>(input.getType());
          if (need[0] != inType.getDimSize(layout.spatial(0)) ||
              need[1] != inType.getDimSize(layout.spatial(1))) {
            SmallVector<OpFoldResult> sizes =
                tensor::getMixedSizes(rewriter, loc, input);
            for (int d = 0; d < 2; ++d)
              sizes[layout.spatial(d)] = rewriter.getIndexAttr(need[d]);
            in = tensor::ExtractSliceOp::create(
                rewriter, loc, input,
                SmallVector<OpFoldResult>(4, rewriter.getIndexAttr(0)), sizes,
                SmallVector<OpFoldResult>(4, rewriter.getIndexAttr(1)));
          }
          Value phase = convolve(in, mh, mw, f, dst);
          SmallVector<OpFoldResult> offsets(4, rewriter.getIndexAttr(0));
          SmallVector<OpFoldResult> steps(4, rewriter.getIndexAttr(1));
          offsets[layout.spatial(0)] = rewriter.getIndexAttr(r);
          offsets[layout.spatial(1)] = rewriter.getIndexAttr(t);
          steps[layout.spatial(0)] = rewriter.getIndexAttr(sh);
          steps[layout.spatial(1)] = rewriter.getIndexAttr(sw);
          result = tensor::InsertSliceOp::create(
              rewriter, loc, phase, result, offsets,
              tensor::getMixedSizes(rewriter, loc, phase), steps);
        }
    }
    // The crop: output o is position o + a of the phase grid.
    bool crop = false;
    for (int d = 0; d < 2; ++d)
      crop |= phases[d].shift != 0 || phases[d].stride * phases[d].rows !=
                                          yType.getDimSize(layout.spatial(d));
    if (crop) {
      SmallVector<OpFoldResult> cropOffsets(4, rewriter.getIndexAttr(0));
      SmallVector<OpFoldResult> cropSizes =
          tensor::getMixedSizes(rewriter, loc, result);
      for (int d = 0; d < 2; ++d) {
        int64_t dim = layout.spatial(d);
        cropOffsets[dim] = rewriter.getIndexAttr(phases[d].shift);
        cropSizes[dim] = rewriter.getIndexAttr(yType.getDimSize(dim));
      }
      result = tensor::ExtractSliceOp::create(
          rewriter, loc, result, cropOffsets, cropSizes,
          SmallVector<OpFoldResult>(4, rewriter.getIndexAttr(1)));
    }
    rewriter.replaceOp(conv, result);
    return success();
  }
};

/// conv1x1(depthToSpace(z), W) -> depthToSpace(conv1x1(z', W)) in NHWC, for
/// a stride-1 1x1 convolution with a filled init and no more filters than
/// channels: a 1x1 convolution works pixel by pixel, so it may run on z's
/// pixels before they are moved, z [N][H][W][(r, t, c)] read as
/// [N][H][W*kh*kw][c] (reshapes, no copy). A transposed convolution that
/// follows another (PaddleOCR's detector head: 2x2 stride 2 twice) then
/// moves its F-channel input once, not the C-channel map between them.
struct SinkDepthToSpaceBelowPointwiseConv
    : OpRewritePattern<linalg::Conv2DNhwcHwcfOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::Conv2DNhwcHwcfOp conv,
                                PatternRewriter &rewriter) const override {
    Layout layout{true};
    int64_t kh = 0, kw = 0;
    Value z = matchDepthToSpace(conv.getInputs()[0], layout, kh, kw);
    auto filterType = cast<RankedTensorType>(conv.getInputs()[1].getType());
    auto fill = conv.getOutputs()[0].getDefiningOp<linalg::FillOp>();
    if (!z || !layout.nhwc || !conv.hasPureTensorSemantics() || !fill ||
        !filterType.hasStaticShape() || filterType.getDimSize(0) != 1 ||
        filterType.getDimSize(1) != 1 ||
        !llvm::all_of(conv.getStrides().getValues<int64_t>(),
                      [](int64_t v) { return v == 1; }))
      return failure();
    auto zType = cast<RankedTensorType>(z.getType());
    int64_t c = filterType.getDimSize(2), f = filterType.getDimSize(3);
    int64_t h = zType.getDimSize(1), w = zType.getDimSize(2);
    if (f > c || ShapedType::isDynamic(h) || ShapedType::isDynamic(w))
      return rewriter.notifyMatchFailure(
          conv, "more filters than channels: the move would copy more");
    Location loc = conv.getLoc();
    Type element = zType.getElementType();
    Type outElement =
        cast<RankedTensorType>(conv.getResultTypes()[0]).getElementType();
    int64_t n = zType.getDimSize(0), phases = kh * kw;
    // z [N][H][W][(r, t, c)] -> [N][H][W][kh*kw][c] -> [N][H][W*kh*kw][c].
    Value split = tensor::ExpandShapeOp::create(
        rewriter, loc, RankedTensorType::get({n, h, w, phases, c}, element), z,
        SmallVector<ReassociationIndices>{{0}, {1}, {2}, {3, 4}});
    Value pixels = tensor::CollapseShapeOp::create(
        rewriter, loc, split,
        SmallVector<ReassociationIndices>{{0}, {1}, {2, 3}, {4}});
    SmallVector<OpFoldResult> sizes{
        tensor::getMixedSize(rewriter, loc, z, 0), rewriter.getIndexAttr(h),
        rewriter.getIndexAttr(w * phases), rewriter.getIndexAttr(f)};
    Value empty = tensor::EmptyOp::create(rewriter, loc, sizes, outElement);
    Value filled =
        linalg::FillOp::create(rewriter, loc, fill.getInputs()[0], empty)
            .getResult(0);
    Value y = linalg::Conv2DNhwcHwcfOp::create(
                  rewriter, loc, filled.getType(),
                  ValueRange{pixels, conv.getInputs()[1]}, ValueRange{filled},
                  conv.getStrides(), conv.getDilations())
                  .getResult(0);
    // [N][H][W*kh*kw][f] -> [N][H][W][(r, t, f)].
    Value columns = regroupPhases(rewriter, loc, y, phases);
    // The batch size read of the moved tensor (an init's) is z's.
    for (Operation *user :
         llvm::make_early_inc_range(conv.getInputs()[0].getUsers()))
      if (auto dim = dyn_cast<tensor::DimOp>(user))
        if (dim.getConstantIndex() == 0)
          rewriter.replaceOpWithNewOp<tensor::DimOp>(dim, z, 0);
    rewriter.replaceOp(conv,
                       depthToSpace(rewriter, loc, columns, layout, kh, kw));
    return success();
  }
};

/// generic(depthToSpace(y), per-channel constants...) ->
/// depthToSpace(generic(y, per-column constants...)).
struct SinkDepthToSpace : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!isSinkable(op))
      return failure();
    // The operand moved: read at the identity, a depth-to-space.
    int moved = -1;
    Layout layout{true};
    int64_t kh = 0, kw = 0;
    Value y;
    tensor::ExtractSliceOp crop;
    for (OpOperand *in : op.getDpsInputOperands()) {
      if (!op.getMatchingIndexingMap(in).isIdentity())
        continue;
      Value v = in->get();
      crop = v.getDefiningOp<tensor::ExtractSliceOp>();
      if (crop)
        v = crop.getSource();
      Value src = matchDepthToSpace(v, layout, kh, kw);
      // A crop must take the channels whole (the constants follow them).
      if (src &&
          (!crop ||
           (isCrop(crop) && crop.getStaticOffsets()[layout.channel()] == 0 &&
            crop.getResultType().getDimSize(layout.channel()) ==
                crop.getSourceType().getDimSize(layout.channel())))) {
        moved = in->getOperandNumber();
        y = src;
        break;
      }
    }
    if (moved < 0)
      return failure();
    auto yType = cast<RankedTensorType>(y.getType());
    int64_t ch = layout.channel();
    int64_t columns = yType.getDimSize(ch);
    int64_t f = columns / (kh * kw);
    // y regrouped from a 1x1 convolution's phases side by side (NHWC): the
    // generic runs on those, whose channels are the depth-to-space's, with
    // the constants as they are.
    Value sidewise = layout.nhwc ? matchRegroupedPhases(y) : Value();
    if (sidewise) {
      y = sidewise;
      columns = f;
    }
    MLIRContext *ctx = op.getContext();
    // The others: scalars (maps without dimensions) stay; constants that
    // vary along the channel alone become 1-D per-column constants.
    SmallVector<Value> inputs;
    SmallVector<AffineMap> maps;
    Location loc = op.getLoc();
    for (OpOperand *in : op.getDpsInputOperands()) {
      AffineMap map = op.getMatchingIndexingMap(in);
      if (static_cast<int>(in->getOperandNumber()) == moved ||
          (in->get() == op->getOperand(moved) && map.isIdentity())) {
        inputs.push_back(y);
        maps.push_back(map);
        continue;
      }
      if (map.getNumResults() == 0 ||
          llvm::all_of(map.getResults(), llvm::IsaPred<AffineConstantExpr>)) {
        inputs.push_back(in->get());
        maps.push_back(map);
        continue;
      }
      DenseElementsAttr values;
      auto type = dyn_cast<RankedTensorType>(in->get().getType());
      if (!type || !matchPattern(in->get(), m_Constant(&values)))
        return rewriter.notifyMatchFailure(op, "an operand is not a constant");
      // The operand's position of the channel; every other result is 0 or
      // a dimension of size 1.
      int channelAt = -1;
      for (auto [i, e] : llvm::enumerate(map.getResults())) {
        if (auto cst = dyn_cast<AffineConstantExpr>(e)) {
          if (cst.getValue() != 0)
            return failure();
          continue;
        }
        auto dimExpr = dyn_cast<AffineDimExpr>(e);
        if (!dimExpr)
          return failure();
        if (dimExpr.getPosition() == ch && channelAt < 0) {
          channelAt = i;
          continue;
        }
        if (type.getDimSize(i) != 1)
          return rewriter.notifyMatchFailure(
              op, "an operand varies along another dimension");
      }
      int64_t perChannel = channelAt < 0 ? 1 : type.getDimSize(channelAt);
      if (perChannel != 1 && perChannel != f)
        return failure();
      SmallVector<Attribute> src(values.getValues<Attribute>());
      SmallVector<Attribute> dst;
      for (int64_t col = 0; col < columns; ++col) {
        // NHWC columns are (r, t, f), NCHW ones (f, r, t).
        int64_t fi = layout.nhwc ? col % f : col / (kh * kw);
        // (sidewise: columns == f, so fi == col.)
        dst.push_back(src[perChannel == 1 ? 0 : fi]);
      }
      auto colType = RankedTensorType::get({columns}, type.getElementType());
      inputs.push_back(arith::ConstantOp::create(
          rewriter, loc, DenseElementsAttr::get(colType, dst)));
      maps.push_back(AffineMap::get(4, 0, getAffineDimExpr(ch, ctx), ctx));
    }
    maps.push_back(AffineMap::getMultiDimIdentityMap(4, ctx));
    Value result = cloneGeneric(rewriter, op, inputs, maps, y);
    if (sidewise)
      result = regroupPhases(rewriter, loc, result, kh * kw);
    result = depthToSpace(rewriter, loc, result, layout, kh, kw);
    if (crop)
      result = replayCrop(rewriter, loc, crop, result);
    rewriter.replaceOp(op, result);
    return success();
  }
};

/// generic(crop(interleave(p_0 .. p_n))) -> crop(interleave(generic(p_0)
/// .. generic(p_n))): the per-phase form's bias and activation move onto
/// each phase's convolution, as SinkDepthToSpace moves them onto the
/// polyphase one. The interleave is a chain of strided insert_slices into a
/// tensor.empty, one per phase; the generic's other operands must not vary
/// along the batch or the spatial dimensions.
struct SinkInterleave : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  /// The phases inserted into `v` (each insert's source and its
  /// offsets/strides), or nothing when `v` is not a whole interleave.
  static std::optional<SmallVector<tensor::InsertSliceOp>>
  matchInterleave(Value v) {
    SmallVector<tensor::InsertSliceOp> inserts;
    while (auto insert = v.getDefiningOp<tensor::InsertSliceOp>()) {
      // One user besides the tensor.dim of a crop's dynamic batch.
      if (!usedOnceBesidesSizes(insert) || insert.getType().getRank() != 4 ||
          ShapedType::isDynamicShape(insert.getStaticOffsets()) ||
          ShapedType::isDynamicShape(insert.getStaticStrides()))
        return std::nullopt;
      inserts.push_back(insert);
      v = insert.getDest();
    }
    if (inserts.size() < 2 || !v.getDefiningOp<tensor::EmptyOp>())
      return std::nullopt;
    // Every position once: the strides' product many phases, at distinct
    // offsets below the strides, each covering its share of the grid.
    ArrayRef<int64_t> steps = inserts.front().getStaticStrides();
    auto type = inserts.front().getType();
    int64_t phases = 1;
    for (int64_t d = 0; d < 4; ++d) {
      if (type.isDynamicDim(d) && steps[d] != 1)
        return std::nullopt;
      phases *= steps[d];
    }
    if (int64_t(inserts.size()) != phases)
      return std::nullopt;
    std::set<SmallVector<int64_t>> seen;
    for (tensor::InsertSliceOp insert : inserts) {
      if (insert.getStaticStrides() != steps)
        return std::nullopt;
      auto source = insert.getSourceType();
      SmallVector<int64_t> at(insert.getStaticOffsets());
      for (int64_t d = 0; d < 4; ++d) {
        if (at[d] >= steps[d] ||
            (type.isDynamicDim(d)
                 ? !source.isDynamicDim(d)
                 : source.isDynamicDim(d) ||
                       source.getDimSize(d) * steps[d] != type.getDimSize(d)))
          return std::nullopt;
      }
      if (!seen.insert(at).second)
        return std::nullopt;
    }
    return inserts;
  }

  LogicalResult matchAndRewrite(linalg::GenericOp op,
                                PatternRewriter &rewriter) const override {
    if (!isSinkable(op))
      return failure();
    int moved = -1;
    tensor::ExtractSliceOp crop;
    SmallVector<tensor::InsertSliceOp> inserts;
    for (OpOperand *in : op.getDpsInputOperands()) {
      if (!op.getMatchingIndexingMap(in).isIdentity())
        continue;
      Value v = in->get();
      crop = v.getDefiningOp<tensor::ExtractSliceOp>();
      if (crop) {
        if (!isCrop(crop))
          continue;
        v = crop.getSource();
      }
      if (auto match = matchInterleave(v)) {
        moved = in->getOperandNumber();
        inserts = std::move(*match);
        break;
      }
    }
    if (moved < 0)
      return failure();
    // The interleaved dimensions (strided), which the others must not read,
    // and the batch, which a crop's dynamic size keeps whole.
    ArrayRef<int64_t> steps = inserts.front().getStaticStrides();
    for (OpOperand *in : op.getDpsInputOperands()) {
      if (in->get() == op->getOperand(moved))
        continue;
      for (AffineExpr e : op.getMatchingIndexingMap(in).getResults())
        if (auto dim = dyn_cast<AffineDimExpr>(e))
          if (dim.getPosition() == 0 || steps[dim.getPosition()] != 1)
            return rewriter.notifyMatchFailure(
                op, "an operand varies along the batch or the grid");
    }
    Location loc = op.getLoc();
    Type element =
        cast<RankedTensorType>(op.getResultTypes()[0]).getElementType();
    Value interleaved = inserts.back().getDest();
    SmallVector<AffineMap> maps = op.getIndexingMapsArray();
    Value result = tensor::EmptyOp::create(
        rewriter, loc, tensor::getMixedSizes(rewriter, loc, interleaved),
        element);
    // Inserted in the original order (the chain runs from the last).
    for (tensor::InsertSliceOp insert : llvm::reverse(inserts)) {
      Value phase = insert.getSource();
      SmallVector<Value> inputs;
      for (OpOperand *in : op.getDpsInputOperands())
        inputs.push_back(in->get() == op->getOperand(moved) ? phase
                                                            : in->get());
      Value applied = cloneGeneric(rewriter, op, inputs, maps, phase);
      result = tensor::InsertSliceOp::create(
          rewriter, loc, applied, result, insert.getMixedOffsets(),
          tensor::getMixedSizes(rewriter, loc, applied),
          insert.getMixedStrides());
    }
    if (crop)
      result = replayCrop(rewriter, loc, crop, result);
    rewriter.replaceOp(op, result);
    return success();
  }
};

struct QntUnstuffTransposedConvPass
    : quantopt::impl::QntUnstuffTransposedConvBase<
          QntUnstuffTransposedConvPass> {
  using Base::Base;
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    quantopt::populateQntUnstuffTransposedConvPatterns(patterns, perPhase);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns))))
      return signalPassFailure();
  }
};
} // namespace

void quantopt::populateQntUnstuffTransposedConvPatterns(
    RewritePatternSet &patterns, bool perPhase) {
  MLIRContext *ctx = patterns.getContext();
  patterns.add<UnstuffTransposedConv<linalg::Conv2DNhwcHwcfOp>,
               UnstuffTransposedConv<linalg::Conv2DNchwFchwOp>>(ctx, perPhase);
  patterns.add<SinkDepthToSpace, SinkInterleave,
               SinkDepthToSpaceBelowPointwiseConv>(ctx);
}
