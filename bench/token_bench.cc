// Authorization-token and SigV4 verification cost per request (both run on every request of
// their front door). Target: BM_TokenVerify < 5 us.
#include <benchmark/benchmark.h>

#include "../tests/unit/auth/fake_metadata_store.h"
#include "auth/key_cache.h"
#include "auth/keyring.h"
#include "auth/sigv4.h"
#include "auth/token.h"
#include "util/crypto.h"

namespace arca::auth {
namespace {

constexpr char kKeyId[] = "AKIAAAAAAAAAAAAAAAA1";
constexpr char kSecret[] = "0123456789abcdefghijABCDEFGHIJ0123456789";
constexpr int64_t kNow = 1440938160;  // 20150830T123600Z

struct Env {
  testing::FakeMetadataStore store;
  Keyring keyring = Keyring::from_key(std::string(32, 'k'));
  KeyCache cache{store, keyring};
  TokenService tokens{keyring, cache};

  Env() {
    (void)store.create_account({"123456789012", "bench", 0});
    for (int i = 0; i < 1000; ++i) {
      char id[32];
      std::snprintf(id, sizeof id, "AKIAB%015d", i);
      (void)store.create_access_key({id, "123456789012", "u", keyring.seal(kSecret), 0});
    }
    (void)store.create_access_key({kKeyId, "123456789012", "u", keyring.seal(kSecret), 0});
    (void)cache.reload();
  }
};

void BM_TokenIssue(benchmark::State& state) {
  Env env;
  Principal p{"123456789012", "u", kKeyId};
  for (auto _ : state) benchmark::DoNotOptimize(env.tokens.issue(p, "123456789012", "d", kNow));
}
BENCHMARK(BM_TokenIssue);

void BM_TokenVerify(benchmark::State& state) {
  Env env;
  std::string token =
      env.tokens.issue({"123456789012", "u", kKeyId}, "123456789012", "my-domain", kNow + 43200);
  for (auto _ : state) {
    auto claims = env.tokens.verify(token, kNow);
    if (!claims) state.SkipWithError("verify failed");
    benchmark::DoNotOptimize(claims);
  }
}
BENCHMARK(BM_TokenVerify)->ThreadRange(1, 2);

// A presigned GET replayed as the load benchmark does: the signing key comes from the cache.
void BM_SigV4VerifyPresigned(benchmark::State& state) {
  using namespace sigv4_detail;
  Env env;
  HeaderList headers{{"Host", "127.0.0.1:8080"}, {"User-Agent", "bench"}};
  std::string query =
      "domain=my-domain&X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=" + std::string(kKeyId) +
      "%2F20150830%2Fus-east-1%2Fcodeartifact%2Faws4_request&X-Amz-Date=20150830T123600Z"
      "&X-Amz-Expires=3600&X-Amz-SignedHeaders=host";
  std::string empty = crypto::sha256_hex("");
  std::string cr = canonical_request("GET", "/v1/domain", query, true, headers, "host", empty);
  std::string sig = signature_hex(
      signing_key(kSecret, "20150830", "us-east-1", "codeartifact"),
      string_to_sign("20150830T123600Z", "20150830/us-east-1/codeartifact/aws4_request", cr));
  query += "&X-Amz-Signature=" + sig;
  SignedRequest req{"GET", "/v1/domain", query, &headers, empty};
  for (auto _ : state) {
    auto p = verify_sigv4(req, env.cache, kNow);
    if (!p) state.SkipWithError(p.error().message.c_str());
    benchmark::DoNotOptimize(p);
  }
}
BENCHMARK(BM_SigV4VerifyPresigned)->ThreadRange(1, 2);

}  // namespace
}  // namespace arca::auth
