//===- TorchHistogramTest.cpp - torch.ao's HistogramObserver -------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// calibration::TorchHistogramObserver against torch.ao's HistogramObserver
// (data/torch_histogram.json, written by gen_torch_histogram.py with
// python3-torch 1.13), and its ATen helpers by hand.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Calibration/TorchHistogram.h"
#include "QuantOpt/Numerics/Numerics.h"

#include "TestSupport.h"

#include "llvm/ADT/STLExtras.h"
#include "llvm/Support/Error.h"

#include "gtest/gtest.h"

#include <cstring>
#include <limits>
#include <vector>

using namespace quantopt::calibration;
using namespace quantopt::calibration::test;
using llvm::toString;
namespace json = llvm::json;
namespace num = quantopt::numerics;

namespace {

// Tests that feeding torch's batches in order gives torch's state (min, max
// and all 2048 float32 counts, the upsampled combinations included), its
// searched range and, through the torch profile's solver, its scale and
// zero point, bit for bit, for affine and symmetric quint8/qint8,
// reduce_range, a custom range and 256 bins.
TEST(TorchHistogram, MatchesTorch) {
  static const json::Object *root = loadJSON("torch_histogram.json");
  ASSERT_TRUE(root);
  const json::Array *cases = root->getArray("cases");
  ASSERT_TRUE(cases);
  ASSERT_GE(cases->size(), 10u);
  for (const json::Value &value : *cases) {
    const json::Object &c = *value.getAsObject();
    SCOPED_TRACE(c.getString("name")->str());
    TorchHistogramObserver observer(*c.getInteger("bins"),
                                    *c.getInteger("upsample_rate"));
    for (const std::vector<float> &batch : getBatches(c))
      ASSERT_FALSE(static_cast<bool>(observer.observe(batch)));
    EXPECT_FLOAT_BITS_EQ(observer.getMin(),
                        decodeHex(*c.getString("min_val"))[0]);
    EXPECT_FLOAT_BITS_EQ(observer.getMax(),
                        decodeHex(*c.getString("max_val"))[0]);
    std::vector<float> histogram = decodeHex(*c.getString("histogram"));
    ASSERT_EQ(observer.getHistogram().size(), histogram.size());
    size_t differing = 0;
    for (auto [got, want] : llvm::zip(observer.getHistogram(), histogram))
      differing += std::memcmp(&got, &want, 4) != 0;
    EXPECT_EQ(differing, 0u);
    auto [newMin, newMax] = observer.searchRange();
    EXPECT_FLOAT_BITS_EQ(newMin,
                        decodeHex(*c.getString("new_min"))[0]);
    EXPECT_FLOAT_BITS_EQ(newMax,
                        decodeHex(*c.getString("new_max"))[0]);

    num::SolverOptions options;
    options.profile = num::Profile::Torch;
    options.storage = *c.getString("dtype") == "qint8" ? num::StorageKind::I8
                                                       : num::StorageKind::U8;
    options.scheme = *c.getString("qscheme") == "symmetric"
                         ? num::Scheme::Symmetric
                         : num::Scheme::Asymmetric;
    options.reduceRange = *c.getBoolean("reduce_range");
    if (auto lo = c.getInteger("quant_min")) {
      options.rangeMin = *lo;
      options.rangeMax = *c.getInteger("quant_max");
    }
    options.setDefaults();
    auto params = num::solveFromRange(newMin, newMax, options);
    ASSERT_TRUE(static_cast<bool>(params)) << toString(params.takeError());
    EXPECT_FLOAT_BITS_EQ(params->scale,
                        decodeHex(*c.getString("scale"))[0]);
    EXPECT_EQ(params->zeroPoint, *c.getInteger("zero_point"));
  }
}

// Tests torch.histc's edges by hand: values on a bin edge go up, the
// maximum into the last bin, values outside the range are dropped, an empty
// range takes the data's own, and a constant one widens by 1 each way.
TEST(TorchHistogram, Histc) {
  auto h = torchHistc({0.0f, 0.25f, 0.5f, 1.0f, -0.5f, 2.0f}, 4, 0.0, 1.0);
  ASSERT_TRUE(static_cast<bool>(h));
  EXPECT_EQ(*h, (std::vector<float>{1, 1, 1, 1}));
  auto own = torchHistc({2.25f, 2.5f, 2.75f}, 2, 2.0, 2.0);
  ASSERT_TRUE(static_cast<bool>(own));
  EXPECT_EQ(*own, (std::vector<float>{1, 2}));
  auto constant = torchHistc({0.5f, 0.5f}, 4, 0.0, 0.0);
  ASSERT_TRUE(static_cast<bool>(constant)); // [-0.5, 1.5]: bin 2
  EXPECT_EQ(*constant, (std::vector<float>{0, 0, 2, 0}));
  TorchHistogramObserver observer;
  EXPECT_FALSE(observer.isInitialized());
  EXPECT_TRUE(static_cast<bool>(llvm::errorToBool(
      observer.observe({1.0f, std::numeric_limits<float>::quiet_NaN()}))));
  EXPECT_FALSE(static_cast<bool>(observer.observe({})));
  EXPECT_FALSE(observer.isInitialized());
  // A first batch 2^-20 wide, then one 1000 wide: torch's grid would have
  // about 10^14 cells and fail to allocate; this refuses at once.
  TorchHistogramObserver narrow;
  ASSERT_FALSE(static_cast<bool>(narrow.observe({0.5f, 0.5f + 0x1p-20f})));
  llvm::Error err = narrow.observe({-500.0f, 500.0f});
  ASSERT_TRUE(static_cast<bool>(err));
  EXPECT_NE(toString(std::move(err)).find("cannot combine"), std::string::npos);
}

// Tests ATen's float32 cascade sum against torch.sum (python3-torch 1.13):
// sixteen ones then 1e8 sum to 1e8 + 16 sequentially, but ATen adds the
// ones in 8 lanes (2 each), starts from the scalar tail (1e8) and then adds
// each lane's 2, which 1e8's step of 8 loses: torch.sum gives 1e8. Below 8
// values it takes the scalar path.
TEST(TorchHistogram, CascadeSum) {
  EXPECT_EQ(torchSum({1.0f, 2.0f, 3.0f}), 6.0f);
  std::vector<float> v(17, 1.0f);
  v[16] = 1e8f;
  float sequential = 0.0f;
  for (float x : v)
    sequential = sequential + x;
  EXPECT_EQ(sequential, 1e8f + 16.0f);
  EXPECT_EQ(torchSum(v), 1e8f);
}

} // namespace
