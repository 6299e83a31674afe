//===- StatsFile.h - Calibration statistics files (JSON) ---------*- C++
//-*-===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// The stats file quant-run --calibrate writes, quant-stats merges and
// --qnt-quantize activations=static reads (docs/Calibration.md):
//
//   {"version": 2, "model": "<fingerprint>", "histogram_bins": 2048,
//    "averaging_constant": 0.01,
//    "activations": {"<layer>": {"shape": [...], "count": N,
//       "non_finite": 0, "batches": B, "finite_batches": F, "min": .., "max":
//       .., "first_min": .., "first_max": .., "moving_min": .., "moving_max":
//       .., "histogram": {"log2_width": e, "start": s, "counts": [...]},
//       "batch_extremes": [[min, max], ...] (with --batch-extremes),
//       "channel_axis": a, "channel_min": [...], "channel_max": [...],
//       "channel_moving": {"min": [...], "max": [...], "first_min": [...],
//                          "first_max": [...], "batches": [...]}}}}
//
// Version 1 files (hand-written ranges: {"version": 1, "activations":
// {"<layer>": {"min": .., "max": ..}}}) still load; they carry no model
// fingerprint and no histograms, so only calibration=minmax applies.
//
//===----------------------------------------------------------------------===//

#ifndef QUANTOPT_CALIBRATION_STATSFILE_H
#define QUANTOPT_CALIBRATION_STATSFILE_H

#include "QuantOpt/Calibration/Calibration.h"

#include <string>
#include <utility>
#include <vector>

namespace quantopt {
namespace calibration {

struct StatsFile {
  static constexpr int kVersion = 2;

  int version = kVersion;
  /// The fingerprint of the model the statistics belong to (empty in
  /// version 1 files).
  std::string model;
  unsigned histogramBins = kDefaultHistogramBins;
  float averagingConstant = kDefaultAveragingConstant;
  /// Observers: in model order after a calibration run, in name order when
  /// read from a file.
  std::vector<std::pair<std::string, ObserverStats>> activations;

  const ObserverStats *lookup(llvm::StringRef name) const;
  /// Whether the file has histograms and moving averages (version 2).
  bool hasFullStatistics() const { return version >= 2; }

  /// Whether an observer has per-channel moments (they go to a side file).
  bool hasMoments() const;
  /// The JSON; the moments are referenced in the side file named
  /// `momentsFile` (beside the JSON), laid out as getMomentsBytes() writes it.
  llvm::json::Value toJSON(llvm::StringRef momentsFile = "") const;
  /// The moments side file: a 16-byte header ("QNTMOMS1" and 8 zero bytes),
  /// then each observer's record (ChannelMoments::appendRecord) in order.
  std::vector<uint8_t> getMomentsBytes() const;
  /// Parses the JSON; `source` is its path (moments side files are found
  /// beside it) or a name for messages.
  static llvm::Expected<StatsFile> parse(llvm::StringRef text,
                                         llvm::StringRef source);
  static llvm::Expected<StatsFile> load(llvm::StringRef path);
  /// Writes the file atomically (a temporary file renamed into place), and
  /// with moments the side file `<path>.moments` first.
  llvm::Error save(llvm::StringRef path) const;

  /// Appends the statistics of `later` (a run over other data, after this
  /// one's). Both must be version 2 files of the same model, bins and
  /// averaging constant, with the same observers.
  llvm::Error merge(const StatsFile &later);
};

} // namespace calibration
} // namespace quantopt

#endif // QUANTOPT_CALIBRATION_STATSFILE_H
