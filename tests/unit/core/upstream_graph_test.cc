#include "core/upstream_graph.h"

#include <gtest/gtest.h>

#include <filesystem>

#include "store/sqlite/sqlite_metadata_store.h"

namespace arca::core {
namespace {

namespace fs = std::filesystem;

class UpstreamGraphTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("arca-graph-" + std::to_string(::getpid()) + "-" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
    store_ = std::move(store::SqliteMetadataStore::open((dir_ / "arca.db").string()).value());
    store::Domain d;
    d.owner = "111122223333";
    d.name = "dom";
    ASSERT_TRUE(store_->create_domain(d, 10));
  }
  void TearDown() override { fs::remove_all(dir_); }

  void add(const std::string& name, std::vector<std::string> upstreams,
           const std::string& connection = "") {
    store::Repository r;
    r.domain_owner = "111122223333";
    r.domain_name = "dom";
    r.name = name;
    r.administrator_account = "111122223333";
    r.upstreams = std::move(upstreams);
    ASSERT_TRUE(store_->create_repository(r, 1000));
    if (!connection.empty()) {
      ASSERT_TRUE(
          store_->add_external_connection("111122223333", "dom", name, {connection, "npm"}, 1));
    }
  }

  std::vector<std::string> order(const std::string& start) {
    auto steps = search_order(*store_, {"111122223333", "dom", start});
    EXPECT_TRUE(steps) << steps.error().message;
    std::vector<std::string> out;
    for (const auto& s : *steps)
      out.push_back(s.repository.repository +
                    (s.external_connection.empty() ? "" : "+" + s.external_connection));
    return out;
  }

  fs::path dir_;
  std::unique_ptr<store::SqliteMetadataStore> store_;
};

// The guide's example: R->[A, B], A->[C, D], D->[E] searches R, A, C, D, E, B.
TEST_F(UpstreamGraphTest, DepthFirstInListOrder) {
  for (const char* n : {"c", "e"}) add(n, {});
  add("d", {"e"});
  add("b", {}, "public:npmjs");
  add("a", {"c", "d"});
  add("r", {"a", "b"});
  EXPECT_EQ(order("r"), (std::vector<std::string>{"r", "a", "c", "d", "e", "b+public:npmjs"}));
  auto steps = search_order(*store_, {"111122223333", "dom", "r"}).value();
  EXPECT_EQ(steps[0].subtree_end, 6u);
  EXPECT_EQ(steps[1].subtree_end, 5u);  // a's subtree: a, c, d, e
  EXPECT_EQ(steps[3].subtree_end, 5u);  // d's subtree: d, e
  EXPECT_EQ(steps[5].subtree_end, 6u);
  EXPECT_EQ(steps[4].depth, 3u);
}

TEST_F(UpstreamGraphTest, EachRepositoryOnce) {
  add("shared", {});
  add("x", {"shared"});
  add("y", {"shared"});
  add("r", {"x", "y"});
  EXPECT_EQ(order("r"), (std::vector<std::string>{"r", "x", "shared", "y"}));
}

TEST_F(UpstreamGraphTest, AtMostTwentyFiveRepositories) {
  // A chain of 30: r -> u1 -> ... -> u29.
  add("u29", {});
  for (int i = 28; i >= 1; --i) add("u" + std::to_string(i), {"u" + std::to_string(i + 1)});
  add("r", {"u1"});
  EXPECT_EQ(order("r").size(), kMaxSearchedRepositories);
}

TEST_F(UpstreamGraphTest, MissingStartIsNotFound) {
  auto steps = search_order(*store_, {"111122223333", "dom", "nope"});
  ASSERT_FALSE(steps);
  EXPECT_EQ(steps.error().code, Code::kNotFound);
}

}  // namespace
}  // namespace arca::core
