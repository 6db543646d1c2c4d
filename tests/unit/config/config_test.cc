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
[external_connections]
"public:npmjs" = "http://127.0.0.1:4873/"
[external_connection_settings."public:npmjs"]
offline = true
timeout = "5s"
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
