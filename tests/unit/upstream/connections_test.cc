#include "upstream/connections.h"

#include <gtest/gtest.h>

namespace arca::upstream {
namespace {

using namespace std::chrono_literals;

config::Config two_connections() {
  config::Config c;
  c.external_connections = {{"public:npmjs", "http://127.0.0.1:4873"},
                            {"public:pypi", "http://127.0.0.1:8081/simple/"}};
  c.metadata_ttl = 120s;
  c.upstream_timeout = 7s;
  c.upstream_proxy = "http://proxy.internal:3128";
  c.max_asset_size = uint64_t(100) << 20;
  config::ConnectionSettings pypi;
  pypi.metadata_ttl = 30s;
  pypi.timeout = 3s;
  pypi.proxy = "";
  pypi.max_asset_size = uint64_t(1) << 30;
  pypi.offline = true;
  c.connection_settings["public:pypi"] = pypi;
  return c;
}

TEST(ConnectionsTest, TheCacheSectionIsEveryConnectionsDefault) {
  Connections all(two_connections());
  const Connection* npm = all.find("public:npmjs");
  ASSERT_NE(npm, nullptr);
  EXPECT_EQ(npm->base_url, "http://127.0.0.1:4873/");
  EXPECT_EQ(npm->url("left-pad"), "http://127.0.0.1:4873/left-pad");
  EXPECT_EQ(npm->metadata_ttl, 120s);
  EXPECT_FALSE(npm->offline);
  const ClientOptions& o = npm->client->options();
  EXPECT_EQ(o.connect_timeout, 7s);
  EXPECT_EQ(o.first_byte_timeout, 7s);
  EXPECT_EQ(o.proxy, "http://proxy.internal:3128");
  EXPECT_EQ(npm->max_asset_bytes, uint64_t(100) << 20);
}

TEST(ConnectionsTest, PerConnectionSettingsOverrideTheDefaults) {
  Connections all(two_connections());
  const Connection* pypi = all.find("public:pypi");
  ASSERT_NE(pypi, nullptr);
  EXPECT_EQ(pypi->metadata_ttl, 30s);
  EXPECT_TRUE(pypi->offline);
  const ClientOptions& o = pypi->client->options();
  EXPECT_EQ(o.connect_timeout, 3s);
  EXPECT_EQ(o.proxy, "");
  EXPECT_EQ(pypi->max_asset_bytes, uint64_t(1) << 30);
  EXPECT_EQ(all.find("public:maven-central"), nullptr);  // nothing is built in
}

TEST(ConnectionsTest, TheDefaultAssetSizeCapIsFiveGiB) {
  config::Config c;
  c.external_connections = {{"public:npmjs", "http://127.0.0.1:4873/"}};
  Connections all(c);
  EXPECT_EQ(all.find("public:npmjs")->max_asset_bytes, uint64_t(5) << 30);
}

}  // namespace
}  // namespace arca::upstream
