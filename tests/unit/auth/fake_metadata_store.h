#pragma once
// In-memory MetadataStore for auth tests: accounts and access keys behave as the contract says;
// every other method returns kInternal. Counts list_access_keys() calls so tests can see reloads.
#include <algorithm>
#include <map>
#include <mutex>

#include "store/metadata_store.h"

namespace arca::auth::testing {

class FakeMetadataStore : public store::MetadataStore {
 public:
  Status create_account(const store::Account& account) override {
    std::lock_guard lock(mu_);
    if (accounts_.count(account.id)) return already_exists("account", account.id, "exists");
    accounts_[account.id] = account;
    return {};
  }
  Result<store::Account> get_account(const std::string& id) override {
    std::lock_guard lock(mu_);
    auto it = accounts_.find(id);
    if (it == accounts_.end()) return not_found("account", id, "no such account");
    return it->second;
  }
  Result<std::vector<store::Account>> list_accounts() override {
    std::lock_guard lock(mu_);
    std::vector<store::Account> out;
    for (auto& [id, a] : accounts_) out.push_back(a);
    return out;
  }
  Status create_access_key(const store::AccessKey& key) override {
    std::lock_guard lock(mu_);
    if (keys_.count(key.id)) return already_exists("access-key", key.id, "exists");
    if (!accounts_.count(key.account_id))
      return not_found("account", key.account_id, "no such account");
    keys_[key.id] = key;
    ++generation_;
    return {};
  }
  Result<store::AccessKey> get_access_key(const std::string& id) override {
    std::lock_guard lock(mu_);
    auto it = keys_.find(id);
    if (it == keys_.end()) return not_found("access-key", id, "no such key");
    return it->second;
  }
  Result<std::vector<store::AccessKey>> list_access_keys(const std::string& account_id) override {
    std::lock_guard lock(mu_);
    ++list_access_keys_calls;
    std::vector<store::AccessKey> out;
    for (auto& [id, k] : keys_)
      if (account_id.empty() || k.account_id == account_id) out.push_back(k);
    return out;
  }
  Status delete_access_key(const std::string& id) override {
    std::lock_guard lock(mu_);
    if (!keys_.erase(id)) return not_found("access-key", id, "no such key");
    ++generation_;
    return {};
  }
  Result<int64_t> access_keys_generation() override {
    std::lock_guard lock(mu_);
    return generation_;
  }

  Status create_domain(const store::Domain&, size_t) override { return unsupported(); }
  Result<store::Domain> get_domain(const std::string&, const std::string&) override {
    return unsupported();
  }
  Result<std::vector<store::Domain>> list_domains(const std::string&, const store::Page&) override {
    return unsupported();
  }
  Status delete_domain(const std::string&, const std::string&) override { return unsupported(); }
  Result<size_t> count_repositories(const std::string&, const std::string&) override {
    return unsupported();
  }
  Status create_repository(const store::Repository&, size_t) override { return unsupported(); }
  Result<store::Repository> get_repository(const std::string&, const std::string&,
                                           const std::string&) override {
    return unsupported();
  }
  Result<std::vector<store::Repository>> list_repositories(const store::RepositoryFilter&,
                                                           const store::Page&) override {
    return unsupported();
  }
  Result<store::Repository> update_repository(const std::string&, const std::string&,
                                              const std::string&,
                                              const store::RepositoryUpdate&) override {
    return unsupported();
  }
  Result<store::Repository> delete_repository(const std::string&, const std::string&,
                                              const std::string&) override {
    return unsupported();
  }
  Result<store::Repository> add_external_connection(const std::string&, const std::string&,
                                                    const std::string&,
                                                    const store::ExternalConnection&,
                                                    size_t) override {
    return unsupported();
  }
  Result<store::Repository> remove_external_connection(const std::string&, const std::string&,
                                                       const std::string&,
                                                       const std::string&) override {
    return unsupported();
  }
  Result<store::Tags> get_tags(const std::string&) override { return unsupported(); }
  Status put_tags(const std::string&, const store::Tags&, size_t) override { return unsupported(); }
  Status remove_tags(const std::string&, const std::vector<std::string>&) override {
    return unsupported();
  }
  Result<store::PackageSnapshot> get_package(const store::RepositoryRef&,
                                             const store::PackageKey&) override {
    return internal_error("not used");
  }
  Result<std::vector<store::Package>> list_packages(const store::RepositoryRef&,
                                                    const store::PackageFilter&,
                                                    const store::Page&) override {
    return internal_error("not used");
  }
  Result<store::MutationOutcome> mutate_package(const store::RepositoryRef&,
                                                const store::PackageKey&,
                                                const PackageMutator&) override {
    return internal_error("not used");
  }
  Result<size_t> count_blob_references(const std::string&) override {
    return internal_error("not used");
  }
  Result<uint64_t> domain_asset_bytes(const std::string&, const std::string&) override {
    return internal_error("not used");
  }
  Result<store::UpstreamDocument> get_upstream_document(const std::string&,
                                                        const std::string&) override {
    return internal_error("not used");
  }
  Status put_upstream_document(const store::UpstreamDocument&) override {
    return internal_error("not used");
  }
  Status touch_upstream_document(const std::string&, const std::string&,
                                 store::Timestamp) override {
    return internal_error("not used");
  }
  Status create_package_group(const store::PackageGroup&, size_t) override {
    return internal_error("not used");
  }
  Result<store::PackageGroup> get_package_group(const std::string&, const std::string&,
                                                const std::string&) override {
    return internal_error("not used");
  }
  Result<std::vector<store::PackageGroup>> list_package_groups(const std::string&,
                                                               const std::string&,
                                                               const store::Page&,
                                                               std::string_view) override {
    return internal_error("not used");
  }
  Result<std::vector<store::PackageGroup>> all_package_groups(const std::string&,
                                                              const std::string&) override {
    return internal_error("not used");
  }
  Result<store::PackageGroup> update_package_group(const std::string&, const std::string&,
                                                   const std::string&,
                                                   const store::PackageGroupUpdate&) override {
    return internal_error("not used");
  }
  Result<store::PackageGroup> delete_package_group(const std::string&, const std::string&,
                                                   const std::string&) override {
    return internal_error("not used");
  }
  Result<int64_t> package_groups_generation(const std::string&, const std::string&) override {
    return internal_error("not used");
  }

  int list_access_keys_calls = 0;  // guarded by mu_

 private:
  static Error unsupported() { return internal_error("not implemented by FakeMetadataStore"); }

  std::mutex mu_;
  std::map<std::string, store::Account> accounts_;
  std::map<std::string, store::AccessKey> keys_;
  int64_t generation_ = 0;
};

}  // namespace arca::auth::testing
