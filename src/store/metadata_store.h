#pragma once
// MetadataStore: the persistent catalogue of accounts, keys, domains, repositories and tags.
//
// Thread safety: every method may be called concurrently from any thread. Methods block (disk
// I/O) and must run on the blocking pool, never on an I/O thread.
// Atomicity: every method is one transaction; a crash leaves either all of its effects or none.
// Errors: kNotFound / kAlreadyExists / kFailedPrecondition as documented per method; kUnavailable
// for I/O failures (disk full, database locked past the busy timeout); kInternal for corruption.
// Validation of names is core/'s job; the store enforces only uniqueness and referential rules.
#include <memory>
#include <string>
#include <vector>

#include "store/types.h"
#include "util/error.h"

namespace arca::store {

class MetadataStore {
 public:
  virtual ~MetadataStore() = default;

  // --- accounts and access keys ---
  // kAlreadyExists if the id is taken.
  virtual Status create_account(const Account& account) = 0;
  virtual Result<Account> get_account(const std::string& id) = 0;  // kNotFound
  virtual Result<std::vector<Account>> list_accounts() = 0;

  // kAlreadyExists if the key id is taken; kNotFound if the account does not exist.
  virtual Status create_access_key(const AccessKey& key) = 0;
  virtual Result<AccessKey> get_access_key(const std::string& id) = 0;  // kNotFound
  // All keys of one account, or of every account when account_id is empty; ordered by id.
  virtual Result<std::vector<AccessKey>> list_access_keys(const std::string& account_id) = 0;
  virtual Status delete_access_key(const std::string& id) = 0;  // kNotFound
  // A counter bumped by every access-key create/delete, so caches can notice changes cheaply.
  virtual Result<int64_t> access_keys_generation() = 0;

  // --- domains ---
  // kAlreadyExists if (owner, name) exists; kQuotaExceeded if the owner already has
  // `max_per_owner` domains (checked in the same transaction).
  virtual Status create_domain(const Domain& domain, size_t max_per_owner) = 0;
  virtual Result<Domain> get_domain(const std::string& owner, const std::string& name) = 0;
  // Domains of one owner ordered by name, after page.after.
  virtual Result<std::vector<Domain>> list_domains(const std::string& owner, const Page& page) = 0;
  // kNotFound; kFailedPrecondition if the domain still has repositories. Removes the domain's tags.
  virtual Status delete_domain(const std::string& owner, const std::string& name) = 0;
  virtual Result<size_t> count_repositories(const std::string& owner,
                                            const std::string& domain) = 0;

  // --- repositories ---
  // kNotFound if the domain is missing; kAlreadyExists if the name is taken in the domain;
  // kQuotaExceeded if the domain already has `max_per_domain` repositories.
  virtual Status create_repository(const Repository& repo, size_t max_per_domain) = 0;
  virtual Result<Repository> get_repository(const std::string& owner, const std::string& domain,
                                            const std::string& name) = 0;
  // Ordered by (domain_owner, domain_name, name); page.after is an opaque cursor produced by
  // repository_cursor() of the last entry of the previous page.
  virtual Result<std::vector<Repository>> list_repositories(const RepositoryFilter& filter,
                                                            const Page& page) = 0;
  // kNotFound. Applies the set members and returns the updated repository.
  virtual Result<Repository> update_repository(const std::string& owner, const std::string& domain,
                                               const std::string& name,
                                               const RepositoryUpdate& update) = 0;
  // kNotFound. Removes it from other repositories' upstream lists and removes its tags.
  virtual Result<Repository> delete_repository(const std::string& owner, const std::string& domain,
                                               const std::string& name) = 0;
  // kNotFound; kAlreadyExists if the repository already has this connection; kQuotaExceeded if
  // it already has `max_connections`.
  virtual Result<Repository> add_external_connection(const std::string& owner,
                                                     const std::string& domain,
                                                     const std::string& name,
                                                     const ExternalConnection& connection,
                                                     size_t max_connections) = 0;
  // kNotFound if the repository or the connection on it is missing.
  virtual Result<Repository> remove_external_connection(const std::string& owner,
                                                        const std::string& domain,
                                                        const std::string& name,
                                                        const std::string& connection_name) = 0;

  // --- tags, keyed by resource ARN ---
  virtual Result<Tags> get_tags(const std::string& arn) = 0;
  // Merges `tags` into the resource's tags; kQuotaExceeded if the result has more than max_tags.
  virtual Status put_tags(const std::string& arn, const Tags& tags, size_t max_tags) = 0;
  virtual Status remove_tags(const std::string& arn, const std::vector<std::string>& keys) = 0;
};

// The cursor list_repositories orders by; use the last entry's cursor as the next Page::after.
std::string repository_cursor(const Repository& repo);

}  // namespace arca::store
