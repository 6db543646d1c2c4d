// A pull-through packument miss of a package with thousands of versions (popular packages have
// them): the upstream document parsed into versions (parse_upstream_packument), then rendered for
// the client, full and abbreviated (render_packument). bench/upstream measures the whole miss
// over HTTP; this isolates the two CPU steps it is mostly made of. The document is shaped like a
// registry's: per version a description, five dependencies and a dist with shasum, integrity
// and tarball. Run: build/packument_bench [--benchmark_filter=...]
#include <benchmark/benchmark.h>

#include <boost/json.hpp>
#include <cstdlib>
#include <string>

#include "formats/npm/npm_upstream.h"
#include "formats/npm/packument.h"
#include "util/crypto.h"

namespace arca::formats::npm {
namespace {

namespace json = boost::json;

std::string upstream_document(int versions) {
  json::object vs, times;
  for (int i = 0; i < versions; ++i) {
    std::string v = "1." + std::to_string(i / 100) + "." + std::to_string(i % 100);
    json::object deps;
    for (int d = 0; d < 5; ++d) deps["dep-" + std::to_string(d)] = "^1." + std::to_string(d) + ".0";
    std::string digest = crypto::digest(crypto::Algo::kSha512, v);
    json::object dist{{"shasum", crypto::to_hex(crypto::digest(crypto::Algo::kSha1, v))},
                      {"integrity", "sha512-" + crypto::base64_encode(digest)},
                      {"tarball", "http://up.test/many/-/many-" + v + ".tgz"}};
    vs[v] = json::object{{"name", "many"},
                         {"version", v},
                         {"description", "a package with many versions, each described"},
                         {"dependencies", std::move(deps)},
                         {"dist", std::move(dist)}};
    times[v] = "2024-01-02T03:04:05.678Z";
  }
  json::object doc{{"name", "many"},
                   {"dist-tags", json::object{{"latest", "1.0.0"}}},
                   {"versions", std::move(vs)},
                   {"time", std::move(times)}};
  return json::serialize(doc);
}

const NpmName kName{"", "many"};

void BM_ParseUpstreamPackument(benchmark::State& state) {
  const std::string body = upstream_document(int(state.range(0)));
  for (auto _ : state) {
    auto parsed = parse_upstream_packument(body, kName, "http://up.test/");
    if (!parsed || parsed->versions.size() != size_t(state.range(0))) std::abort();
    benchmark::DoNotOptimize(parsed);
  }
  state.SetBytesProcessed(int64_t(state.iterations()) * int64_t(body.size()));
}
BENCHMARK(BM_ParseUpstreamPackument)->Arg(3000)->Unit(benchmark::kMillisecond);

void BM_RenderPackument(benchmark::State& state) {
  auto parsed =
      parse_upstream_packument(upstream_document(int(state.range(0))), kName, "http://up.test/");
  if (!parsed) std::abort();
  store::PackageSnapshot snapshot;
  snapshot.versions = parsed->versions;
  snapshot.package.dist_tags = parsed->dist_tags;
  const RenderOptions options{"http://arca.test/npm/d/x/app/", state.range(1) != 0};
  size_t bytes = 0;
  for (auto _ : state) {
    auto body = render_packument(snapshot, kName, options);
    if (!body) std::abort();
    bytes += body->size();
    benchmark::DoNotOptimize(body);
  }
  state.SetBytesProcessed(int64_t(bytes));
}
// range(1): 0 = the full document, 1 = abbreviated (what npm install asks for)
BENCHMARK(BM_RenderPackument)->Args({3000, 0})->Args({3000, 1})->Unit(benchmark::kMillisecond);

}  // namespace
}  // namespace arca::formats::npm
