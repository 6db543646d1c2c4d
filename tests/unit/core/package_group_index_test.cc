#include <gtest/gtest.h>

#include <algorithm>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "core/package_groups/group_index.h"

namespace arca::core::package_groups {
namespace {

Pattern must_parse(std::string_view text) {
  auto p = parse_pattern(text);
  EXPECT_TRUE(p) << text << ": " << (p ? "" : p.error().message);
  return p ? *p : Pattern{};
}

class PackageGroupIndexTest : public ::testing::Test {
 protected:
  void add(std::initializer_list<std::string_view> texts) {
    for (auto t : texts) ASSERT_TRUE(index_.add(must_parse(t), "id:" + std::string(t))) << t;
  }
  // The pattern text of the group `key` is associated with, or "" when none.
  std::string group_of(std::string format, std::string ns, std::string name) {
    const IndexedGroup* g = index_.most_specific({format, ns, name});
    return g ? g->text : "";
  }
  std::string parent(std::string_view text) {
    const IndexedGroup* g = index_.parent_of(must_parse(text));
    return g ? g->text : "";
  }
  std::vector<std::string> children(std::string_view text) {
    std::vector<std::string> out;
    for (const IndexedGroup* g : index_.children_of(must_parse(text))) out.push_back(g->text);
    return out;
  }

  GroupIndex index_;
};

using Texts = std::vector<std::string>;

// §6.4's example: with /npm/* and /npm/space/*, /npm//react belongs to /npm/*, and
// /npm/space/aui.components and /npm/space/amplify-ui-core belong to /npm/space/*.
TEST_F(PackageGroupIndexTest, DocumentedExample) {
  add({"/*", "/npm/*", "/npm/space/*"});
  EXPECT_EQ(group_of("npm", "", "react"), "/npm/*");
  EXPECT_EQ(group_of("npm", "space", "amplify-ui-core"), "/npm/space/*");
  EXPECT_EQ(group_of("npm", "space", "aui.components"), "/npm/space/*");
  EXPECT_EQ(group_of("pypi", "", "requests"), "/*");
  EXPECT_EQ(index_.most_specific({"npm", "", "react"})->id, "id:/npm/*");
}

// One group of every kind on the same package; removing the most specific in turn falls back
// through the §6.4 order.
TEST_F(PackageGroupIndexTest, SpecificityLadder) {
  const Texts ladder = {"/npm/space/anycompany-ui-core$",
                        "/npm/space/anycompany-ui~",
                        "/npm/space/any~",
                        "/npm/space/*",
                        "/npm/spa~",
                        "/npm/s~",
                        "/npm/*",
                        "/*"};
  // Added least specific first and most specific first must give the same answers.
  for (bool reversed : {false, true}) {
    GroupIndex fresh;
    index_ = std::move(fresh);
    Texts order = ladder;
    if (reversed) std::reverse(order.begin(), order.end());
    for (const auto& t : order) ASSERT_TRUE(index_.add(must_parse(t), t));
    for (size_t i = 0; i < ladder.size(); ++i) {
      SCOPED_TRACE(ladder[i]);
      EXPECT_EQ(group_of("npm", "space", "anycompany-ui-core"), ladder[i]);
      EXPECT_EQ(parent(ladder[i]), i + 1 < ladder.size() ? ladder[i + 1] : "");
      EXPECT_TRUE(index_.remove(ladder[i]));
    }
    EXPECT_EQ(index_.size(), 0u);
    EXPECT_EQ(index_.most_specific({"npm", "space", "anycompany-ui-core"}), nullptr);
  }
}

struct LookupCase {
  store::PackageKey key;
  std::string group;
};

TEST_F(PackageGroupIndexTest, LookupTable) {
  add({"/*",
       "/npm/*",
       "/npm//*",
       "/npm//re~",
       "/npm//reac~",
       "/npm//react-~",
       "/npm//react$",
       "/npm/types/*",
       "/npm/ty~",
       "/npm/typ~",
       "/npm/types/no~",
       "/maven/*",
       "/maven/com.a~",
       "/maven/com.anycompany~",
       "/maven/com.anycompany.web/*",
       "/maven/org.apache.logging.log4j/log4j-core$",
       "/pypi//requests$",
       "/pypi//django-~",
       "/nuget//newtonsoft~",
       "/swift/apple/*",
       "/generic/ns/file$"});
  const std::vector<LookupCase> cases = {
      {{"npm", "", "react"}, "/npm//react$"},
      {{"npm", "", "react-dom"}, "/npm//react-~"},
      {{"npm", "", "reactive"}, "/npm//reac~"},
      {{"npm", "", "reac"}, "/npm//reac~"},
      {{"npm", "", "redux"}, "/npm//re~"},
      {{"npm", "", "r"}, "/npm//*"},
      {{"npm", "", "lodash"}, "/npm//*"},
      {{"npm", "types", "node"}, "/npm/types/no~"},
      {{"npm", "types", "react"}, "/npm/types/*"},
      {{"npm", "typescript-eslint", "parser"}, "/npm/typ~"},
      {{"npm", "tyx", "a"}, "/npm/ty~"},
      {{"npm", "t", "a"}, "/npm/*"},
      {{"npm", "space", "react"}, "/npm/*"},
      {{"maven", "com.anycompany", "core"}, "/maven/com.anycompany~"},
      {{"maven", "com.anycompany.web", "core"}, "/maven/com.anycompany.web/*"},
      {{"maven", "com.anycompany.webx", "core"}, "/maven/com.anycompany~"},
      {{"maven", "com.another", "core"}, "/maven/com.a~"},
      {{"maven", "com", "core"}, "/maven/*"},
      {{"maven", "org.apache.logging.log4j", "log4j-core"},
       "/maven/org.apache.logging.log4j/log4j-core$"},
      {{"maven", "org.apache.logging.log4j", "log4j-api"}, "/maven/*"},
      {{"pypi", "", "requests"}, "/pypi//requests$"},
      {{"pypi", "", "requests-oauthlib"}, "/*"},
      {{"pypi", "", "django-rest"}, "/pypi//django-~"},
      {{"pypi", "", "django"}, "/*"},
      {{"nuget", "", "newtonsoft.json"}, "/nuget//newtonsoft~"},
      {{"swift", "apple", "swift-nio"}, "/swift/apple/*"},
      {{"swift", "apples", "x"}, "/*"},
      {{"generic", "ns", "file"}, "/generic/ns/file$"},
      {{"generic", "ns", "file2"}, "/*"},
      {{"cargo", "", "serde"}, "/*"},
  };
  for (const auto& c : cases)
    EXPECT_EQ(group_of(c.key.format, c.key.namespace_, c.key.name), c.group)
        << c.key.format << "/" << c.key.namespace_ << "/" << c.key.name;
}

TEST_F(PackageGroupIndexTest, WithoutRootUnmatchedPackagesHaveNoGroup) {
  add({"/npm/space/*"});
  EXPECT_EQ(index_.most_specific({"npm", "", "react"}), nullptr);
  EXPECT_EQ(index_.most_specific({"pypi", "", "x"}), nullptr);
  EXPECT_EQ(group_of("npm", "space", "x"), "/npm/space/*");
  EXPECT_EQ(parent("/npm/space/*"), "");
}

TEST_F(PackageGroupIndexTest, AddRemoveFindAndDuplicates) {
  add({"/*", "/npm/*"});
  EXPECT_FALSE(index_.add(must_parse("/npm/*"), "other id"));
  EXPECT_EQ(index_.find("/npm/*")->id, "id:/npm/*");
  EXPECT_EQ(index_.size(), 2u);
  EXPECT_FALSE(index_.remove("/npm/space/*"));
  EXPECT_TRUE(index_.remove("/npm/*"));
  EXPECT_FALSE(index_.remove("/npm/*"));
  EXPECT_EQ(index_.find("/npm/*"), nullptr);
  EXPECT_EQ(group_of("npm", "", "react"), "/*");
  // Removing the last group of a namespace or format leaves no stale slot behind.
  add({"/npm/a/x$"});
  EXPECT_TRUE(index_.remove("/npm/a/x$"));
  EXPECT_EQ(group_of("npm", "a", "x"), "/*");
  add({"/npm/a/x$"});
  EXPECT_EQ(group_of("npm", "a", "x"), "/npm/a/x$");
}

TEST_F(PackageGroupIndexTest, ParentsAndChildren) {
  add({"/*", "/npm/*", "/npm/space/*", "/npm/space/ui~", "/npm/space/ui-core$",
       "/npm/space/ui-kit$", "/npm//react$", "/maven/com.a~", "/maven/com.a.b/x$", "/pypi//*"});
  EXPECT_EQ(parent("/*"), "");
  EXPECT_EQ(parent("/npm/*"), "/*");
  EXPECT_EQ(parent("/npm/space/*"), "/npm/*");
  EXPECT_EQ(parent("/npm/space/ui~"), "/npm/space/*");
  EXPECT_EQ(parent("/npm/space/ui-core$"), "/npm/space/ui~");
  EXPECT_EQ(parent("/npm//react$"), "/npm/*");
  EXPECT_EQ(parent("/maven/com.a~"), "/*");
  EXPECT_EQ(parent("/maven/com.a.b/x$"), "/maven/com.a~");
  EXPECT_EQ(children("/*"), (Texts{"/maven/com.a~", "/npm/*", "/pypi//*"}));
  EXPECT_EQ(children("/npm/*"), (Texts{"/npm//react$", "/npm/space/*"}));
  EXPECT_EQ(children("/npm/space/*"), (Texts{"/npm/space/ui~"}));
  EXPECT_EQ(children("/npm/space/ui~"), (Texts{"/npm/space/ui-core$", "/npm/space/ui-kit$"}));
  EXPECT_EQ(children("/npm/space/ui-core$"), Texts{});

  // Deleting a group hands its children to its parent (§6.2).
  ASSERT_TRUE(index_.remove("/npm/space/*"));
  EXPECT_EQ(parent("/npm/space/ui~"), "/npm/*");
  EXPECT_EQ(children("/npm/*"), (Texts{"/npm//react$", "/npm/space/ui~"}));
  ASSERT_TRUE(index_.remove("/npm/*"));
  EXPECT_EQ(children("/*"), (Texts{"/maven/com.a~", "/npm//react$", "/npm/space/ui~", "/pypi//*"}));

  // Adding a group in between takes over the children it covers, and only those.
  add({"/npm/sp~"});
  EXPECT_EQ(parent("/npm/sp~"), "/*");
  EXPECT_EQ(children("/npm/sp~"), (Texts{"/npm/space/ui~"}));
  EXPECT_EQ(children("/*"), (Texts{"/maven/com.a~", "/npm//react$", "/npm/sp~", "/pypi//*"}));
  add({"/npm/*"});
  EXPECT_EQ(children("/npm/*"), (Texts{"/npm//react$", "/npm/sp~"}));
  EXPECT_EQ(parent("/npm/space/ui-kit$"), "/npm/space/ui~");

  // Removing and re-adding the root.
  ASSERT_TRUE(index_.remove("/*"));
  EXPECT_EQ(parent("/npm/*"), "");
  EXPECT_EQ(children("/*"), (Texts{"/maven/com.a~", "/npm/*", "/pypi//*"}));  // would-be
  add({"/*"});
  EXPECT_EQ(children("/*"), (Texts{"/maven/com.a~", "/npm/*", "/pypi//*"}));
}

// For patterns not in the index, parent_of/children_of preview where the group would sit.
TEST_F(PackageGroupIndexTest, PreviewOfAGroupNotYetCreated) {
  add({"/*", "/npm/*", "/npm/space/ui-core$", "/npm/space/ui-kit$", "/npm/space/x$"});
  EXPECT_EQ(parent("/npm/space/ui~"), "/npm/*");
  EXPECT_EQ(children("/npm/space/ui~"), (Texts{"/npm/space/ui-core$", "/npm/space/ui-kit$"}));
  EXPECT_EQ(index_.size(), 5u);
  // An exact pattern's parent can be a name prefix equal to its name.
  add({"/npm/space/ui-core~"});
  EXPECT_EQ(parent("/npm/space/ui-core$"), "/npm/space/ui-core~");
  EXPECT_EQ(children("/npm/space/ui-core~"), (Texts{"/npm/space/ui-core$"}));
}

// Randomized check against brute force: after every add/remove, most_specific equals the most
// specific matching group, parent_of equals the most specific other covering group, and the
// maintained children equal the groups whose brute-force parent is that group.
TEST_F(PackageGroupIndexTest, AgreesWithBruteForce) {
  std::vector<std::string> universe = {"/*",      "/npm/*",    "/maven/*",
                                       "/npm//*", "/maven/a~", "/maven/ab~"};
  for (const char* f : {"npm", "maven"}) {
    for (const char* ns : {"a", "ab", "abc", "b"}) {
      std::string base = std::string("/") + f + "/" + ns;
      universe.push_back(base + "~");
      universe.push_back(base + "/*");
      for (const char* n : {"x", "xy", "xyz", "y"}) {
        universe.push_back(base + "/" + n + "~");
        universe.push_back(base + "/" + n + "$");
      }
    }
  }
  for (const char* n : {"x", "xy", "y"}) {
    universe.push_back(std::string("/npm//") + n + "~");
    universe.push_back(std::string("/npm//") + n + "$");
  }
  std::vector<store::PackageKey> keys;
  for (const char* f : {"npm", "maven", "pypi"})
    for (const char* ns : {"", "a", "ab", "abc", "abcd", "b", "c"})
      for (const char* n : {"x", "xy", "xyz", "xyzw", "y", "z"}) keys.push_back({f, ns, n});

  std::mt19937 rng(7);
  std::map<std::string, Pattern> present;
  // The most specific other group covering each present group.
  auto brute_parents = [&]() {
    std::map<std::string, std::string> parents;
    for (const auto& [pt, p] : present) {
      const Pattern* best = nullptr;
      for (const auto& [qt, q] : present)
        if (qt != pt && covers(q, p) && (!best || more_specific(q, *best))) best = &q;
      parents[pt] = best ? best->text() : "";
    }
    return parents;
  };
  for (int step = 0; step < 400; ++step) {
    const std::string& t = universe[rng() % universe.size()];
    if (present.count(t)) {
      ASSERT_TRUE(index_.remove(t));
      present.erase(t);
    } else {
      ASSERT_TRUE(index_.add(must_parse(t), t));
      present.emplace(t, must_parse(t));
    }
    ASSERT_EQ(index_.size(), present.size());
    for (const auto& k : keys) {
      const Pattern* best = nullptr;
      for (const auto& [pt, q] : present)
        if (matches(q, k) && (!best || more_specific(q, *best))) best = &q;
      const IndexedGroup* got = index_.most_specific(k);
      ASSERT_EQ(got ? got->text : "", best ? best->text() : "")
          << "step " << step << " key " << k.format << "/" << k.namespace_ << "/" << k.name;
    }
    auto parents = brute_parents();
    for (const auto& [pt, p] : present) {
      ASSERT_EQ(parent(pt), parents[pt]) << "step " << step << " parent of " << pt;
      Texts want_children;
      for (const auto& [ct, cp] : parents)
        if (cp == pt) want_children.push_back(ct);
      ASSERT_EQ(children(pt), want_children) << "step " << step << " children of " << pt;
    }
  }
}

}  // namespace
}  // namespace arca::core::package_groups
