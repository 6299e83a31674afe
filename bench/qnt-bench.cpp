//===- qnt-bench.cpp - QuantOpt kernels against oneDNN --------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
//   build/bin/qnt-bench [--shapes MxKxN,...] [--convs NxHxWxCxFxK,...]
//                       [--groupwise MxKxN,...] [--repeat N] [--thread-counts 1,2]
//
// For each matmul shape, in one run: builds our int8 kernel (a qnt.contract
// of u8 activations x constant s8 weights -> its s32 accumulator, through
// --qnt-codegen) and our fp32 kernel (constant f32 weights, same pipeline),
// and oneDNN's u8s8s32 and f32 matmuls with weights pre-packed by oneDNN
// (format_tag::any); checks ours (int8: identical to the exact s32 sums,
// with oneDNN's agreement reported; fp32: relative error against oneDNN), then
// times all four side by side and prints GOP/s and the ratios. See
// docs/Codegen.md. The group-wise section (--groupwise) times W4A8 with
// int4 weights per block of 32 and 128 (qnt-block-matmul) against our W8A8,
// each checked bit for bit against the reference lowering. Timing is only
// ever printed, never asserted.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Dialect/Qnt/IR/Qnt.h"
#include "QuantOpt/Numerics/Numerics.h"
#include "QuantOpt/Pipelines/Pipelines.h"
#include "QuantOpt/Runtime/Runner.h"

#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/ADT/StringExtras.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/raw_ostream.h"

#include "oneapi/dnnl/dnnl.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>
#include <random>

#include <unistd.h>

// oneDNN from Debian runs on OpenMP (libgomp): its thread count is OpenMP's.
extern "C" void omp_set_num_threads(int);

using namespace mlir;
using quantopt::runtime::DType;
using quantopt::runtime::NpyArray;
namespace cl = llvm::cl;

static cl::OptionCategory category("qnt-bench options");
static cl::opt<std::string>
    shapesOption("shapes", cl::desc("Comma-separated MxKxN matmul shapes"),
                 cl::init("1024x1024x1024,128x4096x4096,512x1024x1024,1x4096x4096"),
                 cl::cat(category));
static cl::opt<std::string> convsOption(
    "convs", cl::cat(category),
    cl::desc("Comma-separated NxHxWxCxFxK convolutions (KxK window, stride "
             "1, input pre-padded to (H+K-1)x(W+K-1): 'same' layers of a "
             "ResNet-like CNN)"),
    cl::init("1x56x56x64x64x3,1x28x28x128x128x3,1x14x14x256x256x3"));
static cl::opt<std::string> groupwiseOption(
    "groupwise", cl::cat(category),
    cl::desc("Comma-separated MxKxN shapes of the group-wise section: W4A8 "
             "with int4 weights per block of 32 and 128 rows of K and int8 "
             "activations quantized per row and block (qnt.contract's block "
             "form, as llama.cpp's Q4_0 x Q8_0 and ONNX Runtime's "
             "MatMulNBits) against our W8A8 (per-channel int8 weights, int8 "
             "activations per row), both from f32 activations"),
    cl::init("1x4096x4096,1x16384x8192,64x4096x4096"));
static cl::opt<unsigned> repeat("repeat", cl::desc("Timed calls per kernel"),
                                cl::init(20), cl::cat(category));
static cl::opt<std::string> isaOption(
    "isa",
    cl::desc("How our integer kernels' dots are lowered: host (default), "
             "vnni, avx2 or generic (--qnt-codegen isa=)"),
    cl::init("host"), cl::cat(category));
static cl::opt<std::string> amxOption(
    "amx",
    cl::desc("Our int8 matmuls on AMX tiles: host (default: when the CPU has "
             "AMX-INT8), on or off (--qnt-codegen amx=)"),
    cl::init("host"), cl::cat(category));
static cl::opt<int64_t> lanesOption(
    "lanes", cl::desc("i32 lanes of our integer kernels: 16 or 8"),
    cl::init(16), cl::cat(category));
static cl::opt<int64_t> evictMb(
    "evict-mb",
    cl::desc("MiB of memory the group-wise section reads before each timed "
             "call, so that the weights come from DRAM (default -1: twice "
             "the last-level cache; 0: no eviction, weights stay cached "
             "when they fit)"),
    cl::init(-1), cl::cat(category));
static cl::opt<std::string> threadsOption(
    "thread-counts", cl::desc("Thread counts to time (ours and oneDNN)"),
    cl::init("1,2"), cl::cat(category));

struct Shape {
  int64_t m, k, n;
};

/// The largest difference between our f32 result `x` (one array, else 1:
/// a failure) and `y`, relative to the largest |y| (sums in another order
/// round differently; single elements may cancel).
static double maxRelativeDifference(const std::vector<NpyArray> &x,
                                    const float *y, int64_t count) {
  if (x.size() != 1)
    return 1.0;
  const float *px = x[0].as<float>();
  double maxDiff = 0, maxRef = 0;
  for (int64_t i = 0; i < count; ++i) {
    maxDiff = std::max<double>(maxDiff, std::fabs(px[i] - y[i]));
    maxRef = std::max<double>(maxRef, std::fabs(y[i]));
  }
  return maxDiff / std::max(maxRef, 1e-30);
}

static double medianMs(std::vector<double> times) {
  std::sort(times.begin(), times.end());
  size_t c = times.size();
  return c % 2 ? times[c / 2] : (times[c / 2 - 1] + times[c / 2]) / 2;
}

/// The module of one kernel, as text: int8 is the contraction
/// --qnt-quantize builds (u8 x s8 -> s32 from zeros; with `int4`, s4
/// weights: W4A8, one value per byte of `w8`), fp32 a linalg.matmul.
static std::string buildModule(const Shape &s, bool int8,
                               const std::vector<int8_t> &w8,
                               const std::vector<float> &w32,
                               bool int4 = false) {
  std::string hex;
  if (int8)
    hex = llvm::toHex(llvm::StringRef(reinterpret_cast<const char *>(w8.data()),
                                      w8.size()));
  else
    hex = llvm::toHex(llvm::StringRef(
        reinterpret_cast<const char *>(w32.data()), w32.size() * 4));
  std::string text;
  llvm::raw_string_ostream os(text);
  if (int8) {
    os << llvm::formatv(R"(
#map = affine_map<(d0, d1, d2) -> (d0, d2)>
#map1 = affine_map<(d0, d1, d2) -> (d2, d1)>
#map2 = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @main(%a: tensor<{0}x{1}xi8>) -> tensor<{0}x{2}xi32> {{
  %w = arith.constant dense<"0x{3}"> : tensor<{1}x{2}x{4}>
  %r = qnt.contract %a, %w : (tensor<{0}x{1}xi8>, tensor<{1}x{2}x{4}>) -> tensor<{0}x{2}xi32>
         maps = [#map, #map1, #map2] input = #qnt.params<ui8, scales = [1.0]>
         weight = #qnt.params<{4}, scales = [1.0]> result = #qnt.params<i32, scales = [1.0]>
  return %r : tensor<{0}x{2}xi32>
}
)",
                        s.m, s.k, s.n, hex, int4 ? "i4" : "i8");
  } else {
    os << llvm::formatv(R"(
func.func @main(%a: tensor<{0}x{1}xf32>) -> tensor<{0}x{2}xf32> {{
  %w = arith.constant dense<"0x{3}"> : tensor<{1}x{2}xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<{0}x{2}xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<{0}x{2}xf32>) -> tensor<{0}x{2}xf32>
  %r = linalg.matmul ins(%a, %w : tensor<{0}x{1}xf32>, tensor<{1}x{2}xf32>) outs(%c : tensor<{0}x{2}xf32>) -> tensor<{0}x{2}xf32>
  return %r : tensor<{0}x{2}xf32>
}
)",
                        s.m, s.k, s.n, hex);
  }
  return text;
}

/// `values` as an MLIR list ("1.000000000e-02, ..."), each float exact.
static std::string joinFloats(const std::vector<float> &values) {
  std::string list;
  list.reserve(values.size() * 17);
  for (float v : values) {
    if (!list.empty())
      list += ", ";
    list += llvm::formatv("{0:e9}", v).str();
  }
  return list;
}

/// A weight-only layer: f32 activations x i8 or i4 (packed, two per byte)
/// per-channel weights, or with `block` > 0 per block of `block` rows of K
/// with `zeroPoints` (scales and zero points [ceil(K / block)][N]),
/// dequantized by qnt.dequantize (what --qnt-quantize activations=none
/// builds).
static std::string buildWeightOnlyModule(const Shape &s, bool int4,
                                         const std::vector<int8_t> &q,
                                         const std::vector<float> &scales,
                                         int64_t block = 0,
                                         const std::vector<int64_t> &zeroPoints = {}) {
  std::vector<uint8_t> bytes;
  if (int4) {
    bytes.assign(q.size() / 2, 0);
    for (size_t i = 0; i < q.size(); ++i)
      bytes[i / 2] |= static_cast<uint8_t>((q[i] & 0xF) << (i % 2 ? 4 : 0));
  } else {
    bytes.assign(q.begin(), q.end());
  }
  std::string hex = llvm::toHex(llvm::StringRef(
      reinterpret_cast<const char *>(bytes.data()), bytes.size()));
  std::string scaleList = joinFloats(scales);
  int64_t storedN = int4 ? s.n / 2 : s.n;
  std::string layout = block ? llvm::formatv("axis = 0, block = {0}", block).str()
                             : std::string("axis = 1");
  if (!zeroPoints.empty()) {
    std::string list;
    for (int64_t z : zeroPoints)
      list += (list.empty() ? "" : ", ") + std::to_string(z);
    scaleList += "], zero_points = [" + list;
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::formatv(R"(
func.func @main(%a: tensor<{0}x{1}xf32>) -> tensor<{0}x{2}xf32> {{
  %q = arith.constant dense<"0x{3}"> : tensor<{1}x{4}xi8>
  %w = qnt.dequantize %q : tensor<{1}x{4}xi8> to tensor<{1}x{2}xf32> as #qnt.params<{5}, {8}, scales = [{6}]>{7}
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<{0}x{2}xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<{0}x{2}xf32>) -> tensor<{0}x{2}xf32>
  %r = linalg.matmul ins(%a, %w : tensor<{0}x{1}xf32>, tensor<{1}x{2}xf32>) outs(%c : tensor<{0}x{2}xf32>) -> tensor<{0}x{2}xf32>
  return %r : tensor<{0}x{2}xf32>
}
)",
                      s.m, s.k, s.n, hex, storedN, int4 ? "i4" : "i8",
                      scaleList, int4 ? " packed" : "", layout);
  return text;
}

/// A group-wise layer from f32 activations: with `block` > 0, i4 weights
/// `q` with scales per block of `block` rows of K ([ceil(K/block)][N]) and
/// activations quantized to i8 (symmetric) per row and block; with `block`
/// = 0, i8 weights with per-channel scales ([N]) and activations per row.
static std::string buildGroupwiseModule(const Shape &s,
                                        const std::vector<int8_t> &q,
                                        const std::vector<float> &scales,
                                        int64_t block) {
  std::string hex = llvm::toHex(
      llvm::StringRef(reinterpret_cast<const char *>(q.data()), q.size()));
  std::string list = joinFloats(scales);
  int64_t groups = block ? (s.k + block - 1) / block : 0;
  std::string paramShape =
      block ? llvm::formatv("{0}x{1}x", s.m, groups).str()
            : llvm::formatv("{0}x", s.m).str();
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::formatv(R"(
#map = affine_map<(d0, d1, d2) -> (d0, d2)>
#map1 = affine_map<(d0, d1, d2) -> (d2, d1)>
#map2 = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @main(%a: tensor<{0}x{1}xf32>) -> tensor<{0}x{2}xf32> {{
  %w = arith.constant dense<"0x{3}"> : tensor<{1}x{2}x{4}>
  %xq, %sx, %zx = qnt.dynamic_quantize %a : tensor<{0}x{1}xf32> to tensor<{0}x{1}xi8>, tensor<{5}f32>, tensor<{5}i32> storage = i8 scheme = symmetric {6}
  %r = qnt.contract %xq, %w dynamic(%sx, %zx) : (tensor<{0}x{1}xi8>, tensor<{1}x{2}x{4}>, tensor<{5}f32>, tensor<{5}i32>) -> tensor<{0}x{2}xf32>
         maps = [#map, #map1, #map2] input_storage = i8
         weight = #qnt.params<{4}, narrow, axis = {7}, scales = [{8}]>
  return %r : tensor<{0}x{2}xf32>
}
)",
                      s.m, s.k, s.n, hex, block ? "i4" : "i8", paramShape,
                      block ? llvm::formatv("block = {0}", block).str()
                            : std::string("per_row"),
                      block ? llvm::formatv("0, block = {0}", block).str()
                            : std::string("1"),
                      list);
  return text;
}

/// oneDNN matmul with weights reordered once into the primitive's layout.
struct DnnlMatmul {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  dnnl::matmul primitive;
  dnnl::convolution_forward convolution;
  dnnl::memory src, weights, dst;
};

struct ConvShape {
  int64_t n, h, w, c, f, k;
};

/// The exact int32 sums of u8 [M][K] x s8 [K][N] (the oracle of the int8
/// checks; oneDNN's u8s8s32 is exact only where it uses VNNI: its AVX2 path
/// saturates 16-bit pair sums).
static std::vector<int32_t> exactMatmul(const std::vector<uint8_t> &a,
                                        const std::vector<int8_t> &w, int64_t m,
                                        int64_t k, int64_t n) {
  std::vector<int32_t> out(m * n, 0);
  for (int64_t i = 0; i < m; ++i)
    for (int64_t p = 0; p < k; ++p) {
      int32_t x = a[i * k + p];
      for (int64_t j = 0; j < n; ++j)
        out[i * n + j] += x * w[p * n + j];
    }
  return out;
}

/// The exact int32 sums of the convolution of buildConvModule.
static std::vector<int32_t> exactConv(const std::vector<uint8_t> &a,
                                      const std::vector<int8_t> &w,
                                      const ConvShape &s) {
  int64_t hp = s.h + s.k - 1, wp = s.w + s.k - 1;
  std::vector<int32_t> out(s.n * s.h * s.w * s.f, 0);
  for (int64_t b = 0; b < s.n; ++b)
    for (int64_t y = 0; y < s.h; ++y)
      for (int64_t x = 0; x < s.w; ++x) {
        int32_t *o = &out[((b * s.h + y) * s.w + x) * s.f];
        for (int64_t ky = 0; ky < s.k; ++ky)
          for (int64_t kx = 0; kx < s.k; ++kx)
            for (int64_t c = 0; c < s.c; ++c) {
              int32_t v = a[((b * hp + y + ky) * wp + x + kx) * s.c + c];
              const int8_t *wr = &w[((ky * s.k + kx) * s.c + c) * s.f];
              for (int64_t f = 0; f < s.f; ++f)
                o[f] += v * wr[f];
            }
      }
  return out;
}

/// "identical" when `n` int32 values at `a` and `b` agree, else "DIFFERENT".
static bool sameSums(const void *a, const void *b, int64_t n) {
  return std::memcmp(a, b, n * sizeof(int32_t)) == 0;
}

/// A quantized NHWC/HWCF convolution (qnt.contract with zero zero points, its
/// i32 accumulator as result) on a padded input:
/// u8 [N][H+K-1][W+K-1][C] x s8 [K][K][C][F] -> s32.
static std::string buildConvModule(const ConvShape &s,
                                   const std::vector<int8_t> &w8) {
  std::string hex = llvm::toHex(
      llvm::StringRef(reinterpret_cast<const char *>(w8.data()), w8.size()));
  int64_t hp = s.h + s.k - 1, wp = s.w + s.k - 1;
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::formatv(R"(
#x = affine_map<(n, oh, ow, f, kh, kw, c) -> (n, oh + kh, ow + kw, c)>
#w = affine_map<(n, oh, ow, f, kh, kw, c) -> (kh, kw, c, f)>
#o = affine_map<(n, oh, ow, f, kh, kw, c) -> (n, oh, ow, f)>
func.func @main(%a: tensor<{0}x{1}x{2}x{3}xi8>) -> tensor<{0}x{4}x{5}x{6}xi32> {{
  %w = arith.constant dense<"0x{7}"> : tensor<{8}x{8}x{3}x{6}xi8>
  %r = qnt.contract %a, %w : (tensor<{0}x{1}x{2}x{3}xi8>, tensor<{8}x{8}x{3}x{6}xi8>) -> tensor<{0}x{4}x{5}x{6}xi32>
         maps = [#x, #w, #o] input = #qnt.params<ui8, scales = [1.0]>
         weight = #qnt.params<i8, scales = [1.0]> result = #qnt.params<i32, scales = [1.0]>
  return %r : tensor<{0}x{4}x{5}x{6}xi32>
}
)",
                      s.n, hp, wp, s.c, s.h, s.w, s.f, hex, s.k);
  return text;
}

/// The same convolution in f32 (linalg.conv_2d_nhwc_hwcf on constant
/// weights, which qnt-f32-matmul packs).
static std::string buildConvModuleF32(const ConvShape &s,
                                      const std::vector<float> &w32) {
  std::string hex = llvm::toHex(llvm::StringRef(
      reinterpret_cast<const char *>(w32.data()), w32.size() * 4));
  int64_t hp = s.h + s.k - 1, wp = s.w + s.k - 1;
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::formatv(R"(
func.func @main(%a: tensor<{0}x{1}x{2}x{3}xf32>) -> tensor<{0}x{4}x{5}x{6}xf32> {{
  %w = arith.constant dense<"0x{7}"> : tensor<{8}x{8}x{3}x{6}xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<{0}x{4}x{5}x{6}xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<{0}x{4}x{5}x{6}xf32>) -> tensor<{0}x{4}x{5}x{6}xf32>
  %r = linalg.conv_2d_nhwc_hwcf ins(%a, %w : tensor<{0}x{1}x{2}x{3}xf32>, tensor<{8}x{8}x{3}x{6}xf32>) outs(%c : tensor<{0}x{4}x{5}x{6}xf32>) -> tensor<{0}x{4}x{5}x{6}xf32>
  return %r : tensor<{0}x{4}x{5}x{6}xf32>
}
)",
                      s.n, hp, wp, s.c, s.h, s.w, s.f, hex, s.k);
  return text;
}

/// oneDNN's u8s8s32 (or f32) direct convolution (NHWC activations, weights
/// reordered once from HWIO into the primitive's layout), no padding.
static DnnlMatmul makeDnnlConv(const ConvShape &s, const void *aData,
                               const void *wData, bool f32 = false) {
  using dt = dnnl::memory::data_type;
  using tag = dnnl::memory::format_tag;
  DnnlMatmul d;
  int64_t hp = s.h + s.k - 1, wp = s.w + s.k - 1;
  dnnl::memory::desc srcDesc({s.n, s.c, hp, wp}, f32 ? dt::f32 : dt::u8,
                             tag::nhwc);
  dnnl::memory::desc wAny({s.f, s.c, s.k, s.k}, f32 ? dt::f32 : dt::s8,
                          tag::any);
  dnnl::memory::desc wPlain({s.f, s.c, s.k, s.k}, f32 ? dt::f32 : dt::s8,
                            tag::hwio);
  dnnl::memory::desc dstDesc({s.n, s.f, s.h, s.w}, f32 ? dt::f32 : dt::s32,
                             tag::nhwc);
  dnnl::convolution_forward::desc cd(
      dnnl::prop_kind::forward_inference, dnnl::algorithm::convolution_direct,
      srcDesc, wAny, dstDesc, {1, 1}, {0, 0}, {0, 0});
  dnnl::convolution_forward::primitive_desc pd(cd, d.engine);
  d.convolution = dnnl::convolution_forward(pd);
  d.src = dnnl::memory(srcDesc, d.engine);
  std::memcpy(d.src.get_data_handle(), aData,
              s.n * hp * wp * s.c * (f32 ? 4 : 1));
  dnnl::memory plain(wPlain, d.engine, const_cast<void *>(wData));
  d.weights = dnnl::memory(pd.weights_desc(), d.engine);
  dnnl::reorder(plain, d.weights).execute(d.stream, plain, d.weights);
  d.dst = dnnl::memory(dstDesc, d.engine);
  d.stream.wait();
  return d;
}

/// Our kernel, compiled with --qnt-codegen.
struct OurKernel {
  OwningOpRef<ModuleOp> module;
  std::unique_ptr<quantopt::runtime::Session> session;
};

/// `text` through the pipeline `build` makes, JIT-compiled into `kernel`.
static bool compileWith(
    MLIRContext &ctx, const std::string &text, OurKernel &kernel,
    llvm::function_ref<LogicalResult(OpPassManager &)> build) {
  kernel.module = parseSourceString<ModuleOp>(text, &ctx);
  if (!kernel.module)
    return false;
  PassManager pm(&ctx);
  if (failed(build(pm)) || failed(pm.run(*kernel.module)))
    return false;
  auto session = quantopt::runtime::Session::create(*kernel.module, "main");
  if (!session) {
    llvm::errs() << llvm::toString(session.takeError()) << "\n";
    return false;
  }
  kernel.session = std::move(*session);
  return true;
}

static bool compileOurs(MLIRContext &ctx, const std::string &text,
                        unsigned threads, OurKernel &kernel) {
  return compileWith(ctx, text, kernel, [&](OpPassManager &pm) {
    quantopt::CodegenOptions options;
    options.threads = threads;
    options.isa = isaOption;
    options.lanes = lanesOption;
    options.amx = amxOption;
    return quantopt::buildCodegenPipeline(pm, options);
  });
}

/// The module of `text` through the reference lowering (no kernels), for
/// the bit-exact checks of the group-wise kernels.
static bool compileReference(MLIRContext &ctx, const std::string &text,
                             OurKernel &kernel) {
  return compileWith(ctx, text, kernel, quantopt::buildLowerToLLVMPipeline);
}

static double timeOurs(const OurKernel &kernel, const NpyArray &input,
                       std::vector<NpyArray> *results) {
  quantopt::runtime::Timing timing;
  auto out = kernel.session->call({input}, {"a"}, repeat, &timing);
  if (!out) {
    llvm::errs() << llvm::toString(out.takeError()) << "\n";
    return NAN;
  }
  if (results)
    *results = std::move(*out);
  return timing.medianMs;
}


static DnnlMatmul makeDnnl(const Shape &s, bool int8, const void *aData,
                           const void *wData) {
  using dt = dnnl::memory::data_type;
  using tag = dnnl::memory::format_tag;
  DnnlMatmul d;
  dt srcType = int8 ? dt::u8 : dt::f32, wType = int8 ? dt::s8 : dt::f32,
     dstType = int8 ? dt::s32 : dt::f32;
  dnnl::memory::desc srcDesc({s.m, s.k}, srcType, tag::ab);
  dnnl::memory::desc wAny({s.k, s.n}, wType, tag::any);
  dnnl::memory::desc wPlain({s.k, s.n}, wType, tag::ab);
  dnnl::memory::desc dstDesc({s.m, s.n}, dstType, tag::ab);
  dnnl::matmul::desc md(srcDesc, wAny, dstDesc); // oneDNN 2.x API
  dnnl::matmul::primitive_desc pd(md, d.engine);
  d.primitive = dnnl::matmul(pd);
  d.src = dnnl::memory(srcDesc, d.engine);
  std::memcpy(d.src.get_data_handle(), aData,
              s.m * s.k * (int8 ? 1 : 4));
  dnnl::memory plain(wPlain, d.engine, const_cast<void *>(wData));
  d.weights = dnnl::memory(pd.weights_desc(), d.engine);
  dnnl::reorder(plain, d.weights).execute(d.stream, plain, d.weights);
  d.dst = dnnl::memory(dstDesc, d.engine);
  d.stream.wait();
  return d;
}

static double timeDnnl(DnnlMatmul &d) {
  std::unordered_map<int, dnnl::memory> args{{DNNL_ARG_SRC, d.src},
                                             {DNNL_ARG_WEIGHTS, d.weights},
                                             {DNNL_ARG_DST, d.dst}};
  dnnl::primitive &p = d.convolution ? static_cast<dnnl::primitive &>(d.convolution)
                                     : static_cast<dnnl::primitive &>(d.primitive);
  p.execute(d.stream, args); // warm up
  d.stream.wait();
  std::vector<double> times;
  for (unsigned r = 0; r < std::max(1u, repeat.getValue()); ++r) {
    auto start = std::chrono::steady_clock::now();
    p.execute(d.stream, args);
    d.stream.wait();
    auto stop = std::chrono::steady_clock::now();
    times.push_back(std::chrono::duration<double, std::milli>(stop - start).count());
  }
  return medianMs(times);
}

/// Reads a buffer larger than the last-level cache, so that the next call
/// finds its weights in DRAM (decode kernels are timed from DRAM, as a
/// model's layers run: a machine's L3 can hold a whole 1x16384x8192 int4
/// layer, and one kernel timed in a loop would then run from it).
class CacheEvictor {
public:
  CacheEvictor() {
    int64_t mb = evictMb;
    if (mb < 0) {
      long l3 = sysconf(_SC_LEVEL3_CACHE_SIZE);
      mb = 2 * std::max<long>(l3, 32l << 20) >> 20;
    }
    buffer.assign(static_cast<size_t>(mb) << 20, 1);
  }
  int64_t megabytes() const {
    return static_cast<int64_t>(buffer.size() >> 20);
  }
  void evict() {
    uint64_t sum = 0;
    for (size_t i = 0; i < buffer.size(); i += 64)
      sum += buffer[i];
    sink += sum;
  }

private:
  std::vector<uint8_t> buffer;
  volatile uint64_t sink = 0;
};

/// The group-wise section (--groupwise): W4A8 with int4 weights per block
/// of 32 and 128 rows of K, int8 activations per row and block, against our
/// W8A8 (int8 per-channel weights, int8 activations per row), both from f32
/// activations (the dynamic quantization is part of each layer). Each
/// kernel is checked against the reference lowering of the same module, bit
/// for bit, then timed interleaved, each call after a CacheEvictor pass.
/// Returns the number of failures.
static int runGroupwise(MLIRContext &ctx, const std::vector<Shape> &shapes,
                        const std::vector<int> &threadCounts,
                        std::mt19937 &rng) {
  int failures = 0;
  CacheEvictor evictor;
  if (!shapes.empty())
    llvm::outs() << llvm::formatv(
        "group-wise section: {0} MiB read before each timed call (weights "
        "from DRAM; --evict-mb)\n",
        evictor.megabytes());
  for (const Shape &s : shapes) {
    double ops = 2.0 * s.m * s.k * s.n;
    std::string shapeName =
        llvm::formatv("{0}x{1}x{2}", s.m, s.k, s.n).str();
    std::uniform_int_distribution<int> q4(-7, 7), q8(-127, 127);
    std::normal_distribution<float> normal(0.0f, 1.0f);
    std::vector<int8_t> w4(s.k * s.n), w8(s.k * s.n);
    for (auto &v : w4)
      v = static_cast<int8_t>(q4(rng));
    for (auto &v : w8)
      v = static_cast<int8_t>(q8(rng));
    NpyArray in;
    in.dtype = DType::F32;
    in.shape = {s.m, s.k};
    std::vector<float> a(s.m * s.k);
    for (auto &v : a)
      v = normal(rng);
    in.data.resize(a.size() * 4);
    std::memcpy(in.data.data(), a.data(), in.data.size());
    struct Variant {
      std::string label;
      std::string text;
      double ms = NAN;
    };
    std::vector<Variant> variants;
    // f32 scales, then the same rounded to f16 (--qnt-quantize
    // weight-scale=f16: the kernel streams 2 bytes per scale).
    for (bool half : {false, true})
      for (int64_t block : {32, 128}) {
        int64_t groups = (s.k + block - 1) / block;
        std::vector<float> sc(groups * s.n);
        for (size_t i = 0; i < sc.size(); ++i) {
          sc[i] = 0.01f + 0.001f * static_cast<float>(i % 13);
          if (half)
            sc[i] = quantopt::numerics::roundScaleToHalf(sc[i]);
        }
        variants.push_back(
            {llvm::formatv("ours W4A8 g{0}{1}", block, half ? " f16" : "")
                 .str(),
             buildGroupwiseModule(s, w4, sc, block)});
      }
    std::vector<float> sc8(s.n);
    for (int64_t j = 0; j < s.n; ++j)
      sc8[j] = 0.001f + 0.0001f * static_cast<float>(j % 7);
    variants.push_back(
        {"ours W8A8 per channel", buildGroupwiseModule(s, w8, sc8, 0)});
    std::vector<std::vector<NpyArray>> expected(variants.size());
    for (size_t v = 0; v < variants.size(); ++v) {
      OurKernel ref;
      if (!compileReference(ctx, variants[v].text, ref)) {
        llvm::errs() << "qnt-bench: cannot compile the reference lowering of "
                     << variants[v].label << "\n";
        return failures + 1;
      }
      quantopt::runtime::Timing timing;
      auto out = ref.session->call({in}, {"a"}, 1, &timing);
      if (!out) {
        llvm::errs() << llvm::toString(out.takeError()) << "\n";
        return failures + 1;
      }
      expected[v] = std::move(*out);
    }
    for (int threads : threadCounts) {
      std::vector<OurKernel> kernels(variants.size());
      for (size_t v = 0; v < variants.size(); ++v)
        if (!compileOurs(ctx, variants[v].text, threads, kernels[v])) {
          llvm::errs() << "qnt-bench: cannot compile " << variants[v].label
                       << "\n";
          return failures + 1;
        }
      std::string t = std::to_string(threads);
      // Interleaved: one call of each variant per round (the machine's
      // bandwidth drifts), the median over the rounds.
      std::vector<std::vector<double>> times(variants.size());
      std::vector<std::vector<NpyArray>> results(variants.size());
      for (unsigned round = 0; round < std::max(1u, repeat.getValue());
           ++round)
        for (size_t v = 0; v < variants.size(); ++v) {
          quantopt::runtime::Timing timing;
          evictor.evict();
          auto out = kernels[v].session->call({in}, {"a"}, 1, &timing);
          if (!out) {
            llvm::errs() << llvm::toString(out.takeError()) << "\n";
            return failures + 1;
          }
          times[v].push_back(timing.medianMs);
          results[v] = std::move(*out);
        }
      for (size_t v = 0; v < variants.size(); ++v) {
        const std::vector<NpyArray> &got = results[v];
        variants[v].ms = medianMs(times[v]);
        bool same = got.size() == 1 && expected[v].size() == 1 &&
                    got[0].data == expected[v][0].data;
        failures += !same;
        llvm::outs() << llvm::formatv(
            "{0,-16} {1,-7} check: {2} vs the reference lowering {3}\n",
            shapeName, t, variants[v].label,
            same ? "identical" : "DIFFERENT");
      }
      for (const Variant &v : variants)
        llvm::outs() << llvm::formatv(
            "{0,-16} {1,-7} {2,-24} {3,10:f3} {4,10:f1}\n", shapeName, t,
            v.label, v.ms, ops / (v.ms * 1e6));
      llvm::outs() << llvm::formatv(
          "{0,-16} {1,-7} ratios: ours W4A8 speed / ours W8A8: g32 {2:f2}x, "
          "g128 {3:f2}x; with f16 scales: g32 {4:f2}x, g128 {5:f2}x\n",
          shapeName, t, variants[4].ms / variants[0].ms,
          variants[4].ms / variants[1].ms, variants[4].ms / variants[2].ms,
          variants[4].ms / variants[3].ms);
    }
  }
  return failures;
}

/// The comma-separated MxKxN shapes of `list` (empty items skipped), or
/// nothing after an error naming `what`.
static std::optional<std::vector<Shape>> parseShapes(llvm::StringRef list,
                                                     llvm::StringRef what) {
  std::vector<Shape> shapes;
  for (llvm::StringRef item : llvm::split(list, ',')) {
    if (item.trim().empty())
      continue;
    llvm::SmallVector<llvm::StringRef> dims;
    item.trim().split(dims, 'x');
    Shape s;
    if (dims.size() != 3 || dims[0].getAsInteger(10, s.m) ||
        dims[1].getAsInteger(10, s.k) || dims[2].getAsInteger(10, s.n) ||
        s.m <= 0 || s.k <= 0 || s.n <= 0) {
      llvm::errs() << "qnt-bench: bad " << what << " '" << item
                   << "' (expected MxKxN)\n";
      return std::nullopt;
    }
    shapes.push_back(s);
  }
  return shapes;
}

int main(int argc, char **argv) {
  llvm::InitLLVM init(argc, argv);
  cl::HideUnrelatedOptions(category);
  cl::ParseCommandLineOptions(argc, argv, "qnt-bench: QuantOpt kernels vs oneDNN\n");

  std::optional<std::vector<Shape>> shapes =
      parseShapes(shapesOption, "shape");
  std::optional<std::vector<Shape>> groupwise =
      parseShapes(groupwiseOption, "--groupwise shape");
  if (!shapes || !groupwise)
    return 1;
  std::vector<ConvShape> convs;
  for (llvm::StringRef item : llvm::split(convsOption.getValue(), ',')) {
    if (item.trim().empty())
      continue;
    llvm::SmallVector<llvm::StringRef> dims;
    item.trim().split(dims, 'x');
    ConvShape c;
    if (dims.size() != 6 || dims[0].getAsInteger(10, c.n) ||
        dims[1].getAsInteger(10, c.h) || dims[2].getAsInteger(10, c.w) ||
        dims[3].getAsInteger(10, c.c) || dims[4].getAsInteger(10, c.f) ||
        dims[5].getAsInteger(10, c.k) || c.n <= 0 || c.h <= 0 || c.w <= 0 ||
        c.c <= 0 || c.f <= 0 || c.k <= 0) {
      llvm::errs() << "qnt-bench: bad convolution '" << item
                   << "' (expected NxHxWxCxFxK)\n";
      return 1;
    }
    convs.push_back(c);
  }
  std::vector<int> threadCounts;
  for (llvm::StringRef item : llvm::split(threadsOption.getValue(), ',')) {
    int t;
    if (item.trim().getAsInteger(10, t) || t <= 0) {
      llvm::errs() << "qnt-bench: bad --thread-counts '" << item << "'\n";
      return 1;
    }
    threadCounts.push_back(t);
  }

  DialectRegistry registry;
  quantopt::runtime::registerRunnerDialects(registry);
  MLIRContext ctx(registry);
  ctx.loadAllAvailableDialects();

  llvm::outs() << llvm::formatv(
      "{0,-16} {1,-7} {2,-24} {3,10} {4,10}\n", "shape MxKxN", "threads",
      "kernel", "ms", "GOP/s");
  int failures = 0;
  std::mt19937 rng(42);
  for (const Shape &s : *shapes) {
    double ops = 2.0 * s.m * s.k * s.n;
    std::uniform_int_distribution<int> u8(0, 255), s8(-127, 127);
    std::uniform_real_distribution<float> real(-1.0f, 1.0f);
    std::vector<uint8_t> a8(s.m * s.k);
    std::vector<int8_t> w8(s.k * s.n);
    std::vector<float> a32(s.m * s.k), w32(s.k * s.n);
    for (auto &v : a8)
      v = static_cast<uint8_t>(u8(rng));
    for (auto &v : w8)
      v = static_cast<int8_t>(s8(rng));
    for (auto &v : a32)
      v = real(rng);
    for (auto &v : w32)
      v = real(rng);
    NpyArray in8, in32;
    in8.dtype = DType::I8;
    in8.shape = {s.m, s.k};
    in8.data.assign(a8.begin(), a8.end());
    in32.dtype = DType::F32;
    in32.shape = {s.m, s.k};
    in32.data.resize(a32.size() * 4);
    std::memcpy(in32.data.data(), a32.data(), in32.data.size());

    std::vector<int32_t> exact8 = exactMatmul(a8, w8, s.m, s.k, s.n);
    std::string text8 = buildModule(s, true, w8, w32);
    std::string text32 = buildModule(s, false, w8, w32);
    // Weight-only: int8 and int4 stored weights with per-channel scales; the
    // fp32 reference is our fp32 kernel on the dequantized weights.
    std::uniform_int_distribution<int> s4(-7, 7);
    std::vector<int8_t> q8(s.k * s.n), q4(s.k * s.n);
    for (auto &v : q8)
      v = static_cast<int8_t>(s8(rng));
    for (auto &v : q4)
      v = static_cast<int8_t>(s4(rng));
    std::vector<float> sc8(s.n), sc4(s.n);
    for (int64_t j = 0; j < s.n; ++j) {
      sc8[j] = 0.01f + 0.001f * static_cast<float>(j % 7);
      sc4[j] = 0.1f + 0.01f * static_cast<float>(j % 5);
    }
    bool woSupported = s.n % 2 == 0;
    std::string textWo8 = buildWeightOnlyModule(s, false, q8, sc8);
    std::string textWo4 = woSupported ? buildWeightOnlyModule(s, true, q4, sc4) : "";
    // int4 in blocks of 32 rows of K with zero points (asymmetric, as
    // --qnt-quantize weight-scheme=asymmetric weight-granularity=block
    // builds for LLM weights): values -8..7, zero points -2..2.
    constexpr int64_t kGroup = 32;
    int64_t groups = (s.k + kGroup - 1) / kGroup;
    std::vector<int8_t> qg(s.k * s.n);
    std::uniform_int_distribution<int> s4full(-8, 7), zdist(-2, 2);
    for (auto &v : qg)
      v = static_cast<int8_t>(s4full(rng));
    std::vector<float> scg(groups * s.n);
    std::vector<int64_t> zg(groups * s.n);
    for (int64_t i = 0; i < groups * s.n; ++i) {
      scg[i] = 0.05f + 0.01f * static_cast<float>(i % 11);
      zg[i] = zdist(rng);
    }
    std::string textWoG = woSupported
                              ? buildWeightOnlyModule(s, true, qg, scg, kGroup, zg)
                              : "";
    std::vector<float> deq8(s.k * s.n), deq4(s.k * s.n), deqG(s.k * s.n);
    for (int64_t i = 0; i < s.k * s.n; ++i) {
      deq8[i] = static_cast<float>(q8[i]) * sc8[i % s.n];
      deq4[i] = static_cast<float>(q4[i]) * sc4[i % s.n];
      int64_t p = (i / s.n) / kGroup * s.n + i % s.n;
      deqG[i] = static_cast<float>(qg[i] - zg[p]) * scg[p];
    }
    // W4A8: the int8 kernel on i4 weights (the same values as int8 weights
    // give the reference).
    std::string textW4 = buildModule(s, true, q4, w32, /*int4=*/true);
    std::string textW4as8 = buildModule(s, true, q4, w32);
    std::string textDeq8 = buildModule(s, false, w8, deq8);
    std::string textDeq4 = buildModule(s, false, w8, deq4);
    std::string textDeqG = buildModule(s, false, w8, deqG);
    std::string shapeName = llvm::formatv("{0}x{1}x{2}", s.m, s.k, s.n).str();
    auto row = [&](llvm::StringRef threads, llvm::StringRef kernel, double ms) {
      llvm::outs() << llvm::formatv("{0,-16} {1,-7} {2,-24} {3,10:f3} {4,10:f1}\n",
                                    shapeName, threads, kernel, ms,
                                    ops / (ms * 1e6));
    };
    for (int threads : threadCounts) {
      OurKernel ours8, ours32;
      if (!compileOurs(ctx, text8, threads, ours8) ||
          !compileOurs(ctx, text32, threads, ours32)) {
        llvm::errs() << "qnt-bench: cannot compile our kernels\n";
        return 1;
      }
      omp_set_num_threads(threads);
      DnnlMatmul dnnl8 = makeDnnl(s, true, a8.data(), w8.data());
      DnnlMatmul dnnl32 = makeDnnl(s, false, a32.data(), w32.data());
      // Check ours against oneDNN: identical int32 sums, close f32 results.
      std::vector<NpyArray> r8, r32;
      double t8 = timeOurs(ours8, in8, &r8);
      double t32 = timeOurs(ours32, in32, &r32);
      double d8 = timeDnnl(dnnl8), d32 = timeDnnl(dnnl32);
      bool same8 = r8.size() == 1 &&
                   sameSums(r8[0].data.data(), exact8.data(), s.m * s.n);
      bool dnnlExact =
          sameSums(dnnl8.dst.get_data_handle(), exact8.data(), s.m * s.n);
      double maxRel = maxRelativeDifference(
          r32, static_cast<const float *>(dnnl32.dst.get_data_handle()),
          s.m * s.n);
      llvm::outs() << llvm::formatv(
          "{0,-16} {1,-7} check: int8 vs exact int32 sums {2} (oneDNN "
          "u8s8s32 {3}); fp32 max difference / max |result| {4:e2} {5}\n",
          shapeName, threads, same8 ? "identical" : "DIFFERENT",
          dnnlExact ? "identical" : "saturates without VNNI", maxRel,
          maxRel < 1e-5 ? "ok" : "TOO LARGE");
      failures += !same8 || !(maxRel < 1e-5);
      // Weight-only kernels, checked against fp32 on dequantized weights.
      double tWo8 = NAN, tWo4 = NAN, tWoG = NAN;
      for (int kind : {0, 1, 2}) {
        bool int4 = kind != 0;
        if (int4 && !woSupported)
          continue;
        const std::string &woText = kind == 0 ? textWo8 : kind == 1 ? textWo4 : textWoG;
        const std::string &deqText =
            kind == 0 ? textDeq8 : kind == 1 ? textDeq4 : textDeqG;
        OurKernel wo, deq;
        if (!compileOurs(ctx, woText, threads, wo) ||
            !compileOurs(ctx, deqText, threads, deq)) {
          llvm::errs() << "qnt-bench: cannot compile the weight-only kernels\n";
          return 1;
        }
        std::vector<NpyArray> rWo, rDeq;
        double t = timeOurs(wo, in32, &rWo);
        timeOurs(deq, in32, &rDeq);
        double diff = rDeq.size() == 1 ? maxRelativeDifference(
                                             rWo, rDeq[0].as<float>(), s.m * s.n)
                                       : 1.0;
        llvm::outs() << llvm::formatv(
            "{0,-16} {1,-7} check: {2} weight-only vs fp32 on dequantized "
            "weights: max difference / max |result| {3:e2} {4}\n",
            shapeName, threads,
            kind == 0 ? "int8" : kind == 1 ? "int4" : "int4 g32 asymmetric", diff,
            diff < 1e-5 ? "ok" : "TOO LARGE");
        failures += !(diff < 1e-5);
        (kind == 0 ? tWo8 : kind == 1 ? tWo4 : tWoG) = t;
      }
      // W4A8, checked against our int8 kernel on the same values.
      OurKernel w4, w4as8;
      if (!compileOurs(ctx, textW4, threads, w4) ||
          !compileOurs(ctx, textW4as8, threads, w4as8)) {
        llvm::errs() << "qnt-bench: cannot compile the W4A8 kernel\n";
        return 1;
      }
      std::vector<NpyArray> rW4, rW4as8;
      double tW4 = timeOurs(w4, in8, &rW4);
      timeOurs(w4as8, in8, &rW4as8);
      bool sameW4 = rW4.size() == 1 && rW4as8.size() == 1 &&
                    rW4[0].data == rW4as8[0].data;
      llvm::outs() << llvm::formatv(
          "{0,-16} {1,-7} check: int4 x int8 (W4A8) vs int8 kernel on the "
          "same weights {2}\n",
          shapeName, threads, sameW4 ? "identical" : "DIFFERENT");
      failures += !sameW4;
      std::string t = std::to_string(threads);
      // The label names the dot lowering when one is forced.
      std::string isaName = quantopt::resolveAmx(amxOption, isaOption) ? "AMX"
                            : isaOption == "avx2"      ? "AVX2"
                            : isaOption == "generic"   ? "generic"
                                                       : "VNNI";
      row(t, "ours int8 (" + isaName + ")", t8);
      row(t, "ours int4 x int8 (W4A8)", tW4);
      row(t, "ours fp32", t32);
      row(t, "ours int8 weight-only", tWo8);
      if (woSupported) {
        row(t, "ours int4 weight-only", tWo4);
        row(t, "ours int4 g32 weight-only", tWoG);
      }
      row(t, "oneDNN u8s8s32", d8);
      row(t, "oneDNN f32", d32);
      llvm::outs() << llvm::formatv(
          "{0,-16} {1,-7} ratios: ours int8 / oneDNN int8 = {2:f2}x, ours "
          "int8 / ours fp32 = {3:f2}x, ours fp32 / oneDNN f32 = {4:f2}x\n",
          shapeName, threads, d8 / t8, t32 / t8, d32 / t32);
      if (woSupported)
        llvm::outs() << llvm::formatv(
            "{0,-16} {1,-7} ratios: ours int4 weight-only speed / int8 "
            "weight-only = {2:f2}x, / ours int8 (VNNI) = {3:f2}x; ours W4A8 / "
            "ours int8 (VNNI) = {4:f2}x\n",
            shapeName, threads, tWo8 / tWo4, t8 / tWo4, t8 / tW4);
      llvm::outs() << llvm::formatv(
          "{0,-16} {1,-7} ratios: ours weight-only speed / ours fp32: int8 "
          "{2:f2}x{3}\n",
          shapeName, threads, t32 / tWo8,
          woSupported ? llvm::formatv(", int4 {0:f2}x, int4 g32 asymmetric "
                                      "{1:f2}x",
                                      t32 / tWo4, t32 / tWoG)
                            .str()
                      : std::string());
    }
  }
  failures += runGroupwise(ctx, *groupwise, threadCounts, rng);
  for (const ConvShape &cs : convs) {
    double ops = 2.0 * cs.n * cs.h * cs.w * cs.f * cs.k * cs.k * cs.c;
    int64_t hp = cs.h + cs.k - 1, wp = cs.w + cs.k - 1;
    std::uniform_int_distribution<int> u8(0, 255), s8(-127, 127);
    std::vector<uint8_t> a8(cs.n * hp * wp * cs.c);
    std::vector<int8_t> w8(cs.k * cs.k * cs.c * cs.f);
    for (auto &v : a8)
      v = static_cast<uint8_t>(u8(rng));
    for (auto &v : w8)
      v = static_cast<int8_t>(s8(rng));
    NpyArray in8;
    in8.dtype = DType::I8;
    in8.shape = {cs.n, hp, wp, cs.c};
    in8.data.assign(a8.begin(), a8.end());
    std::string name = llvm::formatv("conv {0}x{1}x{2}x{3}->{4} {5}x{5}", cs.n,
                                     cs.h, cs.w, cs.c, cs.f, cs.k)
                           .str();
    std::string text = buildConvModule(cs, w8);
    std::vector<int32_t> exactC = exactConv(a8, w8, cs);
    std::uniform_real_distribution<float> real(-1.0f, 1.0f);
    std::vector<float> a32(a8.size()), w32(w8.size());
    for (auto &v : a32)
      v = real(rng);
    for (auto &v : w32)
      v = real(rng);
    NpyArray in32;
    in32.dtype = DType::F32;
    in32.shape = in8.shape;
    in32.data.resize(a32.size() * 4);
    std::memcpy(in32.data.data(), a32.data(), in32.data.size());
    std::string text32 = buildConvModuleF32(cs, w32);
    for (int threads : threadCounts) {
      // oneDNN's convolutions fix their thread count when created.
      omp_set_num_threads(threads);
      DnnlMatmul dnnl = makeDnnlConv(cs, a8.data(), w8.data());
      OurKernel ours;
      if (!compileOurs(ctx, text, threads, ours)) {
        llvm::errs() << "qnt-bench: cannot compile our convolution\n";
        return 1;
      }
      omp_set_num_threads(threads);
      std::vector<NpyArray> r;
      double t = timeOurs(ours, in8, &r);
      double d = timeDnnl(dnnl);
      int64_t outSize = cs.n * cs.h * cs.w * cs.f;
      bool same = r.size() == 1 &&
                  sameSums(r[0].data.data(), exactC.data(), outSize);
      bool dnnlExact =
          sameSums(dnnl.dst.get_data_handle(), exactC.data(), outSize);
      failures += !same;
      llvm::outs() << llvm::formatv(
          "{0,-28} {1,-3} check: int8 convolution vs exact int32 sums {2} "
          "(oneDNN u8s8s32 {3})\n",
          name, threads, same ? "identical" : "DIFFERENT",
          dnnlExact ? "identical" : "saturates without VNNI");
      llvm::outs() << llvm::formatv(
          "{0,-28} {1,-3} ours int8 {2,8:f3} ms {3,8:f1} GOP/s; oneDNN "
          "u8s8s32 {4,8:f3} ms {5,8:f1} GOP/s; ours / oneDNN = {6:f2}x\n",
          name, threads, t, ops / (t * 1e6), d, ops / (d * 1e6), d / t);
      // fp32: our kernel (qnt-f32-matmul's convolution) and oneDNN's.
      omp_set_num_threads(threads);
      DnnlMatmul dnnl32 = makeDnnlConv(cs, a32.data(), w32.data(), true);
      OurKernel ours32;
      if (!compileOurs(ctx, text32, threads, ours32)) {
        llvm::errs() << "qnt-bench: cannot compile our f32 convolution\n";
        return 1;
      }
      omp_set_num_threads(threads);
      std::vector<NpyArray> r32;
      double t32 = timeOurs(ours32, in32, &r32);
      double d32 = timeDnnl(dnnl32);
      double rel = maxRelativeDifference(
          r32, static_cast<const float *>(dnnl32.dst.get_data_handle()),
          cs.n * cs.h * cs.w * cs.f);
      failures += !(rel < 1e-5);
      llvm::outs() << llvm::formatv(
          "{0,-28} {1,-3} check: fp32 vs oneDNN f32 convolution: max "
          "difference / max |result| {2:e2} {3}\n",
          name, threads, rel, rel < 1e-5 ? "ok" : "TOO LARGE");
      llvm::outs() << llvm::formatv(
          "{0,-28} {1,-3} ours fp32 {2,8:f3} ms {3,8:f1} GOP/s; oneDNN f32 "
          "{4,8:f3} ms {5,8:f1} GOP/s; ours fp32 / oneDNN f32 = {6:f2}x; ours "
          "int8 / ours fp32 = {7:f2}x\n",
          name, threads, t32, ops / (t32 * 1e6), d32, ops / (d32 * 1e6),
          d32 / t32, t32 / t);
    }
  }
  return failures ? 1 : 0;
}
