// Filesystem store under load: bounded memory for a large blob, concurrent identical writers.
#include <gtest/gtest.h>
#include <sys/resource.h>

#include <atomic>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <string>
#include <thread>
#include <vector>

#include "blob/fs/fs_blob_store.h"
#include "conformance/blob/blob_store_conformance.h"
#include "util/crypto.h"

namespace arca::blob::conformance {
namespace {

// A /proc/self/status field in KiB, or -1.
long status_kib(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) return std::stol(line.substr(field.size() + 1));
  }
  return -1;
}

// Peak RSS since the last reset_peak_rss(), in KiB.
long peak_rss_kib() {
  long hwm = status_kib("VmHWM");
  if (hwm >= 0) return hwm;
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

// Resets VmHWM to the current RSS (Linux >= 4.0). Returns false when not supported, in which
// case the peak is measured against the process's earlier peak (a looser bound).
bool reset_peak_rss() {
  std::ofstream f("/proc/self/clear_refs");
  f << "5";
  f.flush();
  return f.good();
}

// Fills `buf` with the bytes of a 64 MiB stream, chunk by chunk, without holding the stream.
void fill_chunk(std::string& buf, uint64_t chunk_index) {
  uint64_t x = chunk_index * 0x9E3779B97F4A7C15ull + 7;
  for (size_t i = 0; i + 8 <= buf.size(); i += 8) {
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    std::memcpy(buf.data() + i, &x, 8);
  }
}

class FsBlobStoreLoadTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto s = FsBlobStore::open(dir_.path() + "/blobs");
    ASSERT_TRUE(s) << s.error().message;
    store_ = std::move(*s);
  }
  BlobStore& store() { return *store_; }

  TempDir dir_;
  std::unique_ptr<FsBlobStore> store_;
};

TEST_F(FsBlobStoreLoadTest, SixtyFourMiBBlobStreamsInBoundedMemory) {
  constexpr size_t kChunk = 256 << 10;
  constexpr uint64_t kSize = 64ull << 20;
  constexpr long kMaxGrowthKib = 16 << 10;
  std::string chunk(kChunk, '\0');
  const bool reset = reset_peak_rss();
  const long baseline = reset ? status_kib("VmRSS") : peak_rss_kib();

  crypto::Hasher expected(crypto::Algo::kSha256);
  auto w = store().begin_write();
  ASSERT_TRUE(w) << w.error().message;
  for (uint64_t i = 0; i < kSize / kChunk; ++i) {
    fill_chunk(chunk, i);
    expected.update(chunk);
    ASSERT_TRUE((*w)->write(chunk));
  }
  const std::string key = expected.finish_hex();
  auto info = (*w)->commit({.sha256 = key, .size = kSize});
  ASSERT_TRUE(info) << info.error().message;
  w->reset();

  auto r = store().open(key, 0);
  ASSERT_TRUE(r) << r.error().message;
  EXPECT_EQ((*r)->size(), kSize);
  crypto::Hasher readback(crypto::Algo::kSha256);
  uint64_t total = 0;
  for (;;) {
    auto n = (*r)->read(chunk.data(), chunk.size());
    ASSERT_TRUE(n) << n.error().message;
    if (*n == 0) break;
    readback.update(std::string_view(chunk.data(), *n));
    total += *n;
  }
  EXPECT_EQ(total, kSize);
  EXPECT_EQ(readback.finish_hex(), key);

  const long growth = peak_rss_kib() - baseline;
  RecordProperty("peak_rss_growth_kib", std::to_string(growth));
  EXPECT_LT(growth, kMaxGrowthKib) << "peak RSS grew by " << growth << " KiB for a 64 MiB blob"
                                   << (reset ? "" : " (VmHWM reset unsupported)");
  EXPECT_EQ(std::filesystem::file_size(*store().local_path(key)), kSize);
}

TEST_F(FsBlobStoreLoadTest, ConcurrentWritersOfSameContentLeaveOneFile) {
  constexpr int kThreads = 6;
  const std::string data = pseudo_random_bytes(2 << 20, 77);
  const std::string key = crypto::sha256_hex(data);
  std::atomic<int> ready{0};
  std::vector<std::thread> threads;
  std::vector<std::string> outcome(kThreads);
  for (int t = 0; t < kThreads; ++t) {
    threads.emplace_back([&, t] {
      auto w = store().begin_write();
      if (!w) {
        outcome[t] = w.error().message;
        return;
      }
      // All writers have their temp file before any commits, so the commits really race.
      ready.fetch_add(1);
      while (ready.load() < kThreads) std::this_thread::yield();
      for (size_t pos = 0; pos < data.size(); pos += 65'536) {
        if (!(*w)->write(std::string_view(data).substr(pos, 65'536))) {
          outcome[t] = "write failed";
          return;
        }
      }
      auto info = (*w)->commit({.sha256 = key});
      outcome[t] = info ? info->sha256 : info.error().message;
    });
  }
  for (auto& th : threads) th.join();
  for (const std::string& o : outcome) EXPECT_EQ(o, key);

  const std::string shard = store_->root() + "/sha256/" + key.substr(0, 2);
  size_t files = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(shard)) ++files;
  EXPECT_EQ(files, 1u);
  EXPECT_TRUE(std::filesystem::is_empty(store_->tmp_dir()));
  auto keys = store().list();
  ASSERT_TRUE(keys);
  EXPECT_EQ(*keys, std::vector<std::string>{key});
  auto back = read_blob(store(), key);
  ASSERT_TRUE(back);
  EXPECT_TRUE(*back == data);
}

}  // namespace
}  // namespace arca::blob::conformance
