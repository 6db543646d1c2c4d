#pragma once
// Helpers shared by the auth tests: a temporary directory, a parser for the raw HTTP requests the
// SigV4 vectors are written in, and a fixture wiring a fake store, keyring and key cache.
#include <gtest/gtest.h>
#include <stdlib.h>

#include <filesystem>
#include <memory>
#include <string>
#include <string_view>

#include "auth/key_cache.h"
#include "auth/keyring.h"
#include "auth/sigv4.h"
#include "fake_metadata_store.h"
#include "util/crypto.h"

namespace arca::auth::testing {

class TempDir {
 public:
  TempDir() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "arca-auth-XXXXXX").string();
    path_ = ::mkdtemp(tmpl.data());
  }
  ~TempDir() { std::filesystem::remove_all(path_); }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

// A request as parsed from "METHOD target HTTP/1.1\nName:value\n...\n\nbody". Header
// continuation lines (obs-fold) are joined to the previous value with a space.
struct ParsedRequest {
  std::string method, path, query, body;
  HeaderList headers;

  SignedRequest signed_request() const {
    SignedRequest r;
    r.method = method;
    r.path = path;
    r.raw_query = query;
    r.headers = &headers;
    r.body_sha256 = crypto::sha256_hex(body);
    return r;
  }
};

inline ParsedRequest parse_http(std::string_view text) {
  ParsedRequest out;
  size_t head_end = text.find("\n\n");
  std::string_view head = text.substr(0, head_end);
  if (head_end != std::string_view::npos) out.body = std::string(text.substr(head_end + 2));
  size_t eol = head.find('\n');
  std::string_view line = head.substr(0, eol);
  size_t sp1 = line.find(' '), sp2 = line.rfind(' ');
  out.method = std::string(line.substr(0, sp1));
  std::string_view target = line.substr(sp1 + 1, sp2 - sp1 - 1);
  size_t q = target.find('?');
  out.path = std::string(target.substr(0, q));
  if (q != std::string_view::npos) out.query = std::string(target.substr(q + 1));
  while (eol != std::string_view::npos) {
    size_t start = eol + 1;
    eol = head.find('\n', start);
    line = head.substr(start, eol == std::string_view::npos ? eol : eol - start);
    if (line.empty()) continue;
    if ((line[0] == ' ' || line[0] == '\t') && !out.headers.empty()) {
      out.headers.back().second += ' ';
      out.headers.back().second += line;
      continue;
    }
    size_t colon = line.find(':');
    out.headers.emplace_back(std::string(line.substr(0, colon)),
                             std::string(line.substr(colon + 1)));
  }
  return out;
}

// A fake store with one account, a keyring and a key cache; add_key() registers a key with a
// chosen id and secret (as the public test vectors need).
class AuthFixture : public ::testing::Test {
 protected:
  AuthFixture() : keyring_(Keyring::from_key(std::string(32, 'k'))), cache_(store_, keyring_) {
    EXPECT_TRUE(store_.create_account({"123456789012", "test", 0}));
  }

  void add_key(const std::string& id, const std::string& secret, const std::string& user = "u") {
    ASSERT_TRUE(store_.create_access_key({id, "123456789012", user, keyring_.seal(secret), 0}));
    ASSERT_TRUE(cache_.refresh());
  }

  FakeMetadataStore store_;
  Keyring keyring_;
  KeyCache cache_;
};

}  // namespace arca::auth::testing
