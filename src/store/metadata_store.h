#pragma once
// MetadataStore: the persistent catalogue of accounts, keys, domains, repositories and tags.
//
// Thread safety: every method may be called concurrently from any thread. Methods block (disk
// I/O) and must run on the blocking pool, never on an I/O thread.
// Atomicity: every method is one transaction; a crash leaves either all of its effects or none.
// Errors: kNotFound / kAlreadyExists / kFailedPrecondition as documented per method; kUnavailable
// for I/O failures (disk full, database locked past the busy timeout); kInternal for corruption.
// Validation of names is core/'s job; the store enforces only uniqueness and referential rules.
// Error::message is written for API users (CodeArtifact wording, e.g. "Domain d already exists in
// account 123456789012"); kNotFound/kAlreadyExists/kQuotaExceeded carry resource_type ("domain",
// "repository", "package-group", "account", "access-key", or the ARN's type for tags) and
// resource_id (the name; a package group's pattern).
// When both a conflict and a quota apply, kAlreadyExists wins (checked first).
// Strings are compared byte for byte (case-sensitive); listings sort by byte order.
//
// Pagination (list_domains, list_repositories, list_package_groups): a page holds at most
// page.limit entries (0 gives an empty page); a page shorter than the limit is the last, so ask for
// limit + 1 to learn whether another page exists. Entries created or deleted between pages never
// break the cursor.
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "store/group_types.h"
#include "store/package_types.h"
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
  // secret_sealed is stored byte for byte (binary-safe).
  virtual Status create_access_key(const AccessKey& key) = 0;
  virtual Result<AccessKey> get_access_key(const std::string& id) = 0;  // kNotFound
  // All keys of one account, or of every account when account_id is empty; ordered by id.
  virtual Result<std::vector<AccessKey>> list_access_keys(const std::string& account_id) = 0;
  virtual Status delete_access_key(const std::string& id) = 0;  // kNotFound
  // A counter bumped by every access-key create/delete, so caches can notice changes cheaply.
  virtual Result<int64_t> access_keys_generation() = 0;

  // --- domains ---
  // kAlreadyExists if (owner, name) exists; kQuotaExceeded if the owner already has
  // `max_per_owner` domains (checked in the same transaction). The owner need not be an account
  // known to the store.
  virtual Status create_domain(const Domain& domain, size_t max_per_owner) = 0;
  virtual Result<Domain> get_domain(const std::string& owner, const std::string& name) = 0;
  // Domains of one owner ordered by name, after page.after.
  virtual Result<std::vector<Domain>> list_domains(const std::string& owner, const Page& page) = 0;
  // kNotFound; kFailedPrecondition if the domain still has repositories. Removes the domain's tags:
  // those of every ARN ending in ":OWNER:domain/NAME" (any partition and region).
  virtual Status delete_domain(const std::string& owner, const std::string& name) = 0;
  // kNotFound if the domain does not exist.
  virtual Result<size_t> count_repositories(const std::string& owner,
                                            const std::string& domain) = 0;

  // --- repositories ---
  // kNotFound if the domain is missing; kAlreadyExists if the name is taken in the domain;
  // kQuotaExceeded if the domain already has `max_per_domain` repositories.
  // repo.upstreams name repositories of the same domain: kNotFound (resource_type "repository",
  // resource_id the upstream's name) if one does not exist, kInvalidArgument if a name repeats;
  // either way nothing is created. Self-reference and cycles are core/'s to reject.
  // repo.external_connections are stored as given, without a limit check.
  virtual Status create_repository(const Repository& repo, size_t max_per_domain) = 0;
  virtual Result<Repository> get_repository(const std::string& owner, const std::string& domain,
                                            const std::string& name) = 0;
  // Ordered by (domain_owner, domain_name, name); page.after is an opaque cursor produced by
  // repository_cursor() of the last entry of the previous page (kInvalidArgument if it is not one).
  // Each set filter member applies on its own (domain_name without domain_owner matches that name
  // under every owner); name_prefix is a literal, case-sensitive prefix ('%' and '_' are plain).
  virtual Result<std::vector<Repository>> list_repositories(const RepositoryFilter& filter,
                                                            const Page& page) = 0;
  // kNotFound. Applies the set members and returns the updated repository. A set `upstreams`
  // replaces the whole list (empty clears it), with create_repository's upstream errors; a failed
  // update changes nothing.
  virtual Result<Repository> update_repository(const std::string& owner, const std::string& domain,
                                               const std::string& name,
                                               const RepositoryUpdate& update) = 0;
  // kNotFound. Removes it from other repositories' upstream lists (their remaining upstreams keep
  // their order) and removes its tags (every ARN ending in ":OWNER:repository/DOMAIN/NAME").
  // Returns the repository as it was before the delete. Its packages, versions, assets and
  // dist-tags go with it; the blobs this leaves unreferenced are not reported (a blob sweep finds
  // them with count_blob_references).
  virtual Result<Repository> delete_repository(const std::string& owner, const std::string& domain,
                                               const std::string& name) = 0;
  // kNotFound; kAlreadyExists if the repository already has this connection; kQuotaExceeded if
  // it already has `max_connections`. Connections are listed in the order they were added.
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
  // Keyed by the exact ARN string; the store does not check that the resource exists. An ARN
  // without tags has an empty map.
  virtual Result<Tags> get_tags(const std::string& arn) = 0;
  // Merges `tags` into the resource's tags; kQuotaExceeded if the result has more than max_tags
  // (and more than before: changing values on a resource over a lowered limit still works).
  // On kQuotaExceeded nothing is applied.
  virtual Status put_tags(const std::string& arn, const Tags& tags, size_t max_tags) = 0;
  // Keys the resource does not have are ignored.
  virtual Status remove_tags(const std::string& arn, const std::vector<std::string>& keys) = 0;

  // --- packages, versions, assets ---
  // The package with every version (assets and dependencies included); kNotFound when the
  // repository or the package is missing (resource_type "repository" / "package").
  // Versions are ordered by the byte order of the version string (not by semver), assets by name;
  // dependencies and licenses keep the order they were written in. Every string and
  // format_metadata round-trip byte for byte (NULs, any encoding).
  virtual Result<PackageSnapshot> get_package(const RepositoryRef& repo, const PackageKey& key) = 0;
  // get_package for a reader that needs only `versions`: the package with its dist-tags and only
  // those of `versions` that exist (errors as get_package). Meant to cost one indexed lookup per
  // named version, whatever the package's size; the default implementation loads the package.
  virtual Result<PackageSnapshot> get_package_versions(const RepositoryRef& repo,
                                                       const PackageKey& key,
                                                       const std::vector<std::string>& versions);
  // Whether the package has a version named `version` (byte for byte), in any status: false
  // when the package does not exist; kNotFound (resource_type "repository") when the repository
  // is missing. Meant to cost one indexed lookup, not a package load; the default implementation
  // loads the package.
  virtual Result<bool> has_version(const RepositoryRef& repo, const PackageKey& key,
                                   const std::string& version);
  // Packages of a repository ordered by (format, namespace, name), strictly after page.after
  // (a package_cursor()), without versions. kNotFound when the repository is missing.
  // Listed packages carry their dist_tags. Pagination as list_repositories (kInvalidArgument for
  // a cursor package_cursor() did not make). Prefix filters are literal and case-sensitive ('%'
  // and '_' are plain); an empty prefix filters nothing.
  virtual Result<std::vector<Package>> list_packages(const RepositoryRef& repo,
                                                     const PackageFilter& filter,
                                                     const Page& page) = 0;
  // Read-modify-write of one package in a single write transaction. `fn` receives the current
  // snapshot (nullopt when the package does not exist) and returns the writes to apply, or an
  // error that aborts the transaction with nothing written (returned as is). `fn` runs under the
  // writer lock: it must be quick and must not call the store. Creating a package requires
  // mutation.origin to be set (kInternal otherwise). kNotFound when the repository is missing.
  //
  // `fn` is called exactly once, or not at all when the repository is missing. The writes apply
  // in this order: delete_package; then the origin (creating the package if it is missing and the
  // mutation sets origin, upsert_versions or dist_tags); delete_versions (names that do not exist
  // are ignored); upsert_versions (a version also in delete_versions ends up as upserted);
  // dist_tags. A mutation with nothing to write for a missing package succeeds and creates
  // nothing. A created package's created_time is the store's clock (system_clock, milliseconds).
  // Dist-tags are never changed implicitly: a tag may name a version that does not exist.
  // A version listed twice in upsert_versions, or an asset name repeated within one version, is
  // kInternal (a caller bug). MutationOutcome::package_existed tells whether the package existed
  // before the mutation; unreferenced_blobs (sorted, unique) holds the keys of asset rows this
  // mutation removed or replaced that no asset row references after it.
  using PackageMutator =
      std::function<Result<PackageMutation>(const std::optional<PackageSnapshot>&)>;
  virtual Result<MutationOutcome> mutate_package(const RepositoryRef& repo, const PackageKey& key,
                                                 const PackageMutator& fn) = 0;
  // mutate_package for a write that concerns only `versions` (e.g. a publish): `fn` sees the
  // package with its dist-tags but only those of `versions` that exist, so the store need not
  // load every version. The mutation may upsert or delete only versions of `versions`, and may
  // not delete the package (kInternal otherwise, nothing written). The default implementation
  // calls mutate_package and hides the other versions from `fn`.
  virtual Result<MutationOutcome> mutate_versions(const RepositoryRef& repo, const PackageKey& key,
                                                  const std::vector<std::string>& versions,
                                                  const PackageMutator& fn);
  // Number of asset rows, in any repository, that reference blob `sha256` (whatever the
  // versions' status).
  virtual Result<size_t> count_blob_references(const std::string& sha256) = 0;
  // Sum of the sizes of the distinct blobs referenced by assets in the domain's repositories
  // (whatever the versions' status). kNotFound when the domain is missing.
  virtual Result<uint64_t> domain_asset_bytes(const std::string& owner,
                                              const std::string& domain) = 0;

  // --- the external-connection metadata cache ---
  // kNotFound when there is no entry. Bodies round-trip byte for byte.
  virtual Result<UpstreamDocument> get_upstream_document(const std::string& connection,
                                                         const std::string& key) = 0;
  // Inserts or replaces the entry (connection, key).
  virtual Status put_upstream_document(const UpstreamDocument& doc) = 0;
  // Sets fetched_time of an existing entry (after a 304 revalidation); kNotFound without one.
  virtual Status touch_upstream_document(const std::string& connection, const std::string& key,
                                         Timestamp fetched_time) = 0;

  // --- package groups (records in group_types.h) ---
  // A group belongs to a domain and is identified there by its pattern (byte for byte; the store
  // does not parse patterns). Restriction types and modes outside those of group_types.h are
  // kInvalidArgument. Allowed repositories are plain names: the store does not check that they
  // exist, and deleting a repository leaves them listed. The root group `/*` is core/'s to create.
  // Deleting the domain deletes its groups. For a missing group, get/update/delete answer kNotFound
  // with resource_type "domain" when the domain is missing too, else "package-group" (resource_id
  // the pattern).
  //
  // Stores g with created_time from the store's clock (system_clock, milliseconds); a restriction
  // type missing from g.restrictions is "INHERIT". kNotFound when the domain is missing;
  // kAlreadyExists (resource_type "package-group", resource_id the pattern) when the pattern is
  // taken in the domain; kQuotaExceeded when the domain already has `max_per_domain` groups (the
  // root group counts).
  virtual Status create_package_group(const PackageGroup& g, size_t max_per_domain) = 0;
  virtual Result<PackageGroup> get_package_group(const std::string& owner,
                                                 const std::string& domain,
                                                 const std::string& pattern) = 0;
  // The domain's groups ordered by pattern (byte order), strictly after page.after (a pattern),
  // whose pattern starts with the literal, case-sensitive `prefix` ('%', '_', '*', '~' are plain;
  // empty filters nothing). Pagination as list_domains. kNotFound when the domain is missing.
  virtual Result<std::vector<PackageGroup>> list_package_groups(const std::string& owner,
                                                                const std::string& domain,
                                                                const Page& page,
                                                                std::string_view prefix) = 0;
  // Every group of the domain ordered by pattern, in one read (for building the in-memory index
  // core/ matches packages against). kNotFound when the domain is missing.
  virtual Result<std::vector<PackageGroup>> all_package_groups(const std::string& owner,
                                                               const std::string& domain) = 0;
  // Applies u and returns the group as updated. In order: description, contact_info, restrictions
  // (the given types only), remove_allowed, then add_allowed (so a pair in both ends up allowed).
  // Adding a repository already allowed, or removing one that is not, is a no-op. Changing a mode
  // keeps the allow-lists. kNotFound; on any error nothing changes.
  virtual Result<PackageGroup> update_package_group(const std::string& owner,
                                                    const std::string& domain,
                                                    const std::string& pattern,
                                                    const PackageGroupUpdate& u) = 0;
  // Returns the group as it was before the delete. kNotFound. Tags are not touched (the group's
  // ARN encoding is core/'s).
  virtual Result<PackageGroup> delete_package_group(const std::string& owner,
                                                    const std::string& domain,
                                                    const std::string& pattern) = 0;
  // A value that changes with every successful create/update/delete of a group in the domain, so
  // nodes can tell cheaply whether their index is stale: 0 until the first one, then strictly
  // increasing, and never repeated for (owner, domain) even across deleting and re-creating the
  // domain (compare for inequality). kNotFound when the domain is missing.
  virtual Result<int64_t> package_groups_generation(const std::string& owner,
                                                    const std::string& domain) = 0;
};

// kInternal unless `m` upserts or deletes only versions of `versions` and keeps the package
// (the rule of MetadataStore::mutate_versions, for implementations).
Status check_version_scope(const PackageMutation& m, const std::vector<std::string>& versions);

// The cursor list_repositories orders by; use the last entry's cursor as the next Page::after.
std::string repository_cursor(const Repository& repo);
// The cursor list_packages orders by.
std::string package_cursor(const PackageKey& key);
// A key naming one repository (for in-memory maps).
std::string repository_key(const RepositoryRef& ref);

// "namespace/name", or "name" without a namespace: how messages name a package.
std::string package_display(const PackageKey& key);
// What every store answers for a package absent from an existing repository (kNotFound with
// resource_type "package"; a missing repository is resource_type "repository").
Error package_not_found(const RepositoryRef& repo, const PackageKey& key);
bool is_absent_package(const Error& e);

}  // namespace arca::store
