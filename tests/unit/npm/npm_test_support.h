#pragma once
// Builders for npm publish documents and stored versions used by the npm unit tests.
#include <boost/json.hpp>
#include <string>

#include "util/crypto.h"

namespace arca::formats::npm::testing {

// Bytes that pass the gzip magic check.
inline std::string fake_tarball(size_t n = 1000) {
  std::string t("\x1f\x8b\x08\x00", 4);
  for (size_t i = t.size(); i < n; ++i) t.push_back(static_cast<char>((i * 31 + 7) & 0xff));
  return t;
}

struct DocSpec {
  std::string name = "@myscope/lib";
  std::string version = "1.0.1";
  std::string tarball = fake_tarball();
  std::string data;  // base64 override
  bool with_shasum = true;
  bool with_integrity = true;
  std::string shasum_override;
  std::string integrity_override;
  int64_t length = -1;  // -1: the real size
  std::string readme = "# lib";
};

inline boost::json::object version_manifest_json(const DocSpec& s) {
  namespace json = boost::json;
  json::object dist;
  if (s.with_shasum)
    dist["shasum"] = s.shasum_override.empty() ? crypto::digest_hex(crypto::Algo::kSha1, s.tarball)
                                               : s.shasum_override;
  if (s.with_integrity)
    dist["integrity"] =
        s.integrity_override.empty()
            ? "sha512-" + crypto::base64_encode(crypto::digest(crypto::Algo::kSha512, s.tarball))
            : s.integrity_override;
  dist["tarball"] =
      "http://127.0.0.1:1/npm/repo/" + s.name + "/-/" + s.name + "-" + s.version + ".tgz";
  return json::object{
      {"name", s.name},
      {"version", s.version},
      {"description", "A test library"},
      {"homepage", "https://example.invalid/lib"},
      {"license", "MIT"},
      {"repository", {{"type", "git"}, {"url", "git+https://example.invalid/l.git"}}},
      {"dependencies", {{"@types/node", "^20.0.0"}, {"left-pad", "1.3.0"}}},
      {"devDependencies", {{"jest", "^29"}}},
      {"peerDependencies", {{"react", ">=18"}}},
      {"scripts", {{"postinstall", "node x.js"}, {"test", "jest"}}},
      {"bin", {{"lib", "cli.js"}}},
      {"readme", s.readme},
      {"_nodeVersion", "20.20.2"},
      {"dist", dist}};
}

inline std::string publish_document(const DocSpec& s) {
  namespace json = boost::json;
  json::object doc;
  doc["_id"] = s.name;
  doc["name"] = s.name;
  doc["description"] = "A test library";
  doc["dist-tags"] = json::object{{"latest", s.version}};
  doc["versions"] = json::object{{s.version, version_manifest_json(s)}};
  doc["access"] = nullptr;
  doc["readme"] = s.readme;
  std::string file = s.name + "-" + s.version + ".tgz";
  doc["_attachments"] = json::object{
      {file,
       {{"content_type", "application/octet-stream"},
        {"data", s.data.empty() ? crypto::base64_encode(s.tarball) : s.data},
        {"length", s.length >= 0 ? s.length : static_cast<int64_t>(s.tarball.size())}}}};
  return json::serialize(doc);
}

}  // namespace arca::formats::npm::testing
