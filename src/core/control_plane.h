#pragma once
// The rules of domains, repositories, external connections, tags and authorization tokens,
// independent of HTTP. Every method validates its inputs, enforces the caller's access, and
// returns canonical errors the API layer renders as CodeArtifact errors.
//
// Access (until resource policies exist): a caller may act only on domains its own account owns;
// another account's domain answers AccessDeniedException, as AWS does without a policy.
// Thread safety: stateless beyond its collaborators; callable from any blocking-pool thread.
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <vector>

#include "auth/principal.h"
#include "auth/token.h"
#include "config/config.h"
#include "core/pagination.h"
#include "store/metadata_store.h"

namespace arca::core {

struct DomainView {
  store::Domain domain;
  size_t repository_count = 0;
  uint64_t asset_size_bytes = 0;
  std::string status = "Active";
};

struct RepositoryInput {
  std::optional<std::string> domain_owner;
  std::string domain;
  std::string repository;
};

class ControlPlane {
 public:
  ControlPlane(store::MetadataStore& store, const config::Config& config,
               const auth::TokenService& tokens);

  const std::string& region() const { return config_.region; }
  std::string domain_arn(const store::Domain& d) const;
  std::string repository_arn(const store::Repository& r) const;

  // --- domains ---
  Result<DomainView> create_domain(const auth::Principal& caller, const std::string& name,
                                   const std::string& encryption_key, const store::Tags& tags);
  Result<DomainView> describe_domain(const auth::Principal& caller,
                                     const std::optional<std::string>& owner,
                                     const std::string& name);
  Result<PageOf<store::Domain>> list_domains(const auth::Principal& caller, const ListParams& p);
  Result<DomainView> delete_domain(const auth::Principal& caller,
                                   const std::optional<std::string>& owner,
                                   const std::string& name);

  // --- repositories ---
  Result<store::Repository> create_repository(const auth::Principal& caller,
                                              const RepositoryInput& in,
                                              const std::string& description,
                                              const std::vector<std::string>& upstreams,
                                              const store::Tags& tags);
  Result<store::Repository> describe_repository(const auth::Principal& caller,
                                                const RepositoryInput& in);
  Result<store::Repository> update_repository(const auth::Principal& caller,
                                              const RepositoryInput& in,
                                              const store::RepositoryUpdate& update);
  Result<store::Repository> delete_repository(const auth::Principal& caller,
                                              const RepositoryInput& in);
  // Repositories administered by the caller's account.
  Result<PageOf<store::Repository>> list_repositories(const auth::Principal& caller,
                                                      const std::string& prefix,
                                                      const ListParams& p);
  Result<PageOf<store::Repository>> list_repositories_in_domain(
      const auth::Principal& caller, const std::optional<std::string>& owner,
      const std::string& domain, const std::optional<std::string>& administrator,
      const std::string& prefix, const ListParams& p);
  // `{public_url}/{format}/d/{domain}-{owner}/{repository}/`, always ending in '/'.
  Result<std::string> repository_endpoint(const auth::Principal& caller, const RepositoryInput& in,
                                          const std::string& format, const std::string& public_url);
  Result<store::Repository> associate_external_connection(const auth::Principal& caller,
                                                          const RepositoryInput& in,
                                                          const std::string& connection);
  Result<store::Repository> disassociate_external_connection(const auth::Principal& caller,
                                                             const RepositoryInput& in,
                                                             const std::string& connection);

  // Called after a repository is deleted (and with it every package it held) or its upstreams or
  // external connections change, so caches of package data — which merge upstreams — can drop
  // what they hold. Register before serving.
  void on_repository_changed(std::function<void(const store::RepositoryRef&)> fn) {
    repository_changed_.push_back(std::move(fn));
  }

  // --- tags (domain and repository ARNs) ---
  Status tag_resource(const auth::Principal& caller, const std::string& arn,
                      const store::Tags& tags);
  Status untag_resource(const auth::Principal& caller, const std::string& arn,
                        const std::vector<std::string>& keys);
  Result<store::Tags> list_tags(const auth::Principal& caller, const std::string& arn);

  // --- authorization tokens ---
  struct IssuedToken {
    std::string token;
    int64_t expiration = 0;  // epoch seconds
  };
  // duration_seconds: nullopt or 0 → 43200; otherwise 900..43200.
  Result<IssuedToken> get_authorization_token(const auth::Principal& caller,
                                              const std::optional<std::string>& owner,
                                              const std::string& domain,
                                              std::optional<int64_t> duration_seconds);

  // Validates the domain name/owner, resolves the owner default, checks the caller's access.
  Result<std::string> resolve_owner(const auth::Principal& caller,
                                    const std::optional<std::string>& owner,
                                    const std::string& domain, const char* action);
  // The repository after validation and the access check for `action`.
  Result<store::Repository> load_repository(const auth::Principal& caller,
                                            const RepositoryInput& in, const char* action);

 private:
  Status check_upstreams(const store::Repository& repo, const std::vector<std::string>& upstreams);
  Status validate_tags(const store::Tags& tags);
  void changed(const store::Repository& r);
  Result<std::string> tag_target(const auth::Principal& caller, const std::string& arn,
                                 const char* action);

  store::MetadataStore& store_;
  const config::Config& config_;
  const auth::TokenService& tokens_;
  // Serializes upstream-list changes so the cycle check and the write are one step. Within one
  // node this is exact; several nodes on one database need a database lock here (issue K).
  std::mutex upstreams_mu_;
  std::vector<std::function<void(const store::RepositoryRef&)>> repository_changed_;
};

// The external connection names CodeArtifact defines, with their package format ("" if unknown).
std::string external_connection_format(std::string_view name);

}  // namespace arca::core
