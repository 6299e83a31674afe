//===- MomentsTest.cpp - Tests for per-channel moments --------------------===//
//
// Part of the QuantOpt project.
//
//===----------------------------------------------------------------------===//
//
// Hand-derived moments, the exactness of shard merges (the same bits however
// the batches are split), the binary records and the stats file's moments
// side file with its checks.
//
//===----------------------------------------------------------------------===//

#include "QuantOpt/Calibration/Moments.h"
#include "QuantOpt/Calibration/StatsFile.h"

#include "llvm/ADT/SmallString.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/raw_ostream.h"

#include "gtest/gtest.h"

#include <cmath>
#include <limits>
#include <random>

using namespace quantopt::calibration;

namespace {

TEST(ExactSumTest, AddsExactlyInAnyOrder) {
  // 1e20 + 1 - 1e20 loses the 1 in double, not here; and any order gives
  // the same bits.
  std::vector<double> values = {1e15, 1.0, -1e15, 0.1, 3e-10, -2.5};
  ExactSum forward, backward;
  for (double v : values)
    ASSERT_TRUE(forward.add(v));
  for (auto it = values.rbegin(); it != values.rend(); ++it)
    ASSERT_TRUE(backward.add(*it));
  EXPECT_TRUE(forward == backward);
  // 1 + 0.1 + 3e-10 - 2.5, each rounded to 2^-64 first: exact to 1e-18.
  EXPECT_NEAR(forward.getValue(), 1.0 + 0.1 + 3e-10 - 2.5, 1e-15);
  ExactSum big;
  EXPECT_FALSE(big.add(std::ldexp(1.0, 62)));
  EXPECT_FALSE(big.add(std::numeric_limits<double>::quiet_NaN()));
  EXPECT_TRUE(big.add(-std::ldexp(1.0, 60)));
  EXPECT_EQ(big.getValue(), -std::ldexp(1.0, 60));
  EXPECT_FALSE(big.add(-std::ldexp(1.0, 60))); // the sum would reach 2^125
  ExactSum parts = ExactSum::fromParts(big.getLow(), big.getHigh());
  EXPECT_TRUE(parts == big);
}

TEST(ChannelMomentsTest, HandDerivedLastAxis) {
  // Rows [1, 2, 3] and [4, -5, 6]: |max| [4, 5, 6], sum |x| [5, 7, 9],
  // sum [5, -3, 9], X^T X = [[17, -18, 27], [-18, 29, -24], [27, -24, 45]].
  ChannelMoments m(MomentsKind::Hessian, 3);
  ASSERT_FALSE(static_cast<bool>(m.observe({1, 2, 3, 4, -5, 6}, {2, 3}, 1)));
  EXPECT_EQ(m.rows, 2u);
  EXPECT_EQ(m.absMax, (std::vector<float>{4, 5, 6}));
  EXPECT_EQ(m.getMeanAbs(), (std::vector<double>{2.5, 3.5, 4.5}));
  EXPECT_EQ(m.getMean(), (std::vector<double>{2.5, -1.5, 4.5}));
  EXPECT_EQ(m.getGram(), (std::vector<double>{17, -18, 27, -18, 29, -24, 27,
                                              -24, 45}));
}

TEST(ChannelMomentsTest, HandDerivedChannelsFirstAndNaNRows) {
  // Shape [3, 2] with channels on axis 0: the same two rows as above,
  // stored transposed, plus a third row [NaN, 1, 1] in a second batch,
  // which is left out whole.
  ChannelMoments m(MomentsKind::Hessian, 3);
  ASSERT_FALSE(static_cast<bool>(m.observe({1, 4, 2, -5, 3, 6}, {3, 2}, 0)));
  float nan = std::numeric_limits<float>::quiet_NaN();
  ASSERT_FALSE(static_cast<bool>(m.observe({nan, 1, 1}, {3, 1}, 0)));
  EXPECT_EQ(m.rows, 2u);
  EXPECT_EQ(m.skippedRows, 1u);
  EXPECT_EQ(m.getGram(), (std::vector<double>{17, -18, 27, -18, 29, -24, 27,
                                              -24, 45}));
  // A batch with another channel count is refused.
  EXPECT_TRUE(static_cast<bool>(m.observe({1, 2}, {1, 2}, 1)));
}

TEST(ChannelMomentsTest, ChannelsKindHasNoGram) {
  ChannelMoments m(MomentsKind::Channels, 2);
  ASSERT_FALSE(static_cast<bool>(m.observe({1, -2}, {1, 2}, 1)));
  EXPECT_TRUE(m.gram.empty());
  EXPECT_TRUE(m.getGram().empty());
  EXPECT_EQ(m.getRecordBytes(), 2u * 4 + 2 * 2 * 16);
}

/// Batches of rows of widely different magnitudes.
std::vector<std::vector<float>> makeBatches(int64_t channels) {
  std::mt19937 rng(7);
  std::normal_distribution<float> normal;
  std::vector<std::vector<float>> batches;
  for (int b = 0; b < 6; ++b) {
    std::vector<float> batch(5 * channels);
    for (float &v : batch)
      v = normal(rng) * std::pow(10.0f, static_cast<float>(b % 3) * 3 - 2);
    batches.push_back(std::move(batch));
  }
  return batches;
}

TEST(ChannelMomentsTest, ShardMergesAreExact) {
  // Sequential, and every split of the six batches into two contiguous
  // shards merged in order, and merged in the other order: the same bits.
  const int64_t channels = 37; // more than one tile of the Gram matrix
  auto batches = makeBatches(channels);
  ChannelMoments all(MomentsKind::Hessian, channels);
  for (auto &b : batches)
    ASSERT_FALSE(static_cast<bool>(all.observe(b, {5, channels}, 1)));
  for (size_t split = 1; split < batches.size(); ++split) {
    ChannelMoments first(MomentsKind::Hessian, channels);
    ChannelMoments second(MomentsKind::Hessian, channels);
    for (size_t b = 0; b < batches.size(); ++b)
      ASSERT_FALSE(static_cast<bool>((b < split ? first : second)
                                         .observe(batches[b], {5, channels}, 1)));
    ChannelMoments reversed = second;
    ASSERT_FALSE(static_cast<bool>(reversed.merge(first)));
    ASSERT_FALSE(static_cast<bool>(first.merge(second)));
    EXPECT_TRUE(first == all) << "split " << split;
    EXPECT_TRUE(reversed == all) << "split " << split;
  }
  ChannelMoments other(MomentsKind::Channels, channels);
  EXPECT_TRUE(static_cast<bool>(all.merge(other)));
}

TEST(ChannelMomentsTest, GramMatchesDirectSums) {
  // Against sums of products in long double, entry by entry.
  const int64_t channels = 300; // two tiles across, several down
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> uniform(-2, 2);
  std::vector<float> data(40 * channels);
  for (float &v : data)
    v = uniform(rng);
  ChannelMoments m(MomentsKind::Hessian, channels);
  ASSERT_FALSE(static_cast<bool>(m.observe(data, {40, channels}, 1)));
  std::vector<double> gram = m.getGram();
  for (int64_t i = 0; i < channels; i += 7)
    for (int64_t j = 0; j < channels; j += 5) {
      long double expected = 0;
      for (int64_t r = 0; r < 40; ++r)
        expected += static_cast<long double>(data[r * channels + i]) *
                    data[r * channels + j];
      EXPECT_NEAR(gram[i * channels + j], static_cast<double>(expected), 1e-12)
          << i << "," << j;
    }
}

TEST(ChannelMomentsTest, RecordRoundTripAndChecks) {
  ChannelMoments m(MomentsKind::Hessian, 3);
  ASSERT_FALSE(static_cast<bool>(m.observe({1, 2, 3, 4, -5, 6}, {2, 3}, 1)));
  std::vector<uint8_t> bytes;
  m.appendRecord(bytes);
  ASSERT_EQ(bytes.size(), m.getRecordBytes());
  auto back = ChannelMoments::fromRecord(bytes, MomentsKind::Hessian, 3, 2, 0,
                                         "x");
  ASSERT_TRUE(static_cast<bool>(back));
  EXPECT_TRUE(*back == m);
  // One row fewer than the sums need: the bounds catch it.
  auto fewer = ChannelMoments::fromRecord(bytes, MomentsKind::Hessian, 3, 1, 0,
                                          "x");
  ASSERT_FALSE(static_cast<bool>(fewer));
  EXPECT_NE(llvm::toString(fewer.takeError()).find("do not fit"),
            std::string::npos);
  auto shorter = ChannelMoments::fromRecord(
      llvm::ArrayRef<uint8_t>(bytes).drop_back(), MomentsKind::Hessian, 3, 2,
      0, "x");
  ASSERT_FALSE(static_cast<bool>(shorter));
  EXPECT_NE(llvm::toString(shorter.takeError()).find("bytes"),
            std::string::npos);
}

class StatsFileMomentsTest : public ::testing::Test {
protected:
  void SetUp() override {
    ASSERT_FALSE(llvm::sys::fs::createUniqueDirectory("moments-test", dir));
    path = dir;
    llvm::sys::path::append(path, "s.json");
  }
  void TearDown() override { llvm::sys::fs::remove_directories(dir); }

  StatsFile make() {
    StatsFile file;
    file.model = "m";
    ObserverStats a, b;
    std::vector<float> x = {1, 2, 3, 4, -5, 6};
    a.observe(x, {2, 3}, 1);
    EXPECT_FALSE(static_cast<bool>(
        a.observeMoments(x, {2, 3}, 1, MomentsKind::Hessian)));
    b.observe(x, {3, 2}, 1);
    EXPECT_FALSE(static_cast<bool>(
        b.observeMoments(x, {3, 2}, 1, MomentsKind::Channels)));
    file.activations.emplace_back("a", a);
    file.activations.emplace_back("b", b);
    return file;
  }

  void rewrite(llvm::StringRef file, llvm::StringRef bytes) {
    std::error_code ec;
    llvm::raw_fd_ostream os(file, ec);
    ASSERT_FALSE(ec);
    os << bytes;
  }

  std::string loadError() {
    auto loaded = StatsFile::load(path);
    if (loaded)
      return "";
    return llvm::toString(loaded.takeError());
  }

  llvm::SmallString<128> dir, path;
};

TEST_F(StatsFileMomentsTest, SaveLoadMerge) {
  StatsFile file = make();
  ASSERT_FALSE(static_cast<bool>(file.save(path)));
  ASSERT_TRUE(llvm::sys::fs::exists(path + ".moments"));
  auto loaded = StatsFile::load(path);
  ASSERT_TRUE(static_cast<bool>(loaded)) << llvm::toString(loaded.takeError());
  ASSERT_TRUE(loaded->lookup("a")->moments.has_value());
  EXPECT_TRUE(*loaded->lookup("a")->moments == *file.lookup("a")->moments);
  EXPECT_TRUE(*loaded->lookup("b")->moments == *file.lookup("b")->moments);
  // Merging a file with itself doubles the sums and rows.
  ASSERT_FALSE(static_cast<bool>(loaded->merge(file)));
  EXPECT_EQ(loaded->lookup("a")->moments->rows, 4u);
  EXPECT_EQ(loaded->lookup("a")->moments->getGram()[0], 34);
}

TEST_F(StatsFileMomentsTest, DamagedSideFiles) {
  ASSERT_FALSE(static_cast<bool>(make().save(path)));
  std::string moments = (path + ".moments").str();
  auto buffer = llvm::MemoryBuffer::getFile(moments);
  ASSERT_TRUE(static_cast<bool>(buffer));
  std::string bytes = (*buffer)->getBuffer().str();

  std::string flipped = bytes;
  flipped[40] ^= 1;
  rewrite(moments, flipped);
  EXPECT_NE(loadError().find("CRC-32"), std::string::npos) << loadError();

  rewrite(moments, llvm::StringRef(bytes).drop_back(3));
  EXPECT_NE(loadError().find("truncated"), std::string::npos) << loadError();

  llvm::sys::fs::remove(moments);
  EXPECT_NE(loadError().find("cannot read its moments file"), std::string::npos)
      << loadError();
}

TEST_F(StatsFileMomentsTest, NoMomentsNoSideFile) {
  StatsFile file;
  file.model = "m";
  ObserverStats a;
  a.observe({1, 2}, {2}, -1);
  file.activations.emplace_back("a", a);
  ASSERT_FALSE(static_cast<bool>(file.save(path)));
  EXPECT_FALSE(llvm::sys::fs::exists(path + ".moments"));
  EXPECT_EQ(loadError(), "");
}

} // namespace

namespace {
TEST(ChannelMomentsTest, HessianChannelLimit) {
  // 20000 channels of X^T X would take 3 GB: refused with a message, before
  // any allocation; per-channel moments of the same input are fine.
  ObserverStats stats;
  std::vector<float> row(20000, 1.0f);
  llvm::Error err = stats.observeMoments(row, {1, 20000}, 1, MomentsKind::Hessian);
  ASSERT_TRUE(static_cast<bool>(err));
  EXPECT_NE(llvm::toString(std::move(err)).find("at most 16384 channels"),
            std::string::npos);
  EXPECT_FALSE(static_cast<bool>(
      stats.observeMoments(row, {1, 20000}, 1, MomentsKind::Channels)));
}
} // namespace
