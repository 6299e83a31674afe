//===- TorchHistogram.h - torch.ao's HistogramObserver, bit for bit -*- C++
//-*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// torch.ao.quantization.HistogramObserver as python3-torch 1.13 computes it
// on the CPU, float32 operation for float32 operation, for the torch profile:
// its histogram depends on the order of the batches (each batch is
// histogrammed over the truncated integer range [int(min), int(max)] and
// combined with the earlier ones by upsampling), unlike the zero-anchored
// histogram of Calibration.h, which is a function of the data alone. The
// search (`_non_linear_param_search`) picks the range whose L2 quantization
// error over 256 destination bins is smallest; scale and zero point then
// come from numerics::solveFromRange with the torch profile
// (`_calculate_qparams`).
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_CALIBRATION_TORCHHISTOGRAM_H
#define QUANTOPT_CALIBRATION_TORCHHISTOGRAM_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/Support/Error.h"

#include <cstdint>
#include <utility>
#include <vector>

namespace quantopt {
namespace calibration {

class TorchHistogramObserver {
public:
  /// torch's defaults: 2048 bins, upsample rate 128.
  explicit TorchHistogramObserver(int64_t bins = 2048,
                                  int64_t upsampleRate = 128);

  /// HistogramObserver.forward on one batch. torch raises on a batch with
  /// NaN or infinities (int() of them); so does this, and on a combination
  /// torch cannot do either. An empty batch changes nothing.
  llvm::Error observe(llvm::ArrayRef<float> batch);

  /// A state as a stats file keeps it (one count per bin, min <= max).
  static llvm::Expected<TorchHistogramObserver>
  fromState(int64_t bins, int64_t upsampleRate, float min, float max,
            std::vector<float> histogram);

  int64_t getNumBins() const { return bins; }
  int64_t getUpsampleRate() const { return upsampleRate; }
  bool isInitialized() const { return initialized; }
  float getMin() const { return minVal; }
  float getMax() const { return maxVal; }
  llvm::ArrayRef<float> getHistogram() const { return histogram; }

  /// `_non_linear_param_search`: the range [new_min, new_max] with the least
  /// L2 error over `dstBins` destination bins (torch: 2^bits of the
  /// quantized dtype, 256 for qint8 and quint8 whatever the range).
  /// Requires isInitialized().
  std::pair<float, float> searchRange(int64_t dstBins = 256) const;

private:
  double quantizationError(int64_t startBin, int64_t endBin,
                           int64_t dstBins) const;

  int64_t bins;
  int64_t upsampleRate;
  bool initialized = false;
  float minVal = 0.0f, maxVal = 0.0f;
  std::vector<float> histogram;
};

/// torch.histc(x, bins, lo, hi) on the CPU in 1.13 (float32 counts): an
/// empty range takes the data's own, an empty one then widens by 1 each way;
/// values outside are dropped; bin floor(((x - lo) / (hi - lo)) * bins) in
/// float32, the maximum in the last bin.
llvm::Expected<std::vector<float>>
torchHistc(llvm::ArrayRef<float> values, int64_t bins, double lo, double hi);

/// ATen's float32 torch.sum of a contiguous vector on the CPU (the cascade
/// sum of SumKernel.cpp over 8-lane vectors, as the default and AVX2 kernels
/// of torch 1.13 run it).
float torchSum(llvm::ArrayRef<float> values);

} // namespace calibration
} // namespace quantopt

#endif // QUANTOPT_CALIBRATION_TORCHHISTOGRAM_H
