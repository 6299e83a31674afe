//===- Numerics.h - Quantization numerics (plain C++) -----------*- C++ -*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// The numerics contract of QuantOpt, written once. Passes (compile-time weight
// quantization), verifiers, `quant-run` and the tests all call these
// functions; the IR emitted by the reference lowering implements exactly the
// same float32 arithmetic (see docs/Numerics.md).
//
// This header has no MLIR types in its interface. llvm::APFloat is used for
// the minifloat storage types.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_NUMERICS_NUMERICS_H
#define QUANTOPT_NUMERICS_NUMERICS_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <optional>
#include <vector>

namespace llvm {
struct fltSemantics;
} // namespace llvm

namespace quantopt {
namespace numerics {

//===----------------------------------------------------------------------===//
// Storage types
//===----------------------------------------------------------------------===//

/// The stored form of a quantized value. `I32` is the accumulator type used by
/// requantize; it is never produced by a solver.
enum class StorageKind {
  I2,
  I4,
  I8,
  I16,
  I32,
  U2,
  U4,
  U8,
  U16,
  F8E4M3FN,
  F8E5M2,
  F4E2M1FN,
  F6E2M3FN,
  F6E3M2FN,
  /// The FNUZ float8 variants (ONNX, AMD/Graphcore): no infinities, no
  /// negative zero, NaN only at 0x80; biases 8 and 16.
  F8E4M3FNUZ,
  F8E5M2FNUZ,
};

/// All storage kinds, in declaration order.
llvm::ArrayRef<StorageKind> allStorageKinds();

/// Returns the canonical name: "i8", "u4", "f8E4M3FN", ...
llvm::StringRef getStorageName(StorageKind kind);
/// Parses a canonical name; std::nullopt for anything else.
std::optional<StorageKind> parseStorageName(llvm::StringRef name);

bool isFloatStorage(StorageKind kind);
bool isSignedStorage(StorageKind kind);
unsigned getStorageBitWidth(StorageKind kind);

/// The inclusive integer range `[qmin, qmax]` of a storage type.
struct IntRange {
  int64_t qmin;
  int64_t qmax;
  bool contains(int64_t v) const { return v >= qmin && v <= qmax; }
};

/// Integer range of `kind`. The narrow (restricted) range drops the lowest
/// code: signed `[-(2^(b-1)-1), 2^(b-1)-1]`, unsigned `[1, 2^b-1]`.
/// `kind` must be an integer storage kind.
IntRange getIntRange(StorageKind kind, bool narrow);

/// APFloat semantics of a float storage kind.
const llvm::fltSemantics &getFloatSemantics(StorageKind kind);
/// Largest finite value of a float storage kind (448, 57344, 6, 7.5, 28).
double getMaxFinite(StorageKind kind);
/// Exponent bits, mantissa bits and bias of a float storage kind.
struct MiniFloatFormat {
  unsigned exponentBits;
  unsigned mantissaBits;
  int bias;
  /// Smallest normal exponent (1 - bias).
  int minExponent() const { return 1 - bias; }
};
MiniFloatFormat getMiniFloatFormat(StorageKind kind);
/// Whether the sign bit alone is -0 (not so in the FNUZ kinds, where it is
/// the NaN and zeros are unsigned).
bool hasNegativeZero(StorageKind kind);
/// Bit pattern stored for NaN inputs: the canonical positive NaN where the
/// type has one; types without NaN (f4E2M1FN) store +0.
uint8_t getNaNBits(StorageKind kind);

/// Decodes a float storage bit pattern to its exact value.
float decodeFloatBits(uint8_t bits, StorageKind kind);
/// The power of two f that makes every finite value of a float storage kind
/// an integer in [-127, 127] (f = 1 / the smallest subnormal, when f times
/// the largest finite value is at most 127): 2 for f4E2M1FN (codes times 2
/// are 0, +-1, +-2, +-3, +-4, +-6, +-8, +-12), 8 for f6E2M3FN (up to
/// +-60); std::nullopt for f6E3M2FN (448), the f8 kinds and integer kinds.
/// `s * decode(bits) = (s / f) * (f * decode(bits))` exactly, so such
/// weights run on the i8 kernels with their scales divided by f.
std::optional<int64_t> getInt8CodeFactor(StorageKind kind);
/// The integer f * decode(bits) of a code of a kind with an int8 code factor
/// f (getInt8CodeFactor), in [-127, 127].
int8_t getInt8Code(uint8_t bits, StorageKind kind);
/// getInt8Code of every code of such a kind, indexed by its bits (a table
/// for loops over many elements).
std::vector<int8_t> getInt8CodeTable(StorageKind kind);
/// The integers of such a kind's codes: [-f * max, f * max] (MXFP4:
/// [-12, 12]; MXFP6 E2M3: [-60, 60]).
IntRange getInt8CodeRange(StorageKind kind);
/// Encodes `v` with round-to-nearest-even and saturation to +-max finite
/// (infinities saturate too). NaN becomes `getNaNBits(kind)`.
uint8_t encodeFloatSaturating(float v, StorageKind kind);
/// Whether a float storage kind can express overflow: it has a NaN or an
/// infinity (the float8 kinds; not the MX f4/f6 kinds).
bool hasOverflowValue(StorageKind kind);
/// The code a non-saturating conversion stores for a value of sign
/// `negative` whose magnitude rounds beyond the largest finite value: the
/// signed infinity (f8E5M2), else the NaN (0x7F/0xFF for f8E4M3FN, 0x80 for
/// the FNUZ kinds), as ONNX's Cast and QuantizeLinear with saturate = 0.
uint8_t getOverflowBits(StorageKind kind, bool negative);
/// Encodes `v` with round-to-nearest-even, as ONNX's saturate = 0: values
/// whose magnitude rounds beyond the largest finite value (infinities
/// included) become `getOverflowBits`; NaN becomes `getNaNBits(kind)`.
/// `kind` must satisfy hasOverflowValue.
uint8_t encodeFloatNonSaturating(float v, StorageKind kind);
/// encodeFloatSaturating or encodeFloatNonSaturating.
uint8_t encodeFloat(float v, StorageKind kind, bool saturate);

//===----------------------------------------------------------------------===//
// Rounding
//===----------------------------------------------------------------------===//

enum class RoundingMode {
  /// Round half to even (ONNX QuantizeLinear, numpy.round, torch.round).
  HalfEven,
  /// Round half away from zero (C `round`).
  HalfAwayFromZero,
  /// Round half towards +infinity (`floor(x + 0.5)`, computed exactly).
  HalfUp,
  /// torch: multiply by the float32 reciprocal `1.0f / scale`, then round
  /// half to even.
  Reciprocal,
};

llvm::StringRef getRoundingName(RoundingMode mode);
std::optional<RoundingMode> parseRoundingName(llvm::StringRef name);

/// Rounds `y` to an integral float with `mode` (Reciprocal rounds half to
/// even). NaN and infinities are returned unchanged.
float roundToIntegral(float y, RoundingMode mode);

//===----------------------------------------------------------------------===//
// Element-wise quantization (the reference semantics of the qnt ops)
//===----------------------------------------------------------------------===//

/// The type a quantizer divides in: ONNX's QuantizeLinear divides in the
/// scale's type (float16 scales: in float16; its `precision` attribute).
enum class Precision { F32, F16, BF16 };

llvm::StringRef getPrecisionName(Precision precision);
/// Rounds `v` to the nearest value of the precision (ties to even; NaN stays
/// NaN, overflow gives infinity); the identity for F32.
float roundToPrecision(float v, Precision precision);
/// Whether `v` is a value of the precision (NaN is).
bool isValueOf(float v, Precision precision);

/// `q = clamp(round(x / s) + z, qmin, qmax)` in float32. +-Inf saturate, NaN
/// maps to the zero point. With a precision other than F32, `x` and the
/// quotient (the reciprocal mode: `1 / s` and the product) are rounded to
/// it first: the division in float16 of ONNX's reference, since a float32
/// quotient of float16 values rounded to float16 is the float16 quotient
/// (24 >= 2 * 11 + 2 bits, so the double rounding is innocuous). `s` must
/// be a value of the precision.
int64_t quantizeAffine(float x, float scale, int64_t zeroPoint, IntRange range,
                       RoundingMode mode = RoundingMode::HalfEven,
                       Precision precision = Precision::F32);
/// `x' = s * (q - z)` in float32.
float dequantizeAffine(int64_t q, float scale, int64_t zeroPoint);

/// Minval form: `q = clamp(round((x - m) / s) + qmin, qmin, qmax)`; NaN maps
/// to qmin.
int64_t quantizeMinval(float x, float scale, float minValue, IntRange range,
                       RoundingMode mode = RoundingMode::HalfEven);
/// `x' = s * (q - qmin) + m` in float32.
float dequantizeMinval(int64_t q, float scale, float minValue, int64_t qmin);

/// Float storage: `encodeFloatSaturating(x / s)` (the reciprocal mode
/// multiplies by `1.0f / s`; other modes are not defined for float storage).
/// With `saturate` false, `encodeFloatNonSaturating(x / s)`.
/// The precision rounds `x / s` first, as in quantizeAffine.
uint8_t quantizeToFloat(float x, float scale, StorageKind kind,
                        RoundingMode mode = RoundingMode::HalfEven,
                        bool saturate = true,
                        Precision precision = Precision::F32);
/// `x' = s * decode(bits)` in float32.
float dequantizeFromFloat(uint8_t bits, float scale, StorageKind kind);

//===----------------------------------------------------------------------===//
// Requantization
//===----------------------------------------------------------------------===//

/// Integer-only multiplier `m ~= multiplier * 2^-shift` with a Q31
/// multiplier in `[2^30, 2^31)` and `shift` in `[1, 62]` (TOSA `apply_scale`
/// without double rounding).
struct FixedPointMultiplier {
  int32_t multiplier;
  int32_t shift;
};

/// Computes the fixed-point form of `m`. Fails for non-finite, non-positive or
/// too large (`>= 2^30`) multipliers. Multipliers below `2^-32` lose precision
/// (the shift saturates at 62).
llvm::Expected<FixedPointMultiplier> computeFixedPointMultiplier(double m);

/// `(v * multiplier + 2^(shift-1)) >> shift` in 64-bit arithmetic (rounds
/// half towards +infinity). `v` must fit in 32 signed bits for the 64-bit
/// arithmetic to be exact (the requantize verifier ensures it).
///
/// `doubleRound` is TOSA's `DOUBLE_ROUND` (`apply_scale_32`): when
/// `shift > 31` the rounding term moves by `+2^30` for `v >= 0` and `-2^30`
/// for `v < 0`, which reproduces frameworks that round once at bit 31 and
/// again at the final shift (gemmlowp, TFLite).
int64_t applyFixedPointMultiplier(int64_t v, FixedPointMultiplier m,
                                  bool doubleRound = false);

/// Float32 multiplier of the float requantize path: `float(sIn / sOut)`.
float computeFloatMultiplier(double scaleIn, double scaleOut);

/// Float path: `clamp(roundeven(float(q - zIn) * m) + zOut)`.
int64_t requantizeFloat(int64_t q, int64_t zeroPointIn, float multiplier,
                        int64_t zeroPointOut, IntRange outRange);
/// Integer-only path: `clamp(applyFixedPointMultiplier(q - zIn) + zOut)`.
int64_t requantizeFixedPoint(int64_t q, int64_t zeroPointIn,
                             FixedPointMultiplier m, int64_t zeroPointOut,
                             IntRange outRange, bool doubleRound = false);

/// Whether `m` (explicit, e.g. from a TOSA rescale) states the real
/// multiplier `ratio` to float32 precision: `|m.multiplier * 2^-m.shift /
/// ratio - 1| <= 2^-20`, with `multiplier` in `[1, 2^31)` and `shift` in
/// `[1, 62]`.
bool fixedPointMultiplierMatches(FixedPointMultiplier m, double ratio);

//===----------------------------------------------------------------------===//
// Parameter solvers
//===----------------------------------------------------------------------===//

enum class Scheme {
  /// `z = 0` (unsigned storage: the mid-point), `s = amax / qmax`.
  Symmetric,
  /// Range extended to include 0, zero point so that real 0 is exact.
  Asymmetric,
  /// Float offset: `s = (max - min) / (qmax - qmin)`, `m = min`.
  Minval,
  /// OCP Microscaling (MX v1.0): `z = 0`, `s` the power of two of the
  /// block's shared scale (getMxSharedExponent); elements in f8E4M3FN,
  /// f8E5M2, f6E2M3FN, f6E3M2FN, f4E2M1FN or i8 (MXINT8).
  Mx,
  /// NVIDIA's NVFP4: f4E2M1FN elements in blocks (16), each block's scale
  /// an f8E4M3FN value times one float32 tensor scale
  /// (SolverOptions::tensorScale; getNvFp4BlockScale and getNvFp4Scale).
  NvFp4,
};

llvm::StringRef getSchemeName(Scheme scheme);

/// Whose formulas the solver follows (docs/Numerics.md, "Profiles").
enum class Profile {
  /// This project's: symmetric integer schemes on the narrow range, a zero
  /// range gets scale 1, scales at least FLT_MIN.
  QuantOpt,
  /// torch.ao's observers (`_calculate_qparams`, PyTorch 1.13-2.x): the full
  /// range by default, so symmetric int8 divides the magnitude by 127.5;
  /// every scale at least float32's epsilon (2^-23), a zero range included;
  /// the symmetric zero point of quint8 128, or floor((qmin + qmax) / 2)
  /// with a customised range (`narrow`, `range`); `reduceRange` as
  /// torch's `reduce_range`. Integer storage, symmetric and asymmetric
  /// schemes only.
  Torch,
  /// ONNX Runtime's quantizer (`compute_scale_zp` and
  /// `get_qmin_qmax_for_qType` in onnxruntime/python/tools/quantization/
  /// quant_utils.py, 1.19 and later): the scale from a range of its own
  /// (symmetric i8 [-127, 127], u8 [0, 254]; reduce_range i8 [-64, 64],
  /// u8 [0, 127]), divided in float64 and then rounded to float32, the
  /// asymmetric zero point from the float64 scale; a scale below FLT_MIN
  /// gives scale 1 and zero point 0; values clamp to the storage's full
  /// range, as QuantizeLinear does. 4-, 8- and 16-bit integer storage,
  /// symmetric and asymmetric schemes only.
  OnnxRuntime,
  /// TFLite's converter (GetAsymmetricQuantizationParams and
  /// GetSymmetricQuantizationParams in tensorflow/lite/tools/optimize/
  /// quantization_utils.cc): symmetric on the narrow signed range, `s = amax
  /// / qmax` (int8 weights in [-127, 127], int16 activations over 32767);
  /// asymmetric `s = (hi - lo) / (qmax - qmin)` and the zero point rounded
  /// half away from zero (std::round), all in float32. A zero range gets
  /// scale 1 (TFLite stores 0; every value quantizes to the zero point
  /// either way). Integer storage, symmetric (signed) and asymmetric
  /// schemes only.
  TfLite,
};

llvm::StringRef getProfileName(Profile profile);

/// How a profile's framework rounds when it quantizes weights and static
/// activations: torch's quantize_per_tensor/_per_channel multiply by the
/// float32 reciprocal (RoundingMode::Reciprocal); TFLite rounds half away
/// from zero (TfLiteRound, in its Quantize op and converter; its symmetric
/// weights: quantizeTfLiteSymmetric); the others divide and round half to
/// even (ONNX Runtime's QuantizeLinear).
RoundingMode getQuantizeRounding(Profile profile);
/// TFLite's symmetric weight integers (SymmetricPerChannelQuantizeValues and
/// SymmetricQuantizeFloats): `clamp(round_half_away(x * inv), qmin, qmax)`
/// with `inv = qmax / amax` in float32, 0 when `amax` is 0. `inv` is the
/// reciprocal of the range, not of the scale `amax / qmax`, so no
/// qnt.quantize rounding mode reproduces it: weights are quantized with it
/// at compile time. NaN gives 0 (TFLite's cast of NaN is undefined).
int64_t quantizeTfLiteSymmetric(float x, float amax, IntRange range);
std::optional<Profile> parseProfileName(llvm::StringRef name);

//===----------------------------------------------------------------------===//
// OCP Microscaling (MX v1.0)
//===----------------------------------------------------------------------===//
//
// An MX block of k values V_i (k = 32) is stored as one E8M0 scale X (a
// power of two 2^e, e in [-127, 127], or NaN) and k elements P_i with
//   e   = floor(log2(max_i |V_i|)) - emax_elem,
//   P_i = V_i / X rounded to the element format (to nearest, ties to even,
//         normal values beyond the largest clamped to it),
// and decoded as X * P_i. In #qnt.params an MX tensor is a block
// quantization with power-of-two scales: `s = X` for the float elements, `s
// = X * 2^-6` for MXINT8, whose elements are i8 two's complement with an
// implicit 2^-6 (the largest 127/64), clamped to [-127, 127].

/// Whether `kind` is an MX element format: f8E4M3FN, f8E5M2, f6E2M3FN,
/// f6E3M2FN, f4E2M1FN or i8 (MXINT8).
bool isMxElementKind(StorageKind kind);
/// emax_elem of an MX element format: the exponent of its largest normal
/// value (8, 15, 2, 4, 2; 0 for MXINT8).
int getMxElementMaxExponent(StorageKind kind);
/// The shared exponent e of a block whose largest magnitude is `amax`:
/// floor(log2(amax)) - emax_elem, raised to -127 (E8M0's smallest; also
/// for amax = 0); std::nullopt (a NaN scale) when amax is NaN or infinite
/// or e exceeds 127.
std::optional<int> getMxSharedExponent(float amax, StorageKind kind);
/// The #qnt.params scale of shared exponent `e`: 2^e, or 2^(e - 6) for
/// MXINT8 (i8) elements.
float getMxScale(int sharedExponent, StorageKind kind);
std::optional<Scheme> parseSchemeName(llvm::StringRef name);

// NVFP4 (NVIDIA; as torchao's and ModelOpt's two-level quantization):
// f4E2M1FN elements in blocks of 16 with, per block, a scale s_b stored as
// f8E4M3FN, and one float32 tensor scale G:
//
//   G   = amax(tensor) / (448 * 6)                       (float32; 1 for an
//                                                          all-zero tensor)
//   s_b = e4m3(clamp((amax_block / 6) / G, 2^-6, 448))   (float32 divisions,
//                                                          nearest even)
//   s   = G * s_b                                        (float32: the
//                                                          #qnt.params scale)
//   q   = e2m1(clamp(x / s, -6, 6)),   x' = q * s
//
// 2^-6 is E4M3's smallest normal value (torch.finfo(float8_e4m3fn).tiny),
// so no block scale is subnormal or zero. #qnt.params stores each block's s
// and G (`tensor_scale`); its verifier checks that every s is such a
// product (getNvFp4BlockScaleOf).
constexpr int64_t kNvFp4BlockSize = 16;
/// G for a tensor whose largest finite magnitude is `amax`; std::nullopt
/// when `amax` is NaN or infinite.
std::optional<float> getNvFp4TensorScale(float amax);
/// G of a whole tensor: from its largest finite magnitude (NaN and
/// infinities are left out, as the solvers leave them out of ranges).
float getNvFp4TensorScaleOf(llvm::ArrayRef<float> values);
/// s_b (an f8E4M3FN value) of a block whose largest magnitude is `amax`.
float getNvFp4BlockScale(float amax, float tensorScale);
/// s = G * s_b in float32.
float getNvFp4Scale(float blockScale, float tensorScale);
/// The s_b of a scale `s` when s = G * s_b for an f8E4M3FN value s_b in
/// [2^-6, 448], else std::nullopt.
std::optional<float> getNvFp4BlockScaleOf(float scale, float tensorScale);

/// The widest integer weights f16 scales take: the nearest f16 can be
/// 2^-11 below the solved scale, so the largest value reaches
/// qmax (1 + 2^-11), which still rounds to qmax while qmax < 1024.
constexpr unsigned kMaxHalfScaleBits = 11;

/// f16's smallest normal value, the least f16 scale (kMinHalfScale).
constexpr float kMinHalfScale = 0x1p-14f;
/// The f16 value nearest to the positive `scale` (ties to even), raised to
/// kMinHalfScale (so that every such scale widens to f32 by shifting its
/// bits); +inf past f16's largest finite value (65504).
float roundScaleToHalf(float scale);

struct SolverOptions;
/// Why `options` cannot take f16 scales (halfScale): another profile, the
/// MX or NVFP4 scheme, or an integer range wider than kMaxHalfScaleBits;
/// success otherwise (and without halfScale). solveFromRange and the
/// passes' option checks share it.
llvm::Error checkHalfScaleOptions(const SolverOptions &options);

struct SolverOptions {
  StorageKind storage = StorageKind::I8;
  Scheme scheme = Scheme::Symmetric;
  /// Use the narrow range. Symmetric integer schemes default to it.
  bool narrowRange = true;
  /// Round every scale up to a power of two.
  bool powerOfTwo = false;
  /// Round every scale to an IEEE half-precision value
  /// (roundScaleToHalf), as llama.cpp's and ONNX Runtime MatMulNBits'
  /// fp16 scales; the values are quantized with the rounded scale. Integer
  /// and float storage under the QuantOpt profile, not the MX and NVFP4
  /// schemes (their scales have formats of their own).
  bool halfScale = false;
  /// A range narrower than the storage type's (e.g. 3-bit values in i4
  /// storage, [-4, 3]) when rangeMin < rangeMax; it replaces narrowRange.
  int64_t rangeMin = 0, rangeMax = 0;
  /// The nvfp4 scheme's tensor scale G (getNvFp4TensorScale); 0: not set.
  float tensorScale = 0;
  Profile profile = Profile::QuantOpt;
  /// One bit fewer than the storage type (torch.ao's `reduce_range`: i8
  /// [-64, 63], u8 [0, 127]; integer storage). A custom range replaces it.
  /// Under the onnxruntime profile it narrows only the range the scale is
  /// solved for (ONNX Runtime's table: i8 [-64, 64], u8 [0, 127]); values
  /// keep the storage's range.
  bool reduceRange = false;

  /// Sets what follows from the storage, the scheme and the profile:
  /// `narrowRange` to `narrow` when given, else to the profile's default
  /// (QuantOpt: narrow for symmetric integer and MX schemes; torch: full),
  /// never for float storage; power-of-two scales for the MX scheme (E8M0).
  void setDefaults(std::optional<bool> narrow = std::nullopt);

  bool hasCustomRange() const { return rangeMin < rangeMax; }
  /// The integer range the solver quantizes to (integer storage only).
  IntRange getIntRange() const;
};

/// The range of a `bits`-bit integer (signed or unsigned as `kind`), narrow
/// or not: 3 signed bits give [-4, 3] ([-3, 3] narrow).
IntRange getBitsRange(StorageKind kind, unsigned bits, bool narrow);

/// Parameters of one quantization group (a tensor, a channel or a block).
struct QuantParams {
  float scale = 1.0f;
  /// Integer zero point (0 for float storage and for the minval scheme).
  int64_t zeroPoint = 0;
  /// Float offset of the minval scheme (0 otherwise).
  float minValue = 0.0f;
};

/// The smallest scale a solver returns for a non-zero range: FLT_MIN.
/// A zero-width range (all zeros, or a constant under the minval scheme)
/// gets scale 1.0.
float clampScale(double rawScale, bool rangeIsZero);

/// Solves parameters for the real range `[rmin, rmax]` (`rmin <= rmax`, both
/// finite). Fails with a message for unsupported combinations (e.g. the
/// minval scheme on float storage, i32 storage) and for ranges whose scale
/// overflows float32.
llvm::Expected<QuantParams> solveFromRange(double rmin, double rmax,
                                           const SolverOptions &options);

/// Granularity of a parameter set. Per-tensor: `axis == -1`. Per-channel:
/// `axis >= 0`, `blockSize == 0`. Per-block: `axis >= 0`, `blockSize > 0`,
/// one group per `blockSize` consecutive elements along `axis` (and per
/// index of every other dimension).
struct Granularity {
  int64_t axis = -1;
  int64_t blockSize = 0;
  bool isPerTensor() const { return axis < 0; }
  bool isPerChannel() const { return axis >= 0 && blockSize == 0; }
  bool isPerBlock() const { return axis >= 0 && blockSize > 0; }
};

/// Number of blocks of `blockSize` over a dimension of `size`:
/// `ceil(size / blockSize)` (the last one may be shorter).
inline int64_t getNumBlocks(int64_t size, int64_t blockSize) {
  return (size + blockSize - 1) / blockSize;
}

/// Shape of the parameter array for a tensor of `shape`: `[1]` per tensor,
/// `[shape[axis]]` per channel, and `shape` with `ceil(shape[axis] /
/// blockSize)` per block: element `i` of the axis belongs to block
/// `i / blockSize`, and the last block is shorter when the block size does
/// not divide the dimension (as ONNX's blocked quantization allows). Fails
/// when the axis is out of range or the block size is negative.
llvm::Expected<std::vector<int64_t>>
getParamShape(llvm::ArrayRef<int64_t> shape, Granularity granularity);

/// Row-major index of the parameter group of the element at `index`.
int64_t getParamIndex(llvm::ArrayRef<int64_t> shape,
                      llvm::ArrayRef<int64_t> index, Granularity granularity);

/// Solves parameters for every group of a row-major tensor, from each
/// group's min and max. Non-finite elements are ignored for the range.
llvm::Expected<std::vector<QuantParams>>
solveForTensor(llvm::ArrayRef<float> data, llvm::ArrayRef<int64_t> shape,
               Granularity granularity, const SolverOptions &options);

//===----------------------------------------------------------------------===//
// Integer contractions (qnt.contract)
//===----------------------------------------------------------------------===//

/// A bound on every int32 value the zero-point expansion of
/// `sum_k (q_x - z_x) * (q_w - z_w)` goes through (`sum q_x q_w`,
/// `z_x sum q_w`, and the corrected sum) for `k` products of stored values
/// in `x` and `w` (with the weight zero points `wZeroPoints`):
/// `k * max|x| * max|w - z_w|`.
double getAccumulatorBound(IntRange x, IntRange w,
                           llvm::ArrayRef<int64_t> wZeroPoints, int64_t k);

/// An accumulator bound below which the expanded sums fit in int32 with a
/// factor two to spare (`2^30`); layers that chain into a following layer
/// also add an int32 bias and keep both below `kChainAccumulatorLimit`
/// (`2^29`).
constexpr double kAccumulatorLimit = 1073741824.0;
constexpr double kChainAccumulatorLimit = 536870912.0;

/// Sums of a row-major integer tensor of `shape` over every axis not in
/// `keptAxes`, laid out row-major over the kept axes (the weight sums
/// `sum(q_w)` of the zero-point expansion, computed at compile time).
std::vector<int64_t> sumOverAxes(llvm::ArrayRef<int64_t> values,
                                 llvm::ArrayRef<int64_t> shape,
                                 llvm::ArrayRef<int64_t> keptAxes);

} // namespace numerics
} // namespace quantopt

#endif // QUANTOPT_NUMERICS_NUMERICS_H
