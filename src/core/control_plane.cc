#include "core/control_plane.h"

#include "core/access.h"
#include "core/arn.h"
#include "core/pagination.h"
#include "core/validate.h"
#include "util/clock.h"

namespace arca::core {

namespace {
constexpr int64_t kMinTokenSeconds = 900;
constexpr int64_t kMaxTokenSeconds = 43200;
}  // namespace

Error access_denied(const auth::Principal& caller, const char* action, const std::string& arn) {
  Error e{Code::kPermissionDenied, "User: " + caller.arn() +
                                       " is not authorized to perform: codeartifact:" + action +
                                       " on resource: " + arn};
  return e;
}

ControlPlane::ControlPlane(store::MetadataStore& store, const config::Config& config,
                           const auth::TokenService& tokens)
    : store_(store), config_(config), tokens_(tokens) {}

std::string ControlPlane::domain_arn(const store::Domain& d) const {
  return core::domain_arn(config_.region, d.owner, d.name);
}

std::string ControlPlane::repository_arn(const store::Repository& r) const {
  return core::repository_arn(config_.region, r.domain_owner, r.domain_name, r.name);
}

Result<std::string> ControlPlane::resolve_owner(const auth::Principal& caller,
                                                const std::optional<std::string>& owner,
                                                const std::string& domain, const char* action) {
  ARCA_TRY(validate_domain_name("domain", domain));
  if (!owner) return caller.account_id;
  ARCA_TRY(validate_account_id("domainOwner", *owner));
  if (*owner != caller.account_id)
    return access_denied(caller, action, core::domain_arn(config_.region, *owner, domain));
  return *owner;
}

Status ControlPlane::validate_tags(const store::Tags& tags) {
  if (tags.size() > 200)
    return field_error("tags", std::to_string(tags.size()) + " tags",
                       "Member must have length less than or equal to 200");
  for (const auto& [k, v] : tags) {
    ARCA_TRY(validate_tag_key("tags.member.key", k));
    ARCA_TRY(validate_tag_value("tags.member.value", v));
  }
  return {};
}

Result<DomainView> ControlPlane::create_domain(const auth::Principal& caller,
                                               const std::string& name,
                                               const std::string& encryption_key,
                                               const store::Tags& tags) {
  ARCA_TRY(validate_domain_name("domain", name));
  if (!encryption_key.empty()) ARCA_TRY(validate_arn("encryptionKey", encryption_key));
  ARCA_TRY(validate_tags(tags));
  store::Domain d{caller.account_id, name, encryption_key, now_epoch()};
  ARCA_TRY(store_.create_domain(d, config_.max_domains_per_account));
  if (!tags.empty()) ARCA_TRY(store_.put_tags(domain_arn(d), tags, 200));
  return DomainView{d, 0, 0, "Active"};
}

Result<DomainView> ControlPlane::describe_domain(const auth::Principal& caller,
                                                 const std::optional<std::string>& owner,
                                                 const std::string& name) {
  ARCA_ASSIGN_OR_RETURN(std::string o, resolve_owner(caller, owner, name, "DescribeDomain"));
  ARCA_ASSIGN_OR_RETURN(store::Domain d, store_.get_domain(o, name));
  ARCA_ASSIGN_OR_RETURN(size_t repos, store_.count_repositories(o, name));
  ARCA_ASSIGN_OR_RETURN(uint64_t bytes, store_.domain_asset_bytes(o, name));
  return DomainView{d, repos, bytes, "Active"};
}

Result<PageOf<store::Domain>> ControlPlane::list_domains(const auth::Principal& caller,
                                                         const ListParams& p) {
  ARCA_ASSIGN_OR_RETURN(store::Page page, start_keyset_page(p));
  ARCA_ASSIGN_OR_RETURN(auto rows, store_.list_domains(caller.account_id, page));
  return finish_keyset_page(std::move(rows), page, [](const store::Domain& d) { return d.name; });
}

Result<DomainView> ControlPlane::delete_domain(const auth::Principal& caller,
                                               const std::optional<std::string>& owner,
                                               const std::string& name) {
  ARCA_ASSIGN_OR_RETURN(std::string o, resolve_owner(caller, owner, name, "DeleteDomain"));
  ARCA_ASSIGN_OR_RETURN(store::Domain d, store_.get_domain(o, name));
  ARCA_TRY(store_.delete_domain(o, name));
  return DomainView{d, 0, 0, "Deleted"};
}

Result<ControlPlane::IssuedToken> ControlPlane::get_authorization_token(
    const auth::Principal& caller, const std::optional<std::string>& owner,
    const std::string& domain, std::optional<int64_t> duration_seconds) {
  ARCA_ASSIGN_OR_RETURN(std::string o,
                        resolve_owner(caller, owner, domain, "GetAuthorizationToken"));
  int64_t duration = duration_seconds.value_or(0);
  if (duration == 0) duration = kMaxTokenSeconds;
  if (duration < kMinTokenSeconds || duration > kMaxTokenSeconds)
    return field_error("durationSeconds", std::to_string(*duration_seconds),
                       "Member must be 0 or between 900 and 43200");
  ARCA_TRY(store_.get_domain(o, domain));
  int64_t expires = now_epoch_seconds() + duration;
  return IssuedToken{tokens_.issue(caller, o, domain, expires), expires};
}

std::string external_connection_format(std::string_view name) {
  struct Entry {
    std::string_view name, format;
  };
  static constexpr Entry kKnown[] = {
      {"public:npmjs", "npm"},
      {"public:pypi", "pypi"},
      {"public:maven-central", "maven"},
      {"public:maven-googleandroid", "maven"},
      {"public:maven-gradleplugins", "maven"},
      {"public:maven-commonsware", "maven"},
      {"public:maven-clojars", "maven"},
      {"public:nuget-org", "nuget"},
      {"public:ruby-gems-org", "ruby"},
      {"public:crates-io", "cargo"},
  };
  for (const auto& e : kKnown)
    if (e.name == name) return std::string(e.format);
  return {};
}

}  // namespace arca::core
