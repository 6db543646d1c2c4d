#include "upstream/upstream_health.h"

#include <gtest/gtest.h>

namespace arca::upstream {
namespace {

TEST(UpstreamHealthTest, TripsAfterFailuresInARowOnly) {
  UpstreamHealth h;
  for (int i = 0; i < 10; ++i) {  // failures with answers between them never trip it
    ASSERT_TRUE(h.may_ask(100));
    h.failed(100, 30);
    h.failed(100, 30);
    h.answered();
  }
  for (int i = 0; i < UpstreamHealth::kTripAfter; ++i) {
    EXPECT_TRUE(h.may_ask(100));
    h.failed(100, 30);
  }
  EXPECT_FALSE(h.may_ask(100));
  EXPECT_FALSE(h.may_ask(129.9));
  EXPECT_EQ(h.retry_at(), 130);
}

TEST(UpstreamHealthTest, OneProbeAtTheEndOfTheBackoff) {
  UpstreamHealth h;
  for (int i = 0; i < UpstreamHealth::kTripAfter; ++i) h.failed(100, 30);
  EXPECT_TRUE(h.may_ask(130));   // the probe
  EXPECT_FALSE(h.may_ask(130));  // the others wait for it
  h.failed(131, 30);             // it failed: a new backoff
  EXPECT_FALSE(h.may_ask(160.5));
  EXPECT_TRUE(h.may_ask(161));  // the next probe
  h.answered();                 // it was answered: closed
  EXPECT_TRUE(h.may_ask(161));
  EXPECT_TRUE(h.may_ask(161));
  EXPECT_EQ(h.retry_at(), 0);
}

TEST(UpstreamHealthTest, AProbeThatNeverReportsOnlyDelaysTheNextOne) {
  UpstreamHealth h;
  for (int i = 0; i < UpstreamHealth::kTripAfter; ++i) h.failed(100, 30);
  EXPECT_TRUE(h.may_ask(130));  // a probe whose caller reports nothing
  EXPECT_FALSE(h.may_ask(150));
  EXPECT_TRUE(h.may_ask(160));  // another backoff later, another probe
}

}  // namespace
}  // namespace arca::upstream
