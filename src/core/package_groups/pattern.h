#pragma once
// Package-group patterns (reference §6.3, §6.4): parsing and validation, matching a package,
// covering another pattern, and the specificity order that picks a package's group.
//
// Pure functions over values; no state, safe to call from any thread.
#include <compare>
#include <cstdint>
#include <string>
#include <string_view>

#include "store/package_types.h"
#include "util/error.h"

namespace arca::core::package_groups {

// The six legal shapes, declared most specific first (the order of §6.4).
enum class PatternKind : uint8_t {
  kExact,            // /{format}/{namespace}/{name}$
  kNamePrefix,       // /{format}/{namespace}/{name-prefix}~
  kNamespace,        // /{format}/{namespace}/*
  kNamespacePrefix,  // /{format}/{namespace-prefix}~
  kFormat,           // /{format}/*
  kRoot,             // /*
};

// A parsed pattern. Get valid ones from parse_pattern(); the fields then hold:
//   format      empty for kRoot, else one of npm pypi maven nuget generic ruby swift cargo;
//   namespace_  kNamespacePrefix: the (non-empty) prefix; kNamespace, kNamePrefix, kExact: the
//               namespace, empty for "no namespace"; empty otherwise;
//   name        kNamePrefix: the (non-empty) prefix; kExact: the name; empty otherwise.
// Namespaces and names are as stored (normalized, npm scope without '@').
struct Pattern {
  PatternKind kind = PatternKind::kRoot;
  std::string format;
  std::string namespace_;
  std::string name;

  // The canonical pattern string; parse_pattern(p.text()) == p for every parsed p.
  std::string text() const;

  friend bool operator==(const Pattern&, const Pattern&) = default;
};

// Parses and validates `text` (§1.5: 2–520 characters, no control characters or whitespace;
// §6.3: one of the six shapes, namespace rules per format, normalized names). Only canonical
// text is accepted: '*' only as the whole last component, '~' and '$' only as the last character.
// Errors: kInvalidArgument, message "Invalid package group pattern '<text>': <what is wrong>".
Result<Pattern> parse_pattern(std::string_view text);

// True when the package `key` (normalized; namespace_ empty when none) matches `pattern`.
// Prefixes are plain string prefixes: '/maven/com.anycompany~' matches 'com.anycompany',
// 'com.anycompany.web' and 'com.anycompanyx'.
bool matches(const Pattern& pattern, const store::PackageKey& key);

// True when every package `child` matches also matches `parent` (reflexive: covers(p, p)).
// Covering is a tree order: all patterns covering a given pattern are totally ordered by it.
bool covers(const Pattern& parent, const Pattern& child);

// The §6.4 specificity order, total over valid patterns: `less` means more specific. By kind
// (exact, name prefix, namespace, namespace prefix, format, root); among prefixes of one kind the
// longer prefix first; remaining ties broken by format, namespace and name (bytewise). Consistent
// with covers(): a pattern is strictly more specific than every other pattern covering it.
std::strong_ordering compare_specificity(const Pattern& a, const Pattern& b);

// Comparator for sorting most specific first.
inline bool more_specific(const Pattern& a, const Pattern& b) {
  return compare_specificity(a, b) < 0;
}

}  // namespace arca::core::package_groups
