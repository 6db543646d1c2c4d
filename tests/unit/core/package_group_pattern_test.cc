#include <gtest/gtest.h>

#include <algorithm>
#include <random>
#include <string>
#include <vector>

#include "core/package_groups/pattern.h"

namespace arca::core::package_groups {
namespace {

Pattern must_parse(std::string_view text) {
  auto p = parse_pattern(text);
  EXPECT_TRUE(p) << text << ": " << (p ? "" : p.error().message);
  return p ? *p : Pattern{};
}

// ---- Valid patterns: every shape of §6.3, for every format ----

struct ValidCase {
  std::string text;
  PatternKind kind;
  std::string format, namespace_, name;
};

class PackageGroupValidPatternTest : public ::testing::TestWithParam<ValidCase> {};

TEST_P(PackageGroupValidPatternTest, ParsesAndRoundTrips) {
  const ValidCase& c = GetParam();
  auto p = parse_pattern(c.text);
  ASSERT_TRUE(p) << c.text << ": " << p.error().message;
  EXPECT_EQ(p->kind, c.kind);
  EXPECT_EQ(p->format, c.format);
  EXPECT_EQ(p->namespace_, c.namespace_);
  EXPECT_EQ(p->name, c.name);
  EXPECT_EQ(p->text(), c.text);
  EXPECT_TRUE(covers(*p, *p));
}

using K = PatternKind;
const std::string kLongNs(255, 'n');
const std::string kLongName(250, 'm');

INSTANTIATE_TEST_SUITE_P(
    Shapes, PackageGroupValidPatternTest,
    ::testing::Values(
        // The six shapes, as the guide writes them.
        ValidCase{"/*", K::kRoot, "", "", ""}, ValidCase{"/npm/*", K::kFormat, "npm", "", ""},
        ValidCase{"/maven/com.anycompany~", K::kNamespacePrefix, "maven", "com.anycompany", ""},
        ValidCase{"/npm/space/*", K::kNamespace, "npm", "space", ""},
        ValidCase{"/npm/space/anycompany-ui~", K::kNamePrefix, "npm", "space", "anycompany-ui"},
        ValidCase{"/maven/org.apache.logging.log4j/log4j-core$", K::kExact, "maven",
                  "org.apache.logging.log4j", "log4j-core"},
        // Every format at the format level.
        ValidCase{"/pypi/*", K::kFormat, "pypi", "", ""},
        ValidCase{"/maven/*", K::kFormat, "maven", "", ""},
        ValidCase{"/nuget/*", K::kFormat, "nuget", "", ""},
        ValidCase{"/generic/*", K::kFormat, "generic", "", ""},
        ValidCase{"/ruby/*", K::kFormat, "ruby", "", ""},
        ValidCase{"/swift/*", K::kFormat, "swift", "", ""},
        ValidCase{"/cargo/*", K::kFormat, "cargo", "", ""},
        // Formats without namespaces, and unscoped npm: an empty namespace segment.
        ValidCase{"/pypi//requests$", K::kExact, "pypi", "", "requests"},
        ValidCase{"/pypi//pigeon-cli$", K::kExact, "pypi", "", "pigeon-cli"},
        ValidCase{"/pypi//django-~", K::kNamePrefix, "pypi", "", "django-"},
        ValidCase{"/pypi//*", K::kNamespace, "pypi", "", ""},
        ValidCase{"/nuget//newtonsoft~", K::kNamePrefix, "nuget", "", "newtonsoft"},
        ValidCase{"/nuget//newtonsoft.json$", K::kExact, "nuget", "", "newtonsoft.json"},
        ValidCase{"/ruby//rails$", K::kExact, "ruby", "", "rails"},
        ValidCase{"/ruby//Rails~", K::kNamePrefix, "ruby", "", "Rails"},  // not normalized
        ValidCase{"/cargo//serde$", K::kExact, "cargo", "", "serde"},
        ValidCase{"/cargo//serde_~", K::kNamePrefix, "cargo", "", "serde_"},
        ValidCase{"/npm//react$", K::kExact, "npm", "", "react"},
        ValidCase{"/npm//React$", K::kExact, "npm", "", "React"},  // npm is not normalized
        ValidCase{"/npm//react~", K::kNamePrefix, "npm", "", "react"},
        ValidCase{"/npm//*", K::kNamespace, "npm", "", ""},
        // Scoped npm: the scope without '@'.
        ValidCase{"/npm/types/node$", K::kExact, "npm", "types", "node"},
        ValidCase{"/npm/ty~", K::kNamespacePrefix, "npm", "ty", ""},
        // Formats with mandatory namespaces.
        ValidCase{"/maven/com.example/My-Artifact$", K::kExact, "maven", "com.example",
                  "My-Artifact"},
        ValidCase{"/maven/org.apache.logging.log4j/*", K::kNamespace, "maven",
                  "org.apache.logging.log4j", ""},
        ValidCase{"/generic/my-ns/my-file$", K::kExact, "generic", "my-ns", "my-file"},
        ValidCase{"/generic/My~", K::kNamespacePrefix, "generic", "My", ""},
        ValidCase{"/swift/apple/swift-argument-parser$", K::kExact, "swift", "apple",
                  "swift-argument-parser"},
        ValidCase{"/swift/app~", K::kNamespacePrefix, "swift", "app", ""},
        ValidCase{"/swift/apple/*", K::kNamespace, "swift", "apple", ""},
        // Non-ASCII letters are fine; limits are on characters, not bytes.
        ValidCase{"/generic/ns/naïve$", K::kExact, "generic", "ns", "naïve"},
        ValidCase{"/generic/" + kLongNs + "/" + kLongName + "$", K::kExact, "generic", kLongNs,
                  kLongName},
        ValidCase{"/generic/ns/" + std::string(255, 'x') + "~", K::kNamePrefix, "generic", "ns",
                  std::string(255, 'x')}));

// ---- Invalid patterns: each message names the problem ----

struct InvalidCase {
  std::string text;
  std::string problem;  // expected in the message
};

class PackageGroupInvalidPatternTest : public ::testing::TestWithParam<InvalidCase> {};

TEST_P(PackageGroupInvalidPatternTest, IsRejectedWithAReason) {
  const InvalidCase& c = GetParam();
  auto p = parse_pattern(c.text);
  ASSERT_FALSE(p) << c.text << " parsed as " << p->text();
  EXPECT_EQ(p.error().code, Code::kInvalidArgument);
  const std::string& msg = p.error().message;
  EXPECT_EQ(msg.rfind("Invalid package group pattern '", 0), 0u) << msg;
  EXPECT_NE(msg.find(c.problem), std::string::npos) << "message: " << msg;
}

INSTANTIATE_TEST_SUITE_P(
    Syntax, PackageGroupInvalidPatternTest,
    ::testing::Values(
        InvalidCase{"", "between 2 and 520 characters long, not 0"},
        InvalidCase{"/", "between 2 and 520 characters long, not 1"},
        InvalidCase{"/generic/" + kLongNs + "/" + std::string(255, 'm') + "$",
                    "between 2 and 520 characters long, not 521"},
        InvalidCase{"npm/*", "must start with '/'"}, InvalidCase{"**", "must start with '/'"},
        InvalidCase{"/npm/*/x", "'*' must be the last component"},
        InvalidCase{"/npm/*/x",
                    "Invalid package group pattern '/npm/*/x': '*' must be the last component"},
        InvalidCase{"/*/*", "'*' must be the last component"},
        InvalidCase{"/npm/foo*", "'*' must be a whole component"},
        InvalidCase{"/npm/sp*ce/*", "'*' must be a whole component"},
        InvalidCase{"/npm/**", "'*' must be a whole component"},
        InvalidCase{"/npm", "must end with '/*', '~' or '$'"},
        InvalidCase{"/npm/", "must end with '/*', '~' or '$'"},
        InvalidCase{"/npm/space/react", "must end with '/*', '~' or '$'"},
        InvalidCase{"/npm/space/", "must end with '/*', '~' or '$'"},
        InvalidCase{"/npm/a~b/*", "'~' may only end the pattern"},
        InvalidCase{"/npm/a~/b$", "'~' may only end the pattern"},
        InvalidCase{"/npm/space/re~act~", "'~' may only end the pattern"},
        InvalidCase{"/npm/a$/b$", "'$' may only end the pattern"},
        InvalidCase{"/npm/space/a$~", "'$' may only end the pattern"},
        InvalidCase{"/npm~", "'~' must follow a namespace or a name, not a format"},
        InvalidCase{"/npm$", "'$' must follow a namespace or a name, not a format"},
        InvalidCase{"/npm/react$", "a name needs a namespace segment"},
        InvalidCase{"/npm/space/name/extra$", "too many components"},
        InvalidCase{"/npm/space/name/*", "too many components"},
        InvalidCase{"//*", "the format component is empty"},
        InvalidCase{"//react$", "the format component is empty"},
        InvalidCase{"/NPM/*", "unknown package format 'NPM'"},
        InvalidCase{"/python//requests$", "unknown package format 'python'"},
        InvalidCase{"/docker/*", "expected one of npm, pypi, maven"},
        InvalidCase{"/npm/~", "'~' needs a namespace prefix"},
        InvalidCase{"/npm/space/~", "'~' needs a name prefix"},
        InvalidCase{"/npm//~", "'~' needs a name prefix"},
        InvalidCase{"/npm/space/$", "'$' needs a name"}));

INSTANTIATE_TEST_SUITE_P(
    Characters, PackageGroupInvalidPatternTest,
    ::testing::Values(InvalidCase{"/npm/space/a b$", "must not contain whitespace (U+0020)"},
                      InvalidCase{"/npm/space/a\tb$", "must not contain whitespace (U+0009)"},
                      InvalidCase{"/npm//a\u00a0b$", "whitespace (U+00A0)"},
                      InvalidCase{"/npm//a\302\205b$", "whitespace (U+0085)"},
                      InvalidCase{"/npm//a\u3000b$", "whitespace (U+3000)"},
                      InvalidCase{"/npm//a\001b$", "control or format characters (U+0001)"},
                      InvalidCase{"/npm//a\177b$", "control or format characters (U+007F)"},
                      InvalidCase{"/npm//a\u200bb$", "format characters (U+200B)"},
                      InvalidCase{"/npm//a\ufeffb$", "format characters (U+FEFF)"},
                      InvalidCase{"/npm//a\ue000b$", "format characters (U+E000)"},
                      InvalidCase{"/npm//\xff$", "not valid UTF-8"},
                      InvalidCase{"/npm//\xc3$", "not valid UTF-8"},
                      InvalidCase{"/npm//\xc0\xaf$", "not valid UTF-8"},      // overlong '/'
                      InvalidCase{"/npm//\xed\xa0\x80$", "not valid UTF-8"},  // surrogate
                      InvalidCase{"/npm//a#b$", "the name 'a#b' must not contain '#'"},
                      InvalidCase{"/maven/a#b/*", "the namespace 'a#b' must not contain '#'"},
                      InvalidCase{"/maven/a#~", "namespace prefix 'a#' must not contain '#'"},
                      InvalidCase{"/generic/" + std::string(256, 'n') + "/*",
                                  "the namespace must be at most 255 characters long"},
                      InvalidCase{"/generic/ns/" + std::string(256, 'm') + "$",
                                  "the name must be at most 255 characters long"}));

INSTANTIATE_TEST_SUITE_P(
    Namespaces, PackageGroupInvalidPatternTest,
    ::testing::Values(
        InvalidCase{"/pypi/foo/requests$", "pypi packages have no namespace"},
        InvalidCase{"/pypi/foo/requests$", "as in '/pypi//name$'"},
        InvalidCase{"/pypi/foo~", "pypi packages have no namespace"},
        InvalidCase{"/pypi/foo/*", "pypi packages have no namespace"},
        InvalidCase{"/nuget/ns/*", "nuget packages have no namespace"},
        InvalidCase{"/nuget/ns/newtonsoft~", "nuget packages have no namespace"},
        InvalidCase{"/ruby/x/rails$", "ruby packages have no namespace"},
        InvalidCase{"/cargo/x/serde~", "cargo packages have no namespace"},
        InvalidCase{"/maven//log4j-core$", "maven packages always have a namespace"},
        InvalidCase{"/maven//log4j~", "maven packages always have a namespace"},
        InvalidCase{"/maven//*", "maven packages always have a namespace"},
        InvalidCase{"/generic//file~", "generic packages always have a namespace"},
        InvalidCase{"/swift//pkg$", "swift packages always have a namespace"},
        InvalidCase{"/npm/@types/*", "npm scopes are written without '@' ('types', not '@types')"},
        InvalidCase{"/npm/@types/node$", "without '@'"}, InvalidCase{"/npm/@ty~", "without '@'"},
        InvalidCase{"/swift/Apple/*",
                    "swift namespaces must be written normalized (lowercase): "
                    "'apple', not 'Apple'"},
        InvalidCase{"/swift/Ap~", "swift namespaces must be written normalized"},
        InvalidCase{"/swift/Apple/parser$", "swift namespaces must be written normalized"}));

INSTANTIATE_TEST_SUITE_P(
    Normalization, PackageGroupInvalidPatternTest,
    ::testing::Values(
        InvalidCase{"/pypi//Requests$",
                    "pypi package names must be written normalized (PEP 503): 'requests', not "
                    "'Requests'"},
        InvalidCase{"/pypi//pigeon_cli$", "'pigeon-cli', not 'pigeon_cli'"},
        InvalidCase{"/pypi//pigeon.cli~", "'pigeon-cli', not 'pigeon.cli'"},
        InvalidCase{"/pypi//foo--bar$", "'foo-bar', not 'foo--bar'"},
        InvalidCase{"/pypi//Django~", "'django', not 'Django'"},
        InvalidCase{"/nuget//Newtonsoft.Json$",
                    "nuget package names must be written normalized (lowercase): "
                    "'newtonsoft.json', not 'Newtonsoft.Json'"},
        InvalidCase{"/nuget//Newton~", "'newton', not 'Newton'"},
        InvalidCase{"/swift/apple/ArgumentParser$",
                    "swift package names must be written normalized (lowercase)"},
        InvalidCase{"/swift/apple/Arg~", "'arg', not 'Arg'"}));

// ---- Matching ----

struct MatchCase {
  std::string pattern;
  store::PackageKey key;
  bool expected;
};

class PackageGroupMatchTest : public ::testing::TestWithParam<MatchCase> {};

TEST_P(PackageGroupMatchTest, Matches) {
  const MatchCase& c = GetParam();
  Pattern p = must_parse(c.pattern);
  EXPECT_EQ(matches(p, c.key), c.expected)
      << c.pattern << " vs " << c.key.format << "/" << c.key.namespace_ << "/" << c.key.name;
}

INSTANTIATE_TEST_SUITE_P(
    Table, PackageGroupMatchTest,
    ::testing::Values(
        MatchCase{"/*", {"npm", "", "react"}, true},
        MatchCase{"/*", {"maven", "org.example", "x"}, true},
        MatchCase{"/npm/*", {"npm", "", "react"}, true},
        MatchCase{"/npm/*", {"npm", "space", "x"}, true},
        MatchCase{"/npm/*", {"pypi", "", "react"}, false},
        // Unscoped npm: the empty namespace.
        MatchCase{"/npm//*", {"npm", "", "react"}, true},
        MatchCase{"/npm//*", {"npm", "space", "react"}, false},
        MatchCase{"/npm//react$", {"npm", "", "react"}, true},
        MatchCase{"/npm//react$", {"npm", "", "react-dom"}, false},
        MatchCase{"/npm//react$", {"npm", "react", "react"}, false},
        MatchCase{"/npm//react$", {"npm", "space", "react"}, false},
        MatchCase{"/npm//react~", {"npm", "", "react-dom"}, true},
        MatchCase{"/npm//react~", {"npm", "react", "x"}, false},
        // Scoped npm: @types/node is namespace "types".
        MatchCase{"/npm/types/node$", {"npm", "types", "node"}, true},
        MatchCase{"/npm/types/node$", {"npm", "", "node"}, false},
        MatchCase{"/npm/types/*", {"npm", "types", "react"}, true},
        MatchCase{"/npm/types/*", {"npm", "typesx", "react"}, false},
        MatchCase{"/npm/ty~", {"npm", "types", "node"}, true},
        MatchCase{"/npm/ty~", {"npm", "ty", "node"}, true},
        MatchCase{"/npm/ty~", {"npm", "", "types"}, false},
        MatchCase{"/npm/ty~", {"npm", "t", "node"}, false},
        // Namespace vs. name prefix boundaries.
        MatchCase{"/npm/space/*", {"npm", "space", "amplify-ui-core"}, true},
        MatchCase{"/npm/space/*", {"npm", "spac", "amplify-ui-core"}, false},
        MatchCase{"/npm/space/*", {"npm", "spaces", "amplify-ui-core"}, false},
        MatchCase{"/npm/space/*", {"npm", "", "space"}, false},
        MatchCase{"/npm/space/anycompany-ui~", {"npm", "space", "anycompany-ui"}, true},
        MatchCase{"/npm/space/anycompany-ui~", {"npm", "space", "anycompany-ui-core"}, true},
        MatchCase{"/npm/space/anycompany-ui~", {"npm", "space", "anycompany-uix"}, true},
        MatchCase{"/npm/space/anycompany-ui~", {"npm", "space", "anycompany-u"}, false},
        MatchCase{"/npm/space/anycompany-ui~", {"npm", "space", "anycompany"}, false},
        MatchCase{"/npm/space/anycompany-ui~", {"npm", "other", "anycompany-ui-core"}, false},
        MatchCase{"/npm/space/anycompany-ui~", {"npm", "", "anycompany-ui"}, false},
        MatchCase{"/npm/space/anycompany-ui~", {"npm", "spaces", "anycompany-ui"}, false},
        // Maven namespaces with dots: plain string prefixes, no dot boundary.
        MatchCase{"/maven/com.anycompany~", {"maven", "com.anycompany", "web"}, true},
        MatchCase{"/maven/com.anycompany~", {"maven", "com.anycompany.web", "core"}, true},
        MatchCase{"/maven/com.anycompany~", {"maven", "com.anycompanyx", "core"}, true},
        MatchCase{"/maven/com.anycompany~", {"maven", "com.any", "core"}, false},
        MatchCase{"/maven/com.anycompany~", {"maven", "org.anycompany", "core"}, false},
        MatchCase{"/maven/com.anycompany~", {"npm", "com.anycompany", "core"}, false},
        MatchCase{"/maven/org.apache.logging.log4j/log4j-core$",
                  {"maven", "org.apache.logging.log4j", "log4j-core"},
                  true},
        MatchCase{"/maven/org.apache.logging.log4j/log4j-core$",
                  {"maven", "org.apache.logging", "log4j-core"},
                  false},
        MatchCase{"/maven/org.apache.logging.log4j/log4j-core$",
                  {"maven", "org.apache.logging.log4j", "log4j-core2"},
                  false},
        MatchCase{"/maven/org.apache.logging.log4j/*",
                  {"maven", "org.apache.logging.log4j", "log4j-api"},
                  true},
        MatchCase{"/maven/org.apache.logging.log4j/*",
                  {"maven", "org.apache.logging.log4j.core", "x"},
                  false},
        // Namespace-less formats.
        MatchCase{"/pypi//requests$", {"pypi", "", "requests"}, true},
        MatchCase{"/pypi//requests$", {"pypi", "", "requests-oauthlib"}, false},
        MatchCase{"/pypi//requests~", {"pypi", "", "requests-oauthlib"}, true},
        MatchCase{"/pypi//*", {"pypi", "", "anything"}, true},
        MatchCase{"/nuget//newtonsoft~", {"nuget", "", "newtonsoft.json"}, true},
        MatchCase{"/nuget//newtonsoft~", {"npm", "", "newtonsoft.json"}, false},
        MatchCase{"/cargo//serde$", {"cargo", "", "serde"}, true},
        MatchCase{"/swift/apple/*", {"swift", "apple", "swift-nio"}, true}));

// ---- Covering ----

struct CoverCase {
  std::string parent, child;
  bool expected;
};

class PackageGroupCoversTest : public ::testing::TestWithParam<CoverCase> {};

TEST_P(PackageGroupCoversTest, Covers) {
  const CoverCase& c = GetParam();
  EXPECT_EQ(covers(must_parse(c.parent), must_parse(c.child)), c.expected)
      << c.parent << " covers " << c.child;
}

INSTANTIATE_TEST_SUITE_P(
    Table, PackageGroupCoversTest,
    ::testing::Values(
        CoverCase{"/*", "/*", true}, CoverCase{"/*", "/npm/*", true},
        CoverCase{"/*", "/pypi//requests$", true}, CoverCase{"/npm/*", "/*", false},
        CoverCase{"/npm/*", "/npm/*", true}, CoverCase{"/npm/*", "/npm/sp~", true},
        CoverCase{"/npm/*", "/npm/space/*", true}, CoverCase{"/npm/*", "/npm//react$", true},
        CoverCase{"/npm/*", "/pypi/*", false}, CoverCase{"/npm/*", "/pypi//requests$", false},
        CoverCase{"/npm/sp~", "/npm/sp~", true}, CoverCase{"/npm/sp~", "/npm/space~", true},
        CoverCase{"/npm/sp~", "/npm/space/*", true}, CoverCase{"/npm/sp~", "/npm/space/x~", true},
        CoverCase{"/npm/sp~", "/npm/space/x$", true}, CoverCase{"/npm/sp~", "/npm/s~", false},
        CoverCase{"/npm/sp~", "/npm/*", false}, CoverCase{"/npm/sp~", "/npm//sp$", false},
        CoverCase{"/npm/sp~", "/npm/other/*", false},
        CoverCase{"/maven/com.a~", "/maven/com.a.b/x$", true},
        CoverCase{"/maven/com.a~", "/npm/com.a/*", false},
        CoverCase{"/npm/space/*", "/npm/space/x~", true},
        CoverCase{"/npm/space/*", "/npm/space/x$", true},
        CoverCase{"/npm/space/*", "/npm/space~", false},
        CoverCase{"/npm/space/*", "/npm/spacex/*", false},
        CoverCase{"/npm/space/*", "/npm/spacex/a$", false},
        CoverCase{"/npm//*", "/npm//react$", true}, CoverCase{"/npm//*", "/npm/x/react$", false},
        CoverCase{"/npm/space/ab~", "/npm/space/abc~", true},
        CoverCase{"/npm/space/ab~", "/npm/space/ab$", true},
        CoverCase{"/npm/space/ab~", "/npm/space/abc$", true},
        CoverCase{"/npm/space/ab~", "/npm/space/a~", false},
        CoverCase{"/npm/space/ab~", "/npm/space/a$", false},
        CoverCase{"/npm/space/ab~", "/npm/space/*", false},
        CoverCase{"/npm/space/ab~", "/npm/other/abc$", false},
        CoverCase{"/npm/space/ab$", "/npm/space/ab$", true},
        CoverCase{"/npm/space/ab$", "/npm/space/abc$", false},
        CoverCase{"/npm/space/ab$", "/npm/space/ab~", false}));

// ---- Specificity ----

TEST(PackageGroupSpecificity, SortsMostSpecificFirst) {
  const std::vector<std::string> expected = {
      "/npm/space/anycompany-ui-core$",  // exact
      "/npm/space/anycompany-ui~",       // longer name prefix
      "/npm/space/any~",                 // shorter name prefix
      "/npm/space/*",                    // namespace
      "/npm/spa~",                       // longer namespace prefix
      "/npm/s~",                         // shorter namespace prefix
      "/npm/*",                          // format
      "/*",                              // root
  };
  std::vector<Pattern> patterns;
  for (const auto& t : expected) patterns.push_back(must_parse(t));
  std::mt19937 rng(42);
  for (int round = 0; round < 20; ++round) {
    std::shuffle(patterns.begin(), patterns.end(), rng);
    std::sort(patterns.begin(), patterns.end(), more_specific);
    std::vector<std::string> got;
    for (const auto& p : patterns) got.push_back(p.text());
    ASSERT_EQ(got, expected);
  }
}

TEST(PackageGroupSpecificity, KindOutranksLengthAndFormat) {
  // A short exact pattern beats a long name prefix; any name prefix beats a namespace.
  EXPECT_TRUE(more_specific(must_parse("/npm//a$"), must_parse("/npm//abcdefghij~")));
  EXPECT_TRUE(more_specific(must_parse("/npm//a~"), must_parse("/npm/abcdefghij/*")));
  EXPECT_TRUE(more_specific(must_parse("/npm/a/*"), must_parse("/npm/abcdefghij~")));
  EXPECT_TRUE(more_specific(must_parse("/npm/a~"), must_parse("/maven/*")));
  EXPECT_TRUE(more_specific(must_parse("/pypi/*"), must_parse("/*")));
  EXPECT_FALSE(more_specific(must_parse("/*"), must_parse("/*")));
}

// The order is total (exactly one of a<b, b<a for distinct patterns, transitive) and agrees with
// covering: a pattern is strictly more specific than every other pattern covering it.
TEST(PackageGroupSpecificity, TotalAndConsistentWithCovers) {
  std::vector<std::string> texts = {"/*",         "/npm/*",      "/maven/*",      "/npm/a~",
                                    "/npm/ab~",   "/npm/b~",     "/maven/a~",     "/npm/a/*",
                                    "/npm/ab/*",  "/npm//*",     "/npm/a/x~",     "/npm/a/xy~",
                                    "/npm/ab/x~", "/npm//x~",    "/npm/a/x$",     "/npm/a/xy$",
                                    "/npm//x$",   "/maven/a/x$", "/maven/ab/xy~", "/pypi//*",
                                    "/pypi//x$"};
  std::vector<Pattern> ps;
  for (const auto& t : texts) ps.push_back(must_parse(t));
  for (const auto& a : ps) {
    for (const auto& b : ps) {
      auto ab = compare_specificity(a, b);
      auto ba = compare_specificity(b, a);
      if (a == b) {
        EXPECT_TRUE(ab == 0) << a.text();
        continue;
      }
      EXPECT_NE(ab == std::strong_ordering::less, ba == std::strong_ordering::less)
          << a.text() << " " << b.text();
      if (covers(a, b)) {
        EXPECT_TRUE(more_specific(b, a)) << b.text() << " under " << a.text();
      }
      for (const auto& c : ps) {
        if (more_specific(a, b) && more_specific(b, c)) {
          EXPECT_TRUE(more_specific(a, c)) << a.text() << " " << b.text() << " " << c.text();
        }
      }
    }
  }
}

// covers(a, b) means every package b matches, a matches too; checked over sample packages.
TEST(PackageGroupSpecificity, CoversImpliesMatchInclusion) {
  std::vector<std::string> texts = {"/*",         "/npm/*",     "/npm/a~",   "/npm/ab~",
                                    "/npm/a/*",   "/npm/ab/*",  "/npm//*",   "/npm/a/x~",
                                    "/npm/a/xy~", "/npm//x~",   "/npm/a/x$", "/npm/a/xy$",
                                    "/npm//x$",   "/npm/ab/x$", "/maven/a~", "/maven/a/x$"};
  std::vector<store::PackageKey> keys;
  for (const char* f : {"npm", "maven"})
    for (const char* ns : {"", "a", "ab", "abc", "b"})
      for (const char* n : {"x", "xy", "xyz", "y"}) keys.push_back({f, ns, n});
  for (const auto& ta : texts) {
    for (const auto& tb : texts) {
      Pattern a = must_parse(ta), b = must_parse(tb);
      bool included = true;
      for (const auto& k : keys) included = included && (!matches(b, k) || matches(a, k));
      if (covers(a, b)) {
        EXPECT_TRUE(included) << ta << " covers " << tb;
      }
    }
  }
}

}  // namespace
}  // namespace arca::core::package_groups
