#pragma once
// SqliteMetadataStore: the embedded MetadataStore on one SQLite file in WAL mode.
//
// Connections: one writer connection guarded by a mutex (every write method runs BEGIN IMMEDIATE
// ... COMMIT on it) plus a small pool of read-only connections, so reads run concurrently with each
// other and with the write in progress (WAL gives each read transaction a consistent snapshot).
// Every method is exactly one transaction. Several processes (e.g. `arca` admin subcommands next
// to a server) may open the same file: BEGIN IMMEDIATE and busy_timeout serialise their writers,
// and quota/uniqueness checks run inside the write transaction, so they stay exact.
//
// Durability: journal_mode=WAL with synchronous=NORMAL. Every transaction is atomic in all cases
// (process crash, OS crash, power loss): the database never holds part of a transaction. A
// committed transaction survives a crash of the process; after an OS crash or power loss the
// transactions committed since the last WAL sync (at checkpoints) may be rolled back as a whole.
// FULL would fsync the WAL on every commit, multiplying write latency for that last window; the
// blob store tolerates it (a lost version leaves only an orphaned blob, collected later). Set
// Options::synchronous_full where acknowledged writes must survive power loss.
//
// Thread safety: all methods may be called concurrently from any thread. They block on disk.
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "store/metadata_store.h"
#include "store/sqlite/sqlite_connection.h"

namespace arca::store {

class SqliteMetadataStore final : public MetadataStore {
 public:
  struct Options {
    size_t reader_connections = 4;
    std::chrono::milliseconds busy_timeout{5000};
    bool synchronous_full = false;  // see "Durability" above
  };

  // Opens or creates the database at db_path (its directory must exist) and migrates it to this
  // build's schema. kFailedPrecondition if the file was written by a newer schema version or by
  // another application; kUnavailable if it cannot be opened or locked; kInternal if corrupt.
  static Result<std::unique_ptr<SqliteMetadataStore>> open(const std::string& db_path);
  static Result<std::unique_ptr<SqliteMetadataStore>> open(const std::string& db_path,
                                                           const Options& options);
  ~SqliteMetadataStore() override;

  Status create_account(const Account& account) override;
  Result<Account> get_account(const std::string& id) override;
  Result<std::vector<Account>> list_accounts() override;

  Status create_access_key(const AccessKey& key) override;
  Result<AccessKey> get_access_key(const std::string& id) override;
  Result<std::vector<AccessKey>> list_access_keys(const std::string& account_id) override;
  Status delete_access_key(const std::string& id) override;
  Result<int64_t> access_keys_generation() override;

  Status create_domain(const Domain& domain, size_t max_per_owner) override;
  Result<Domain> get_domain(const std::string& owner, const std::string& name) override;
  Result<std::vector<Domain>> list_domains(const std::string& owner, const Page& page) override;
  Status delete_domain(const std::string& owner, const std::string& name) override;
  Result<size_t> count_repositories(const std::string& owner, const std::string& domain) override;

  Status create_repository(const Repository& repo, size_t max_per_domain) override;
  Result<Repository> get_repository(const std::string& owner, const std::string& domain,
                                    const std::string& name) override;
  Result<std::vector<Repository>> list_repositories(const RepositoryFilter& filter,
                                                    const Page& page) override;
  Result<Repository> update_repository(const std::string& owner, const std::string& domain,
                                       const std::string& name,
                                       const RepositoryUpdate& update) override;
  Result<Repository> delete_repository(const std::string& owner, const std::string& domain,
                                       const std::string& name) override;
  Result<Repository> add_external_connection(const std::string& owner, const std::string& domain,
                                             const std::string& name,
                                             const ExternalConnection& connection,
                                             size_t max_connections) override;
  Result<Repository> remove_external_connection(const std::string& owner, const std::string& domain,
                                                const std::string& name,
                                                const std::string& connection_name) override;

  Result<Tags> get_tags(const std::string& arn) override;
  Status put_tags(const std::string& arn, const Tags& tags, size_t max_tags) override;
  Status remove_tags(const std::string& arn, const std::vector<std::string>& keys) override;

  Result<PackageSnapshot> get_package(const RepositoryRef& repo, const PackageKey& key) override;
  Result<PackageSnapshot> get_package_versions(const RepositoryRef& repo, const PackageKey& key,
                                               const std::vector<std::string>& versions) override;
  Result<bool> has_version(const RepositoryRef& repo, const PackageKey& key,
                           const std::string& version) override;
  Result<std::vector<Package>> list_packages(const RepositoryRef& repo, const PackageFilter& filter,
                                             const Page& page) override;
  Result<MutationOutcome> mutate_package(const RepositoryRef& repo, const PackageKey& key,
                                         const PackageMutator& fn) override;
  Result<MutationOutcome> mutate_versions(const RepositoryRef& repo, const PackageKey& key,
                                          const std::vector<std::string>& versions,
                                          const PackageMutator& fn) override;
  Result<size_t> count_blob_references(const std::string& sha256) override;
  Result<uint64_t> domain_asset_bytes(const std::string& owner, const std::string& domain) override;

  Result<UpstreamDocument> get_upstream_document(const std::string& connection,
                                                 const std::string& key) override;
  Status put_upstream_document(const UpstreamDocument& doc) override;
  Status touch_upstream_document(const std::string& connection, const std::string& key,
                                 Timestamp fetched_time) override;

  Status create_package_group(const PackageGroup& g, size_t max_per_domain) override;
  Result<PackageGroup> get_package_group(const std::string& owner, const std::string& domain,
                                         const std::string& pattern) override;
  Result<std::vector<PackageGroup>> list_package_groups(const std::string& owner,
                                                        const std::string& domain, const Page& page,
                                                        std::string_view prefix) override;
  Result<std::vector<PackageGroup>> all_package_groups(const std::string& owner,
                                                       const std::string& domain) override;
  Result<PackageGroup> update_package_group(const std::string& owner, const std::string& domain,
                                            const std::string& pattern,
                                            const PackageGroupUpdate& u) override;
  Result<PackageGroup> delete_package_group(const std::string& owner, const std::string& domain,
                                            const std::string& pattern) override;
  Result<int64_t> package_groups_generation(const std::string& owner,
                                            const std::string& domain) override;

 private:
  using Connection = sqlite::Connection;
  using Transaction = sqlite::Transaction;

  SqliteMetadataStore(std::unique_ptr<Connection> writer,
                      std::vector<std::unique_ptr<Connection>> readers);

  // A reader connection borrowed from the pool for one method call.
  class ReaderLease {
   public:
    ReaderLease(SqliteMetadataStore& store, std::unique_ptr<Connection> conn)
        : store_(store), conn_(std::move(conn)) {}
    ~ReaderLease();
    ReaderLease(const ReaderLease&) = delete;
    ReaderLease& operator=(const ReaderLease&) = delete;
    Connection& operator*() { return *conn_; }

   private:
    SqliteMetadataStore& store_;
    std::unique_ptr<Connection> conn_;
  };
  ReaderLease acquire_reader();

  // Runs fn(Connection&) -> Result<T>/Status in one read transaction on a pooled reader.
  template <class Fn>
  auto read(Fn&& fn) -> decltype(fn(std::declval<Connection&>())) {
    ReaderLease lease = acquire_reader();
    ARCA_ASSIGN_OR_RETURN(Transaction txn, Transaction::begin(*lease, Transaction::Mode::kRead));
    auto result = fn(*lease);
    if (!result) return result;  // txn rolls back
    ARCA_TRY(txn.commit());
    return result;
  }

  // Runs fn(Connection&) in one write transaction (BEGIN IMMEDIATE) on the writer connection.
  // Any error from fn rolls the whole transaction back.
  template <class Fn>
  auto write(Fn&& fn) -> decltype(fn(std::declval<Connection&>())) {
    std::lock_guard lock(writer_mu_);
    ARCA_ASSIGN_OR_RETURN(Transaction txn, Transaction::begin(*writer_, Transaction::Mode::kWrite));
    auto result = fn(*writer_);
    if (!result) return result;
    ARCA_TRY(txn.commit());
    return result;
  }

  std::mutex writer_mu_;
  std::unique_ptr<Connection> writer_;

  std::mutex readers_mu_;
  std::condition_variable reader_returned_;
  std::vector<std::unique_ptr<Connection>> idle_readers_;
};

}  // namespace arca::store
