// Package-group association cost: GroupIndex::most_specific() over one domain with 10,000 groups
// of mixed kinds. It runs for every publish and every upstream fetch (origin controls), so it must
// not scan the groups. Target: <= 10 us per lookup; a linear scan is measured for comparison.
#include <benchmark/benchmark.h>

#include <cstdlib>
#include <string>
#include <vector>

#include "core/package_groups/group_index.h"

namespace arca::core::package_groups {
namespace {

constexpr size_t kGroups = 10000;

// Word-like names of 3..14 characters, so name and namespace prefixes of many lengths coexist.
std::string word(size_t i) {
  static const char* kStems[] = {"ui", "core", "react", "data", "net", "cli", "aws", "util"};
  std::string w = kStems[i % 8];
  w += "-";
  w += std::to_string(i * 7919 % 100000).substr(0, 1 + i % 6);
  return w;
}

struct Domain {
  GroupIndex index;
  std::vector<Pattern> patterns;  // for the linear-scan baseline
  std::vector<store::PackageKey> exact_hits, name_prefix_hits, namespace_hits,
      namespace_prefix_hits, misses, deep_misses;

  void add(const std::string& text) {
    if (index.size() >= kGroups) return;
    auto p = parse_pattern(text);
    if (!p) std::abort();
    if (index.add(*p, text)) patterns.push_back(*p);
  }

  Domain() {
    add("/*");
    for (const char* f : {"npm", "pypi", "maven", "nuget", "generic", "ruby", "swift", "cargo"})
      add(std::string("/") + f + "/*");
    for (size_t i = 0; index.size() < kGroups; ++i) {
      std::string scope = "scope" + std::to_string(i % 400);
      std::string group_id = "com.company" + std::to_string(i % 300);
      add("/npm/" + scope + "/*");
      add("/npm/" + scope + "/" + word(i) + "$");
      add("/npm/" + scope + "/" + word(i + 1) + "~");
      add("/npm//" + word(i) + "x$");
      add("/npm//" + word(i + 3) + "~");
      add("/npm/" + scope.substr(0, 5 + i % 4) + "~");
      add("/maven/" + group_id + "~");
      add("/maven/" + group_id + ".svc" + std::to_string(i % 7) + "/*");
      add("/maven/" + group_id + ".svc" + std::to_string(i % 7) + "/" + word(i) + "$");
      add("/pypi//" + word(i) + "$");
      add("/pypi//" + word(i + 5) + "~");
      if (i < 1024) {
        exact_hits.push_back({"npm", scope, word(i)});
        name_prefix_hits.push_back({"npm", scope, word(i + 1) + "-extra-long-suffix"});
        namespace_hits.push_back({"maven", group_id + ".svc" + std::to_string(i % 7), "nothing"});
        namespace_prefix_hits.push_back({"maven", group_id + ".web", "api"});
        misses.push_back({"cargo", "", "serde" + std::to_string(i)});
        deep_misses.push_back({"npm", "", "zz-" + word(i) + "-no-group-has-this-prefix"});
      }
    }
  }
};

const Domain& domain() {
  static const Domain d;
  return d;
}

// Times most_specific() over `keys`, after checking each resolves to a group of kind `want`.
void run(benchmark::State& state, const std::vector<store::PackageKey>& keys, PatternKind want) {
  const GroupIndex& index = domain().index;
  for (const auto& key : keys) {
    const IndexedGroup* g = index.most_specific(key);
    if (!g || g->pattern.kind != want) return state.SkipWithError("unexpected group");
  }
  size_t i = 0;
  for (auto _ : state) {
    const IndexedGroup* g = index.most_specific(keys[i++ & 1023]);
    benchmark::DoNotOptimize(g);
  }
  state.SetItemsProcessed(state.iterations());
  state.counters["groups"] = static_cast<double>(index.size());
}

void BM_MostSpecific_Exact(benchmark::State& s) {
  run(s, domain().exact_hits, PatternKind::kExact);
}
void BM_MostSpecific_NamePrefix(benchmark::State& s) {
  run(s, domain().name_prefix_hits, PatternKind::kNamePrefix);
}
void BM_MostSpecific_Namespace(benchmark::State& s) {
  run(s, domain().namespace_hits, PatternKind::kNamespace);
}
void BM_MostSpecific_NamespacePrefix(benchmark::State& s) {
  run(s, domain().namespace_prefix_hits, PatternKind::kNamespacePrefix);
}
// No group below the format matches: falls through every slot to /cargo/*.
void BM_MostSpecific_NoSpecificGroup(benchmark::State& s) {
  run(s, domain().misses, PatternKind::kFormat);
}
// Unscoped npm name no prefix matches: probes every stored prefix length, then falls to /npm/*.
void BM_MostSpecific_NoMatchAfterPrefixProbes(benchmark::State& s) {
  run(s, domain().deep_misses, PatternKind::kFormat);
}
BENCHMARK(BM_MostSpecific_Exact);
BENCHMARK(BM_MostSpecific_NamePrefix);
BENCHMARK(BM_MostSpecific_Namespace);
BENCHMARK(BM_MostSpecific_NamespacePrefix);
BENCHMARK(BM_MostSpecific_NoSpecificGroup);
BENCHMARK(BM_MostSpecific_NoMatchAfterPrefixProbes);

// Baseline: what a scan of all groups costs.
void BM_LinearScan_NamePrefix(benchmark::State& state) {
  const auto& d = domain();
  size_t i = 0;
  for (auto _ : state) {
    const auto& key = d.name_prefix_hits[i++ & 1023];
    const Pattern* best = nullptr;
    for (const auto& p : d.patterns)
      if (matches(p, key) && (!best || more_specific(p, *best))) best = &p;
    benchmark::DoNotOptimize(best);
  }
  state.SetItemsProcessed(state.iterations());
}
BENCHMARK(BM_LinearScan_NamePrefix);

// Building the index from 10,000 parsed patterns (what a node does when it loads a domain).
void BM_Build10k(benchmark::State& state) {
  const auto& d = domain();
  for (auto _ : state) {
    GroupIndex index;
    for (const auto& p : d.patterns)
      if (!index.add(p, "id")) state.SkipWithError("duplicate");
    benchmark::DoNotOptimize(index.size());
  }
}
BENCHMARK(BM_Build10k)->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace arca::core::package_groups
