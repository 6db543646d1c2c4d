// Precedence of per-package origin restrictions and package-group origin configuration
// (reference §6.6): every row of the "allowed iff" table, the documented examples, INHERIT, and
// the most-specific-group rule, exercised through Packages::publish, PullThrough::chain and
// PackageGroups::decide/describe.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <optional>
#include <ostream>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "core/package_groups/package_groups.h"
#include "core/pull_through.h"
#include "events/metrics.h"
#include "store/group_types.h"
#include "unit/core/core_fixture.h"

namespace arca::core {
namespace {

constexpr char kAllow[] = "ALLOW";
constexpr char kBlock[] = "BLOCK";
constexpr char kAsr[] = "ALLOW_SPECIFIC_REPOSITORIES";

// Repositories: R = "repo" (the one a client calls: external connection public:npmjs, upstream
// "up"), "up" and "other" (listed in allow-lists that must not name R).
class OriginPrecedenceBase : public testing::CoreFixture {
 protected:
  void SetUp() override {
    config_.external_connections["public:npmjs"] = "http://127.0.0.1:9/";
    set_up("arca_origin_precedence");
    groups_ = std::make_unique<PackageGroups>(*store_, *control_, 1000);
    packages_->set_origin_policy(groups_.get());
    groups_->on_change([this] { packages_->invalidate_caches(); });
    pull_ = std::make_unique<PullThroughServices>(config_, *store_, *blobs_, *packages_, registry_,
                                                  dir_.string());
    ASSERT_TRUE(control_->create_repository(caller_, {{}, "dom", "up"}, "", {}, {}));
    ASSERT_TRUE(control_->create_repository(caller_, {{}, "dom", "other"}, "", {}, {}));
    ASSERT_TRUE(control_->create_repository(caller_, {{}, "dom", "repo"}, "", {"up"}, {}));
    auto assoc =
        control_->associate_external_connection(caller_, {{}, "dom", "repo"}, "public:npmjs");
    ASSERT_TRUE(assoc) << assoc.error().message;
  }
  void TearDown() override {
    pull_.reset();
    CoreFixture::TearDown();
  }

  void create_group(const std::string& pattern) {
    auto g = groups_->create(caller_, {{}, "dom"}, pattern, std::nullopt, std::nullopt);
    ASSERT_TRUE(g) << pattern << ": " << g.error().message;
  }
  // Sets `type` of `pattern` to `mode`; for ALLOW_SPECIFIC_REPOSITORIES also lists `listed`.
  void set_mode(const std::string& pattern, const char* type, const char* mode,
                const char* listed = nullptr) {
    GroupOriginUpdate u;
    u.restrictions[type] = mode;
    if (listed) u.add_allowed.emplace_back(listed, type);
    auto r = groups_->update_origin(caller_, {{}, "dom"}, pattern, u);
    ASSERT_TRUE(r) << pattern << " " << type << "=" << mode << ": " << r.error().message;
  }

  void set_package_origin(const store::PackageKey& key, const char* publish, const char* upstream) {
    PackageInput in{{{}, "dom", "repo"}, key.format, key.namespace_, key.name};
    auto r = packages_->put_origin_configuration(caller_, in, {publish, upstream});
    ASSERT_TRUE(r) << r.error().message;
  }

  Result<store::PackageVersion> publish(const store::PackageKey& key, const std::string& version) {
    NewVersion nv;
    nv.version.version = version;
    nv.version.assets.push_back(put_blob("bytes of " + key.name + "@" + version));
    nv.dist_tags["latest"] = version;
    return packages_->publish(repo(), key, nv);
  }

  std::vector<ChainEntry> chain(const store::PackageKey& key) {
    auto c = pull_->pull.chain(repo(), key);
    EXPECT_TRUE(c) << c.error().message;
    return c ? std::move(*c) : std::vector<ChainEntry>{};
  }
  // Ingest via r's external connection: r's own chain entry carries the connection.
  bool external_allowed(const store::PackageKey& key) {
    auto c = chain(key);
    EXPECT_FALSE(c.empty());
    if (c.empty()) return false;
    EXPECT_EQ(c[0].step.repository.repository, "repo");
    return c[0].connection != nullptr;
  }
  // Retention into r from its upstream: the chain goes on past r to "up".
  bool internal_allowed(const store::PackageKey& key) {
    auto c = chain(key);
    if (c.size() < 2) return false;
    EXPECT_EQ(c[1].step.repository.repository, "up");
    return true;
  }

  std::unique_ptr<PackageGroups> groups_;
  events::Registry registry_;
  std::unique_ptr<PullThroughServices> pull_;
};

// ---- the §6.6 table ------------------------------------------------------------------------

// Per-package restrictions of "pkg" in r; kAbsent = the package does not exist in r.
enum class Pkg { kAbsent, kAllowAllow, kPublishBlock, kUpstreamBlock };

// One group mode as the row sets it on /npm/*: ALLOW, BLOCK, ALLOW_SPECIFIC_REPOSITORIES with r
// listed ("ASR+r") or with only "other" listed ("ASR-r").
struct Mode {
  const char* mode;
  bool r_listed = false;
};
const Mode kNoGroup{nullptr, false};
const Mode kAllowM{kAllow, false};
const Mode kBlockM{kBlock, false};
const Mode kAsrR{kAsr, true};
const Mode kAsrOther{kAsr, false};

struct Row {
  const char* name;
  Pkg pkg;
  Mode publish_mode;   // group PUBLISH
  Mode external_mode;  // group EXTERNAL_UPSTREAM
  Mode internal_mode;  // group INTERNAL_UPSTREAM
  // The package's own group is /npm//pkg$ with INHERIT for every type, under /npm/*.
  bool inherit;
  bool publish;   // expected: direct publish into r allowed
  bool external;  // expected: ingestion via r's external connection allowed
  bool internal;  // expected: retention into r from "up" allowed
  // Which control a refused publish must name: 'p' the package, 'g' the group, '*' either.
  char publish_blocked_by = ' ';
};
void PrintTo(const Row& row, std::ostream* os) { *os << row.name; }

Row all(const char* name, Pkg pkg, Mode m, bool inherit, bool publish, bool external, bool internal,
        char by = ' ') {
  return {name, pkg, m, m, m, inherit, publish, external, internal, by};
}

class OriginPrecedenceTable : public OriginPrecedenceBase,
                              public ::testing::WithParamInterface<Row> {};

const store::PackageKey kPkg{"npm", "", "pkg"};

TEST_P(OriginPrecedenceTable, PublishExternalAndInternal) {
  const Row& row = GetParam();
  const char* types[] = {store::kRestrictionPublish, store::kRestrictionExternalUpstream,
                         store::kRestrictionInternalUpstream};
  const Mode modes[] = {row.publish_mode, row.external_mode, row.internal_mode};
  bool any_group = false;
  for (const Mode& m : modes) any_group |= m.mode != nullptr;
  if (any_group) {
    ASSERT_NO_FATAL_FAILURE(create_group("/npm/*"));
    for (int i = 0; i < 3; ++i) {
      if (!modes[i].mode) continue;
      const char* listed = std::string_view(modes[i].mode) == kAsr
                               ? (modes[i].r_listed ? "repo" : "other")
                               : nullptr;
      ASSERT_NO_FATAL_FAILURE(set_mode("/npm/*", types[i], modes[i].mode, listed));
    }
    if (row.inherit) {
      ASSERT_NO_FATAL_FAILURE(create_group("/npm//pkg$"));
    }
  }
  switch (row.pkg) {
    case Pkg::kAbsent:
      break;
    case Pkg::kAllowAllow:
      ASSERT_NO_FATAL_FAILURE(set_package_origin(kPkg, kAllow, kAllow));
      break;
    case Pkg::kPublishBlock:
      ASSERT_NO_FATAL_FAILURE(set_package_origin(kPkg, kBlock, kAllow));
      break;
    case Pkg::kUpstreamBlock:
      ASSERT_NO_FATAL_FAILURE(set_package_origin(kPkg, kAllow, kBlock));
      break;
  }

  // The upstream paths first: a publish into an absent package creates it (upstream=BLOCK).
  EXPECT_EQ(external_allowed(kPkg), row.external) << "ingest via r's external connection";
  EXPECT_EQ(internal_allowed(kPkg), row.internal) << "retain into r from upstream";

  auto v = publish(kPkg, "1.0.0");
  EXPECT_EQ(static_cast<bool>(v), row.publish)
      << "direct publish: " << (v ? std::string("OK") : v.error().message);
  if (!v) {
    EXPECT_EQ(v.error().code, Code::kPermissionDenied) << v.error().message;
    const std::string& msg = v.error().message;
    const std::string group = row.inherit ? "/npm//pkg$" : "/npm/*";
    bool names_package = msg.find("publish=BLOCK") != std::string::npos;
    bool names_group =
        msg.find("PUBLISH=" + std::string(row.publish_mode.mode ? row.publish_mode.mode : "?")) !=
            std::string::npos &&
        msg.find("package group " + group) != std::string::npos;
    switch (row.publish_blocked_by) {
      case 'p':
        EXPECT_TRUE(names_package) << msg;
        break;
      case 'g':
        EXPECT_TRUE(names_group) << msg;
        break;
      default:
        EXPECT_TRUE(names_package || names_group) << msg;
    }
  }
}

using P = Pkg;
constexpr bool Y = true;
constexpr bool N = false;

// Every combination of package restrictions x group mode (the same mode for all three types),
// set on the package's own group or inherited from its parent: expected (publish, external,
// internal) per §6.6.
INSTANTIATE_TEST_SUITE_P(
    Section66, OriginPrecedenceTable,
    ::testing::Values(
        // No custom group: the root's ALLOW defaults, so the per-package rules of §6.1 decide.
        all("Absent_NoGroup", P::kAbsent, kNoGroup, N, Y, Y, Y),
        all("AllowAllow_NoGroup", P::kAllowAllow, kNoGroup, N, Y, Y, Y),
        all("PublishBlock_NoGroup", P::kPublishBlock, kNoGroup, N, N, Y, Y, 'p'),
        all("UpstreamBlock_NoGroup", P::kUpstreamBlock, kNoGroup, N, Y, N, N),
        // Group ALLOW (documented example: ALLOW/ALLOW + group all ALLOW -> all allowed).
        all("Absent_Allow", P::kAbsent, kAllowM, N, Y, Y, Y),
        all("AllowAllow_Allow", P::kAllowAllow, kAllowM, N, Y, Y, Y),
        all("PublishBlock_Allow", P::kPublishBlock, kAllowM, N, N, Y, Y, 'p'),
        all("UpstreamBlock_Allow", P::kUpstreamBlock, kAllowM, N, Y, N, N),
        all("Absent_InheritAllow", P::kAbsent, kAllowM, Y, Y, Y, Y),
        all("AllowAllow_InheritAllow", P::kAllowAllow, kAllowM, Y, Y, Y, Y),
        all("PublishBlock_InheritAllow", P::kPublishBlock, kAllowM, Y, N, Y, Y, 'p'),
        all("UpstreamBlock_InheritAllow", P::kUpstreamBlock, kAllowM, Y, Y, N, N),
        // Group BLOCK: a package-level ALLOW never overrides it.
        all("Absent_Block", P::kAbsent, kBlockM, N, N, N, N, 'g'),
        all("AllowAllow_Block", P::kAllowAllow, kBlockM, N, N, N, N, 'g'),
        all("PublishBlock_Block", P::kPublishBlock, kBlockM, N, N, N, N, '*'),
        all("UpstreamBlock_Block", P::kUpstreamBlock, kBlockM, N, N, N, N, 'g'),
        all("Absent_InheritBlock", P::kAbsent, kBlockM, Y, N, N, N, 'g'),
        all("AllowAllow_InheritBlock", P::kAllowAllow, kBlockM, Y, N, N, N, 'g'),
        all("PublishBlock_InheritBlock", P::kPublishBlock, kBlockM, Y, N, N, N, '*'),
        all("UpstreamBlock_InheritBlock", P::kUpstreamBlock, kBlockM, Y, N, N, N, 'g'),
        // ALLOW_SPECIFIC_REPOSITORIES listing r: like ALLOW for r.
        all("Absent_AsrListed", P::kAbsent, kAsrR, N, Y, Y, Y),
        all("AllowAllow_AsrListed", P::kAllowAllow, kAsrR, N, Y, Y, Y),
        all("PublishBlock_AsrListed", P::kPublishBlock, kAsrR, N, N, Y, Y, 'p'),
        all("UpstreamBlock_AsrListed", P::kUpstreamBlock, kAsrR, N, Y, N, N),
        all("Absent_InheritAsrListed", P::kAbsent, kAsrR, Y, Y, Y, Y),
        all("AllowAllow_InheritAsrListed", P::kAllowAllow, kAsrR, Y, Y, Y, Y),
        all("PublishBlock_InheritAsrListed", P::kPublishBlock, kAsrR, Y, N, Y, Y, 'p'),
        all("UpstreamBlock_InheritAsrListed", P::kUpstreamBlock, kAsrR, Y, Y, N, N),
        // ALLOW_SPECIFIC_REPOSITORIES listing only "other": like BLOCK for r.
        all("Absent_AsrUnlisted", P::kAbsent, kAsrOther, N, N, N, N, 'g'),
        all("AllowAllow_AsrUnlisted", P::kAllowAllow, kAsrOther, N, N, N, N, 'g'),
        all("PublishBlock_AsrUnlisted", P::kPublishBlock, kAsrOther, N, N, N, N, '*'),
        all("UpstreamBlock_AsrUnlisted", P::kUpstreamBlock, kAsrOther, N, N, N, N, 'g'),
        all("Absent_InheritAsrUnlisted", P::kAbsent, kAsrOther, Y, N, N, N, 'g'),
        all("AllowAllow_InheritAsrUnlisted", P::kAllowAllow, kAsrOther, Y, N, N, N, 'g'),
        all("PublishBlock_InheritAsrUnlisted", P::kPublishBlock, kAsrOther, Y, N, N, N, '*'),
        all("UpstreamBlock_InheritAsrUnlisted", P::kUpstreamBlock, kAsrOther, Y, N, N, N, 'g'),
        // One type restricted at a time: the three decisions are independent.
        // Documented example: ALLOW/ALLOW + EXTERNAL_UPSTREAM=BLOCK -> external blocked,
        // internal retention allowed.
        Row{"AllowAllow_ExternalBlockOnly", P::kAllowAllow, kAllowM, kBlockM, kAllowM, N, Y, N, Y,
            ' '},
        Row{"AllowAllow_InternalBlockOnly", P::kAllowAllow, kAllowM, kAllowM, kBlockM, N, Y, Y, N,
            ' '},
        Row{"AllowAllow_PublishBlockOnly", P::kAllowAllow, kBlockM, kAllowM, kAllowM, N, N, Y, Y,
            'g'},
        Row{"AllowAllow_PublishAsrUnlistedOnly", P::kAllowAllow, kAsrOther, kNoGroup, kNoGroup, Y,
            N, Y, Y, 'g'},
        Row{"AllowAllow_ExternalAsrListedInternalAsrUnlisted", P::kAllowAllow, kNoGroup, kAsrR,
            kAsrOther, Y, Y, Y, N, ' '}),
    [](const ::testing::TestParamInfo<Row>& info) { return std::string(info.param.name); });

// ---- INHERIT and the most specific group ---------------------------------------------------

using OriginPrecedenceGroups = OriginPrecedenceBase;

TEST_F(OriginPrecedenceGroups, InheritTakesParentModeAndAllowList) {
  ASSERT_NO_FATAL_FAILURE(create_group("/npm/*"));
  ASSERT_NO_FATAL_FAILURE(set_mode("/npm/*", store::kRestrictionPublish, kAsr, "repo"));
  ASSERT_NO_FATAL_FAILURE(set_mode("/npm/*", store::kRestrictionExternalUpstream, kBlock));
  // INTERNAL_UPSTREAM stays INHERIT on /npm/* too: /npm/corp~ resolves it from the root.
  ASSERT_NO_FATAL_FAILURE(create_group("/npm/corp~"));

  auto view = groups_->describe(caller_, {{}, "dom"}, "/npm/corp~");
  ASSERT_TRUE(view) << view.error().message;
  EXPECT_EQ(view->parent, std::optional<std::string>("/npm/*"));
  const auto& pub = view->restrictions.at(store::kRestrictionPublish);
  EXPECT_EQ(pub.mode, "INHERIT");
  EXPECT_EQ(pub.effective_mode, kAsr);
  EXPECT_EQ(pub.inherited_from, std::optional<std::string>("/npm/*"));
  EXPECT_EQ(pub.allowed, std::set<std::string>{"repo"});
  EXPECT_EQ(pub.repositories_count, 0u);  // its own list is empty
  const auto& ext = view->restrictions.at(store::kRestrictionExternalUpstream);
  EXPECT_EQ(ext.mode, "INHERIT");
  EXPECT_EQ(ext.effective_mode, kBlock);
  EXPECT_EQ(ext.inherited_from, std::optional<std::string>("/npm/*"));
  const auto& internal = view->restrictions.at(store::kRestrictionInternalUpstream);
  EXPECT_EQ(internal.mode, "INHERIT");
  EXPECT_EQ(internal.effective_mode, kAllow);
  EXPECT_EQ(internal.inherited_from, std::optional<std::string>("/*"));

  const store::PackageKey corp_x{"npm", "corp", "x"};
  struct Case {
    const char* repository;
    Restriction r;
    bool allowed;
    const char* effective_mode;
  };
  for (const Case& c : {Case{"repo", Restriction::kPublish, true, kAsr},
                        Case{"other", Restriction::kPublish, false, kAsr},
                        Case{"repo", Restriction::kExternalUpstream, false, kBlock},
                        Case{"repo", Restriction::kInternalUpstream, true, kAllow}}) {
    auto d = groups_->decide(repo(c.repository), corp_x, c.r);
    ASSERT_TRUE(d) << d.error().message;
    EXPECT_EQ(d->allowed, c.allowed) << c.repository << " " << restriction_name(c.r);
    EXPECT_EQ(d->group, "/npm/corp~") << restriction_name(c.r);
    EXPECT_EQ(d->effective_mode, c.effective_mode) << restriction_name(c.r);
  }
  // And end to end: publish to r succeeds, ingestion through r's connection does not.
  EXPECT_FALSE(external_allowed(corp_x));
  EXPECT_TRUE(internal_allowed(corp_x));
  auto v = publish(corp_x, "1.0.0");
  EXPECT_TRUE(v) << v.error().message;

  // Changing the parent changes the child's effective mode.
  ASSERT_NO_FATAL_FAILURE(set_mode("/npm/*", store::kRestrictionPublish, kBlock));
  auto d = groups_->decide(repo(), corp_x, Restriction::kPublish);
  ASSERT_TRUE(d);
  EXPECT_FALSE(d->allowed);
  EXPECT_EQ(d->effective_mode, kBlock);
}

TEST_F(OriginPrecedenceGroups, MostSpecificGroupWins) {
  struct Case {
    const char* outer;  // /npm/* PUBLISH and EXTERNAL_UPSTREAM
    const char* inner;  // /npm/corp/* PUBLISH and EXTERNAL_UPSTREAM
    bool corp_allowed;
    bool y_allowed;
  };
  int round = 0;
  for (const Case& c : {Case{kBlock, kAllow, true, false}, Case{kAllow, kBlock, false, true}}) {
    SCOPED_TRACE(std::string("/npm/*=") + c.outer + " /npm/corp/*=" + c.inner);
    // Fresh packages each round: a publish creates its package with upstream=BLOCK.
    const std::string n = std::to_string(++round);
    const store::PackageKey corp_x{"npm", "corp", "x" + n};
    const store::PackageKey y{"npm", "", "y" + n};
    if (!groups_->describe(caller_, {{}, "dom"}, "/npm/*")) {
      ASSERT_NO_FATAL_FAILURE(create_group("/npm/*"));
      ASSERT_NO_FATAL_FAILURE(create_group("/npm/corp/*"));
    }
    for (const char* t : {store::kRestrictionPublish, store::kRestrictionExternalUpstream}) {
      ASSERT_NO_FATAL_FAILURE(set_mode("/npm/*", t, c.outer));
      ASSERT_NO_FATAL_FAILURE(set_mode("/npm/corp/*", t, c.inner));
    }
    auto dc = groups_->decide(repo(), corp_x, Restriction::kPublish);
    ASSERT_TRUE(dc);
    EXPECT_EQ(dc->allowed, c.corp_allowed);
    EXPECT_EQ(dc->group, "/npm/corp/*");
    auto dy = groups_->decide(repo(), y, Restriction::kPublish);
    ASSERT_TRUE(dy);
    EXPECT_EQ(dy->allowed, c.y_allowed);
    EXPECT_EQ(dy->group, "/npm/*");

    EXPECT_EQ(external_allowed(corp_x), c.corp_allowed);
    EXPECT_EQ(external_allowed(y), c.y_allowed);
    auto vc = publish(corp_x, "1.0.0");
    EXPECT_EQ(static_cast<bool>(vc), c.corp_allowed) << (vc ? "" : vc.error().message);
    if (!vc) {
      EXPECT_NE(vc.error().message.find("package group /npm/corp/* (PUBLISH=BLOCK)"),
                std::string::npos)
          << vc.error().message;
    }
    auto vy = publish(y, "1.0.0");
    EXPECT_EQ(static_cast<bool>(vy), c.y_allowed) << (vy ? "" : vy.error().message);
    if (!vy) {
      EXPECT_NE(vy.error().message.find("package group /npm/* (PUBLISH=BLOCK)"), std::string::npos)
          << vy.error().message;
    }
  }
}

// ---- what the I/O thread may decide from memory ----------------------------------------------

TEST_F(OriginPrecedenceGroups, PeekAnswersAsDecideAndNeverFromBeforeAChange) {
  store::PackageKey key{"npm", "", "lib"};
  auto before = groups_->decide(repo(), key, Restriction::kExternalUpstream);
  ASSERT_TRUE(before);
  auto peeked = groups_->peek(repo(), key, Restriction::kExternalUpstream);
  ASSERT_TRUE(peeked);
  EXPECT_TRUE(peeked->allowed);
  EXPECT_EQ(peeked->group, before->group);

  // After a change on this node, peek() answers from the groups as changed (update_origin
  // reloads them for its answer) or not at all, never from before the change.
  ASSERT_NO_FATAL_FAILURE(create_group("/npm/*"));
  ASSERT_NO_FATAL_FAILURE(set_mode("/npm/*", store::kRestrictionExternalUpstream, kBlock));
  peeked = groups_->peek(repo(), key, Restriction::kExternalUpstream);
  if (!peeked) {
    ASSERT_TRUE(groups_->decide(repo(), key, Restriction::kExternalUpstream));
  }
  peeked = groups_->peek(repo(), key, Restriction::kExternalUpstream);
  ASSERT_TRUE(peeked);
  EXPECT_FALSE(peeked->allowed);
  EXPECT_EQ(peeked->group, "/npm/*");
}

TEST_F(OriginPrecedenceGroups, SearchOrdersAndAbsentPackagesAreKeptUntilAWrite) {
  store::PackageKey key{"npm", "", "lib"};
  EXPECT_FALSE(pull_->pull.peek_steps(repo()));
  ASSERT_EQ(chain(key).size(), 2u);  // repo, then up: both read from the store
  auto steps = pull_->pull.peek_steps(repo());
  ASSERT_TRUE(steps);
  ASSERT_EQ(steps->size(), 2u);
  EXPECT_EQ((*steps)[1].repository.repository, "up");
  // The package is absent from both, and that is remembered.
  for (const char* r : {"repo", "up"}) {
    auto cached = packages_->peek_package(repo(r), key);
    ASSERT_TRUE(cached) << r;
    EXPECT_EQ(*cached, nullptr) << r;
  }
  auto missing = packages_->open_asset(repo(), key, "1.0.0", "lib-1.0.0.tgz");
  ASSERT_FALSE(missing);
  EXPECT_EQ(missing.error().code, Code::kNotFound);

  // A publish forgets the absence; a repository change forgets the search orders.
  ASSERT_TRUE(publish(key, "1.0.0"));
  EXPECT_FALSE(packages_->peek_package(repo(), key));
  EXPECT_TRUE(packages_->open_asset(repo(), key, "1.0.0", "pkg.tgz"));
  ASSERT_TRUE(control_->update_repository(caller_, {{}, "dom", "repo"},
                                          {.upstreams = std::vector<std::string>{}}));
  EXPECT_FALSE(pull_->pull.peek_steps(repo()));
  ASSERT_EQ(chain(key).size(), 1u);
}

}  // namespace
}  // namespace arca::core
