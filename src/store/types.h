#pragma once
// Plain records the metadata store persists. No behaviour: rules live in core/.
#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace arca::store {

// Seconds since the epoch with millisecond precision (CodeArtifact renders epoch seconds).
using Timestamp = double;

struct Account {
  std::string id;  // 12 digits
  std::string name;
  Timestamp created_time = 0;
};

struct AccessKey {
  std::string id;                 // "AKIA" + 16 upper-case alphanumerics
  std::string account_id;
  std::string user_name;          // principal name within the account
  std::string secret_sealed;      // AES-GCM sealed secret (see auth/), never the plain secret
  Timestamp created_time = 0;
};

struct Domain {
  std::string owner;  // account id
  std::string name;
  std::string encryption_key;  // echoed back; may be empty
  Timestamp created_time = 0;
};

struct ExternalConnection {
  std::string name;            // e.g. "public:npmjs"
  std::string package_format;  // e.g. "npm"
};

struct Repository {
  std::string domain_owner;
  std::string domain_name;
  std::string name;
  std::string administrator_account;
  std::string description;
  std::vector<std::string> upstreams;  // repository names in the same domain, in search order
  std::vector<ExternalConnection> external_connections;
  Timestamp created_time = 0;
};

// Partial update of a repository; unset members are left as they are.
struct RepositoryUpdate {
  std::optional<std::string> description;
  std::optional<std::vector<std::string>> upstreams;
};

using Tags = std::map<std::string, std::string>;

// Keyset pagination: entries strictly after `after` (by the listing's sort key), at most `limit`.
struct Page {
  std::string after;
  size_t limit = 50;
};

struct RepositoryFilter {
  std::optional<std::string> domain_owner;  // with domain_name: repositories of one domain
  std::optional<std::string> domain_name;
  std::optional<std::string> administrator_account;
  std::string name_prefix;
};

}  // namespace arca::store
