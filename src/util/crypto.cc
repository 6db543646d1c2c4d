#include "util/crypto.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include <cstdlib>
#include <stdexcept>

namespace arca::crypto {
namespace {

// Fetched once per process: the implicit fetch behind EVP_sha256() and friends costs about a
// microsecond on every digest set-up. Falls back to the implicit form if a fetch fails.
const EVP_MD* md_for(Algo a) {
  static EVP_MD* const fetched[] = {
      EVP_MD_fetch(nullptr, "MD5", nullptr), EVP_MD_fetch(nullptr, "SHA1", nullptr),
      EVP_MD_fetch(nullptr, "SHA256", nullptr), EVP_MD_fetch(nullptr, "SHA512", nullptr)};
  switch (a) {
    case Algo::kMd5:
      return fetched[0] ? fetched[0] : EVP_md5();
    case Algo::kSha1:
      return fetched[1] ? fetched[1] : EVP_sha1();
    case Algo::kSha256:
      return fetched[2] ? fetched[2] : EVP_sha256();
    case Algo::kSha512:
      return fetched[3] ? fetched[3] : EVP_sha512();
  }
  return EVP_sha256();
}

constexpr char kHex[] = "0123456789abcdef";
constexpr char kB64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
constexpr char kB64Url[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

std::string b64_encode(std::string_view raw, const char* alphabet, bool pad) {
  std::string out;
  out.reserve((raw.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < raw.size(); i += 3) {
    uint32_t v = (uint8_t(raw[i]) << 16) | (uint8_t(raw[i + 1]) << 8) | uint8_t(raw[i + 2]);
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    out += alphabet[(v >> 6) & 63];
    out += alphabet[v & 63];
  }
  size_t rest = raw.size() - i;
  if (rest) {
    uint32_t v = uint8_t(raw[i]) << 16;
    if (rest == 2) v |= uint8_t(raw[i + 1]) << 8;
    out += alphabet[v >> 18];
    out += alphabet[(v >> 12) & 63];
    if (rest == 2) out += alphabet[(v >> 6) & 63];
    if (pad) out.append(rest == 1 ? 2 : 1, '=');
  }
  return out;
}

int b64_value(char c, bool url) {
  if (c >= 'A' && c <= 'Z') return c - 'A';
  if (c >= 'a' && c <= 'z') return c - 'a' + 26;
  if (c >= '0' && c <= '9') return c - '0' + 52;
  if (!url && c == '+') return 62;
  if (!url && c == '/') return 63;
  if (url && c == '-') return 62;
  if (url && c == '_') return 63;
  return -1;
}

bool b64_decode(std::string_view text, bool url, std::string& out) {
  while (!text.empty() && text.back() == '=') text.remove_suffix(1);
  if (text.size() % 4 == 1) return false;
  out.clear();
  out.reserve(text.size() * 3 / 4);
  uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = b64_value(c, url);
    if (v < 0) return false;
    acc = (acc << 6) | uint32_t(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += char((acc >> bits) & 0xff);
    }
  }
  return true;
}

}  // namespace

struct Hasher::Impl {
  EVP_MD_CTX* ctx = nullptr;
  ~Impl() { EVP_MD_CTX_free(ctx); }
};

Hasher::Hasher(Algo algo) : impl_(std::make_unique<Impl>()) {
  impl_->ctx = EVP_MD_CTX_new();
  if (!impl_->ctx || EVP_DigestInit_ex(impl_->ctx, md_for(algo), nullptr) != 1)
    throw std::runtime_error("EVP_DigestInit_ex failed");
}
Hasher::~Hasher() = default;
Hasher::Hasher(Hasher&&) noexcept = default;
Hasher& Hasher::operator=(Hasher&&) noexcept = default;

void Hasher::update(std::string_view data) {
  EVP_DigestUpdate(impl_->ctx, data.data(), data.size());
}

std::string Hasher::finish() {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  EVP_DigestFinal_ex(impl_->ctx, md, &len);
  return std::string(reinterpret_cast<char*>(md), len);
}

std::string Hasher::finish_hex() { return to_hex(finish()); }

std::string digest(Algo algo, std::string_view data) {
  Hasher h(algo);
  h.update(data);
  return h.finish();
}

std::string digest_hex(Algo algo, std::string_view data) { return to_hex(digest(algo, data)); }

namespace {

std::string hmac_sha256_oneshot(std::string_view key, std::string_view data) {
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int len = 0;
  HMAC(EVP_sha256(), key.data(), int(key.size()),
       reinterpret_cast<const unsigned char*>(data.data()), data.size(), md, &len);
  return std::string(reinterpret_cast<char*>(md), len);
}

// A per-thread HMAC context on an algorithm fetched once. The one-shot HMAC() fetched the
// algorithm, built its parameters and allocated a context on every call: most of its cost for
// the short inputs of token and SigV4 checks (one per package request).
struct ThreadMac {
  EVP_MAC_CTX* ctx = nullptr;
  bool digest_set = false;
  ThreadMac() {
    static EVP_MAC* const mac = EVP_MAC_fetch(nullptr, "HMAC", nullptr);  // for the process
    if (mac) ctx = EVP_MAC_CTX_new(mac);
  }
  ~ThreadMac() { EVP_MAC_CTX_free(ctx); }
  ThreadMac(const ThreadMac&) = delete;
  ThreadMac& operator=(const ThreadMac&) = delete;
};

}  // namespace

std::string hmac_sha256(std::string_view key, std::string_view data) {
  thread_local ThreadMac t;
  // An empty key would mean "the previous key" to EVP_MAC_init.
  if (!t.ctx || key.empty()) return hmac_sha256_oneshot(key, data);
  char digest_name[] = "SHA256";
  OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string("digest", digest_name, 0),
                         OSSL_PARAM_construct_end()};
  unsigned char md[EVP_MAX_MD_SIZE];
  size_t len = 0;
  if (EVP_MAC_init(t.ctx, reinterpret_cast<const unsigned char*>(key.data()), key.size(),
                   t.digest_set ? nullptr : params) != 1 ||
      EVP_MAC_update(t.ctx, reinterpret_cast<const unsigned char*>(data.data()), data.size()) !=
          1 ||
      EVP_MAC_final(t.ctx, md, &len, sizeof md) != 1) {
    t.digest_set = false;
    return hmac_sha256_oneshot(key, data);
  }
  t.digest_set = true;
  return std::string(reinterpret_cast<char*>(md), len);
}

bool constant_time_equal(std::string_view a, std::string_view b) {
  return a.size() == b.size() && CRYPTO_memcmp(a.data(), b.data(), a.size()) == 0;
}

std::string to_hex(std::string_view raw) {
  std::string out(raw.size() * 2, '0');
  for (size_t i = 0; i < raw.size(); ++i) {
    out[2 * i] = kHex[uint8_t(raw[i]) >> 4];
    out[2 * i + 1] = kHex[uint8_t(raw[i]) & 15];
  }
  return out;
}

bool from_hex(std::string_view hex, std::string& out) {
  if (hex.size() % 2) return false;
  auto val = [](char c) -> int {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
  };
  out.assign(hex.size() / 2, '\0');
  for (size_t i = 0; i < out.size(); ++i) {
    int hi = val(hex[2 * i]), lo = val(hex[2 * i + 1]);
    if (hi < 0 || lo < 0) return false;
    out[i] = char(hi * 16 + lo);
  }
  return true;
}

std::string base64_encode(std::string_view raw) { return b64_encode(raw, kB64, true); }
bool base64_decode(std::string_view text, std::string& out) { return b64_decode(text, false, out); }
std::string base64url_encode(std::string_view raw) { return b64_encode(raw, kB64Url, false); }
bool base64url_decode(std::string_view text, std::string& out) {
  return b64_decode(text, true, out);
}

std::string random_bytes(size_t n) {
  std::string out(n, '\0');
  if (RAND_bytes(reinterpret_cast<unsigned char*>(out.data()), int(n)) != 1) std::abort();
  return out;
}

std::string uuid_v4() {
  std::string b = random_bytes(16);
  b[6] = char((uint8_t(b[6]) & 0x0f) | 0x40);
  b[8] = char((uint8_t(b[8]) & 0x3f) | 0x80);
  std::string h = to_hex(b);
  return h.substr(0, 8) + "-" + h.substr(8, 4) + "-" + h.substr(12, 4) + "-" + h.substr(16, 4) +
         "-" + h.substr(20);
}

namespace {
constexpr size_t kNonce = 12, kTag = 16;
}

std::string aes_gcm_seal(std::string_view key, std::string_view plaintext) {
  std::string nonce = random_bytes(kNonce);
  std::string out = nonce;
  out.resize(kNonce + plaintext.size() + kTag);
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  auto* o = reinterpret_cast<unsigned char*>(out.data());
  EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr,
                     reinterpret_cast<const unsigned char*>(key.data()),
                     reinterpret_cast<const unsigned char*>(nonce.data()));
  EVP_EncryptUpdate(ctx, o + kNonce, &len, reinterpret_cast<const unsigned char*>(plaintext.data()),
                    int(plaintext.size()));
  EVP_EncryptFinal_ex(ctx, o + kNonce + len, &len);
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, kTag, o + kNonce + plaintext.size());
  EVP_CIPHER_CTX_free(ctx);
  return out;
}

bool aes_gcm_open(std::string_view key, std::string_view sealed, std::string& plaintext) {
  if (key.size() != 32 || sealed.size() < kNonce + kTag) return false;
  size_t n = sealed.size() - kNonce - kTag;
  plaintext.assign(n, '\0');
  EVP_CIPHER_CTX* ctx = EVP_CIPHER_CTX_new();
  int len = 0;
  const auto* s = reinterpret_cast<const unsigned char*>(sealed.data());
  EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), nullptr,
                     reinterpret_cast<const unsigned char*>(key.data()), s);
  EVP_DecryptUpdate(ctx, reinterpret_cast<unsigned char*>(plaintext.data()), &len, s + kNonce,
                    int(n));
  EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, kTag, const_cast<unsigned char*>(s + kNonce + n));
  bool ok =
      EVP_DecryptFinal_ex(ctx, reinterpret_cast<unsigned char*>(plaintext.data()) + len, &len) == 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) plaintext.clear();
  return ok;
}

}  // namespace arca::crypto
