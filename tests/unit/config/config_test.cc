#include "config/config.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

namespace arca::config {
namespace {

TEST(Config, Durations) {
  EXPECT_EQ(parse_duration("30s").value().count(), 30);
  EXPECT_EQ(parse_duration("10m").value().count(), 600);
  EXPECT_EQ(parse_duration("1h").value().count(), 3600);
  EXPECT_EQ(parse_duration("2d").value().count(), 172800);
  EXPECT_EQ(parse_duration("45").value().count(), 45);
  EXPECT_FALSE(parse_duration("m"));
  EXPECT_FALSE(parse_duration("1x"));
  EXPECT_FALSE(parse_duration(""));
}

TEST(Config, Sizes) {
  EXPECT_EQ(parse_size("512").value(), 512u);
  EXPECT_EQ(parse_size("512B").value(), 512u);
  EXPECT_EQ(parse_size("100KiB").value(), 100u << 10);
  EXPECT_EQ(parse_size("64MiB").value(), 64u << 20);
  EXPECT_EQ(parse_size("5GiB").value(), uint64_t(5) << 30);
  EXPECT_EQ(parse_size("2TiB").value(), uint64_t(2) << 40);
  EXPECT_FALSE(parse_size(""));
  EXPECT_FALSE(parse_size("GiB"));
  EXPECT_FALSE(parse_size("0"));
  EXPECT_FALSE(parse_size("5GB"));  // decimal units are not guessed at
  EXPECT_FALSE(parse_size("1.5GiB"));
  EXPECT_FALSE(parse_size("99999999999TiB"));  // overflows
  EXPECT_EQ(parse_size("2000000000000").value(), 2'000'000'000'000u);
  EXPECT_EQ(parse_size("18446744073709551615").value(), ~uint64_t(0));
  EXPECT_FALSE(parse_size("18446744073709551616"));
  auto bad = parse_size("5KB");
  ASSERT_FALSE(bad);
  EXPECT_NE(bad.error().message.find("\"5KB\""), std::string::npos) << bad.error().message;
}

TEST(Config, SizesInTheFileAreWholePositiveNumbersOrSizeStrings) {
  auto path = std::filesystem::temp_directory_path() / "arca-config-sizes.toml";
  for (const char* value : {"0", "-5", "true", "1e9", "1.5", "\"lots\""}) {
    std::ofstream(path) << "[cache]\nmax_asset_size = " << value << "\n";
    auto c = load(path.string());
    ASSERT_FALSE(c) << value;
    EXPECT_NE(c.error().message.find("max_asset_size"), std::string::npos) << value;
  }
  std::filesystem::remove(path);
}

TEST(Config, Listen) {
  std::string host;
  uint16_t port = 1;
  ASSERT_TRUE(parse_listen("127.0.0.1:0", host, port));
  EXPECT_EQ(host, "127.0.0.1");
  EXPECT_EQ(port, 0);
  ASSERT_TRUE(parse_listen("[::1]:8080", host, port));
  EXPECT_EQ(host, "::1");
  EXPECT_FALSE(parse_listen("nohost", host, port));
  EXPECT_FALSE(parse_listen("h:70000", host, port));
}

TEST(Config, LoadsFileAndEnvironment) {
  auto path = std::filesystem::temp_directory_path() / "arca-config-test.toml";
  std::ofstream(path) << R"(
[server]
listen = "127.0.0.1:9999"
region = "eu-west-1"
[cache]
metadata_ttl = "30s"
max_asset_size = "1GiB"
[external_connections]
"public:npmjs" = "http://127.0.0.1:4873/"
"public:pypi" = "http://127.0.0.1:8081/"
[external_connection_settings."public:npmjs"]
offline = true
timeout = "5s"
max_asset_size = 1048576
)";
  ::setenv("ARCA_DATA_DIR", "/tmp/arca-env-dir", 1);
  auto c = load(path.string());
  ::unsetenv("ARCA_DATA_DIR");
  ASSERT_TRUE(c) << c.error().message;
  EXPECT_EQ(c->listen_port, 9999);
  EXPECT_EQ(c->region, "eu-west-1");
  EXPECT_EQ(c->metadata_ttl.count(), 30);
  EXPECT_EQ(c->negative_ttl.count(), 300);
  EXPECT_EQ(c->external_connections.at("public:npmjs"), "http://127.0.0.1:4873/");
  EXPECT_TRUE(c->connection_settings.at("public:npmjs").offline);
  EXPECT_EQ(c->connection_settings.at("public:npmjs").timeout->count(), 5);
  EXPECT_EQ(c->max_asset_size, uint64_t(1) << 30);
  EXPECT_EQ(c->connection_settings.at("public:npmjs").max_asset_size, uint64_t(1) << 20);
  EXPECT_EQ(c->external_connections.at("public:pypi"), "http://127.0.0.1:8081/");
  EXPECT_FALSE(c->connection_settings.count("public:pypi"));  // the [cache] defaults apply
  EXPECT_EQ(c->data_dir, "/tmp/arca-env-dir");
  std::filesystem::remove(path);
}

TEST(Config, BadFileNamesTheProblem) {
  auto path = std::filesystem::temp_directory_path() / "arca-config-bad.toml";
  std::ofstream(path) << "[server\nlisten=";
  auto c = load(path.string());
  ASSERT_FALSE(c);
  EXPECT_NE(c.error().message.find(path.string()), std::string::npos);
  std::filesystem::remove(path);
}

}  // namespace
}  // namespace arca::config
