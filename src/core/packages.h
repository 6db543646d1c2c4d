#pragma once
// The rules of packages and package versions (reference §3, §4): identity and normalization,
// statuses and what package managers see, revisions, publish semantics, batch operations, copy.
// Formats (formats/<fmt>/) and the control plane (api/) both go through this class; neither
// touches the store or the blob store directly.
//
// Thread safety: callable from any blocking-pool thread; writes to one package are serialized by
// the store's mutate_package transaction.
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "blob/blob_store.h"
#include "core/control_plane.h"
#include "core/origin_policy.h"
#include "store/metadata_store.h"

namespace arca::core {

namespace status {
inline constexpr const char* kPublished = "Published";
inline constexpr const char* kUnfinished = "Unfinished";
inline constexpr const char* kUnlisted = "Unlisted";
inline constexpr const char* kArchived = "Archived";
inline constexpr const char* kDisposed = "Disposed";
inline constexpr const char* kDeleted = "Deleted";
}  // namespace status

// Shown in package managers' version lists (packument, simple page, ...): Published only.
bool is_listable(std::string_view status);
// Assets downloadable: Published and Unlisted.
bool is_downloadable(std::string_view status);

// Validates (§1.5) and normalizes (§3) a package identity for `format`. `namespace_` may be empty.
// Errors name the members "format", "namespace", "package".
Result<store::PackageKey> make_package_key(std::string_view format, std::string_view namespace_,
                                           std::string_view name);
Status validate_version_string(std::string_view field, std::string_view version);

// The version named `version` in a snapshot, or nullptr.
const store::PackageVersion* find_version(const store::PackageSnapshot& snapshot,
                                          std::string_view version);

// A revision: base64 of SHA-256 over the version's assets and metadata (§4.4).
std::string compute_revision(const store::PackageVersion& v);

// A version a package manager publishes: metadata and already-committed assets. Core fills
// status (Published unless `unfinished`), revision, published_time and origin.
struct NewVersion {
  store::PackageVersion version;
  bool unfinished = false;
  // Tags to set (or remove, nullopt) in the same transaction, e.g. npm's "latest".
  std::map<std::string, std::optional<std::string>> dist_tags;
};

struct AssetHandle {
  store::PackageVersion version;  // without other versions' data
  store::Asset asset;
  std::optional<std::string> local_path;  // for sendfile, when the blob store has one
};

// Where a downloadable asset's bytes are, without its version's metadata (Packages::peek_asset).
struct AssetLocation {
  store::Asset asset;
  std::optional<std::string> local_path;  // for sendfile, when the blob store has one
};

// Per-version result of a batch operation (§4.3).
struct VersionError {
  std::string
      code;  // ALREADY_EXISTS MISMATCHED_REVISION MISMATCHED_STATUS NOT_ALLOWED NOT_FOUND SKIPPED
  std::string message;
};
struct VersionSuccess {
  std::string revision;
  std::string status;
};
struct BatchResult {
  std::map<std::string, VersionSuccess> successful;
  std::map<std::string, VersionError> failed;
};

struct BatchRequest {
  std::vector<std::string> versions;
  std::map<std::string, std::string> version_revisions;  // version -> expected revision
  std::optional<std::string> expected_status;
};

struct VersionListFilter {
  std::optional<std::string> status;
  std::optional<std::string> origin_type;
  bool sort_by_published_time = false;
};

struct VersionPage {
  store::PackageKey key;
  std::string default_display_version;  // empty when none
  std::vector<store::PackageVersion> versions;
  std::string next_token;
};

// The versions a batch request names: `versions`, else the keys of `versionRevisions`; 1..100,
// distinct, each a valid version string.
Result<std::vector<std::string>> requested_versions(const BatchRequest& req);

// Addresses a package through the control plane.
struct PackageInput {
  RepositoryInput repository;
  std::string format;
  std::string namespace_;  // empty = none
  std::string package;
};

class Packages {
 public:
  Packages(store::MetadataStore& store, blob::BlobStore& blobs, ControlPlane& control);

  // Called after every successful write to a package (cache invalidation). After a repository
  // is deleted or its upstreams change it is called once with an empty key (format ""): drop
  // everything cached of `repo` and of what merges it.
  using Listener = std::function<void(const store::RepositoryRef&, const store::PackageKey&)>;
  void add_listener(Listener listener);

  // Package groups' origin controls; without one every group decision is ALLOW. Set before
  // serving; must outlive this object.
  void set_origin_policy(OriginPolicy* policy) { policy_ = policy; }
  // Drops every cached snapshot and tells the listeners to drop everything (origin decisions
  // changed, e.g. a package group's configuration).
  void invalidate_caches();
  // The group decision for `r` (ALLOW without a policy).
  Result<GroupDecision> group_decision(const store::RepositoryRef& repo,
                                       const store::PackageKey& key, Restriction r);
  // group_decision()'s answer from memory alone, or nullopt (see OriginPolicy::peek).
  std::optional<GroupDecision> peek_group_decision(const store::RepositoryRef& repo,
                                                   const store::PackageKey& key, Restriction r);

  // ---- package-manager side: the caller was authenticated by an authorization token ----
  // The repository addressed by a package endpoint; kNotFound; kPermissionDenied when the
  // caller's account does not own the domain.
  Result<store::RepositoryRef> repository(const auth::Principal& caller, const std::string& owner,
                                          const std::string& domain, const std::string& repo);
  // The package as stored (never from the snapshot cache; an absent package is remembered).
  Result<store::PackageSnapshot> read(const store::RepositoryRef& repo,
                                      const store::PackageKey& key);
  Result<std::unique_ptr<blob::BlobWriter>> begin_blob();
  Result<std::unique_ptr<blob::BlobReader>> open_blob(const std::string& sha256, uint64_t offset);
  // Publishes a version that must not exist yet in any status (kAlreadyExists otherwise, whose
  // message formats may show). A new package gets origin publish=ALLOW, upstream=BLOCK.
  // kPermissionDenied, naming the restriction, when the package's publish=BLOCK or its package
  // group's PUBLISH restriction does not allow the repository (§6.6).
  Result<store::PackageVersion> publish(const store::RepositoryRef& repo,
                                        const store::PackageKey& key, NewVersion input);
  // Sets/removes tags; setting a tag to a version that is absent or Disposed is kNotFound.
  Status set_dist_tags(const store::RepositoryRef& repo, const store::PackageKey& key,
                       const std::map<std::string, std::optional<std::string>>& changes);
  // Edits one version's metadata in place (npm deprecate); the revision is recomputed.
  Status update_version(const store::RepositoryRef& repo, const store::PackageKey& key,
                        const std::string& version,
                        const std::function<Status(store::PackageVersion&)>& edit);
  // Removes versions (npm unpublish); removing the last one removes the package.
  Status remove_versions(const store::RepositoryRef& repo, const store::PackageKey& key,
                         const std::vector<std::string>& versions);
  Status remove_package(const store::RepositoryRef& repo, const store::PackageKey& key);
  // Keeps a reference to a version that came from an upstream repository or an external
  // connection (reference §5.3): `version` keeps its origin (origin_type, entry point) and is
  // stored Published in `repo` unless the repository already has that version in any status.
  // A package created this way gets origin publish=BLOCK, upstream=ALLOW (§6.1). Its assets'
  // blobs must be stored (kUnavailable otherwise). The revision is computed when empty.
  Status retain(const store::RepositoryRef& repo, const store::PackageKey& key,
                store::PackageVersion version);
  // An asset of a downloadable version; kNotFound otherwise (Archived, Disposed, Unfinished).
  Result<AssetHandle> open_asset(const store::RepositoryRef& repo, const store::PackageKey& key,
                                 const std::string& version, const std::string& asset_name);

  // ---- cache-only lookups: never read the store, so an I/O thread may call them ----
  // repository()'s answer when it is known from memory alone (validation and the access check
  // pass and the repository is remembered as existing), else nullopt: call repository().
  std::optional<store::RepositoryRef> peek_repository(const auth::Principal& caller,
                                                      const std::string& owner,
                                                      const std::string& domain,
                                                      const std::string& repo);
  // open_asset()'s answer (the asset and its local path, without copying the version's
  // metadata) from the cached package snapshot, or nullopt when the package is not cached: call
  // open_asset().
  std::optional<Result<AssetLocation>> peek_asset(const store::RepositoryRef& repo,
                                                  const store::PackageKey& key,
                                                  const std::string& version,
                                                  const std::string& asset_name);
  // Whether `version` of the package exists in any status, with one indexed store read (no
  // package load); false when the package does not exist, kNotFound when the repository does
  // not.
  Result<bool> has_version(const store::RepositoryRef& repo, const store::PackageKey& key,
                           const std::string& version);
  // The cached snapshot of the package: nullopt when nothing is cached, nullptr when the package
  // is known to be absent. Never reads the store.
  std::optional<std::shared_ptr<const store::PackageSnapshot>> peek_package(
      const store::RepositoryRef& repo, const store::PackageKey& key);
  // Loads the package into the snapshot cache if it is not there (blocking; best effort): after
  // a pull-through miss retained a version, so the next miss of the package resolves from memory.
  void warm(const store::RepositoryRef& repo, const store::PackageKey& key);

  // ---- control plane: caller access checked against the domain owner ----
  Result<store::Package> describe_package(const auth::Principal& caller, const PackageInput& in);
  Result<PageOf<store::Package>> list_packages(const auth::Principal& caller,
                                               const RepositoryInput& repo,
                                               const store::PackageFilter& filter,
                                               const ListParams& p);
  Result<store::Package> delete_package(const auth::Principal& caller, const PackageInput& in);
  Result<VersionPage> list_versions(const auth::Principal& caller, const PackageInput& in,
                                    const VersionListFilter& filter, const ListParams& p);
  Result<store::PackageVersion> describe_version(const auth::Principal& caller,
                                                 const PackageInput& in,
                                                 const std::string& version);
  Result<AssetHandle> get_asset(const auth::Principal& caller, const PackageInput& in,
                                const std::string& version, const std::string& asset,
                                const std::optional<std::string>& revision);
  Result<BatchResult> update_status(const auth::Principal& caller, const PackageInput& in,
                                    const BatchRequest& req, const std::string& target_status);
  Result<BatchResult> delete_versions(const auth::Principal& caller, const PackageInput& in,
                                      const BatchRequest& req);
  Result<BatchResult> dispose_versions(const auth::Principal& caller, const PackageInput& in,
                                       const BatchRequest& req);
  Result<BatchResult> copy_versions(const auth::Principal& caller, const PackageInput& source,
                                    const std::string& destination_repository,
                                    const BatchRequest& req, bool allow_overwrite,
                                    bool include_from_upstream);
  Result<store::OriginRestrictions> put_origin_configuration(
      const auth::Principal& caller, const PackageInput& in,
      const store::OriginRestrictions& restrictions);

 private:
  // Decides one version's fate inside a batch: appends writes to the mutation and a success or
  // failure to the result.
  using VersionDecider =
      std::function<void(const store::PackageSnapshot&, const store::PackageVersion&,
                         store::PackageMutation&, BatchResult&)>;
  Result<BatchResult> run_batch(const auth::Principal& caller, const PackageInput& in,
                                const BatchRequest& req, const char* action,
                                const VersionDecider& decide);
  Result<std::pair<store::RepositoryRef, store::PackageKey>> resolve(const auth::Principal& caller,
                                                                     const PackageInput& in,
                                                                     const char* action);
  Result<store::MutationOutcome> mutate(const store::RepositoryRef& repo,
                                        const store::PackageKey& key,
                                        const store::MetadataStore::PackageMutator& fn);
  void reclaim(const std::vector<std::string>& blobs);
  // The named asset of `v` with its local path; kNotFound when `v` has no such asset.
  Result<AssetHandle> asset_handle(const store::PackageVersion& v, const std::string& asset_name);
  // open_asset's rules applied to a snapshot: the asset of a downloadable version, or kNotFound.
  Result<AssetHandle> downloadable_asset(const store::PackageSnapshot& snap,
                                         const std::string& version, const std::string& asset_name);
  // The version and asset downloadable_asset() answers with, as pointers into `snap`.
  Result<std::pair<const store::PackageVersion*, const store::Asset*>> find_downloadable(
      const store::PackageSnapshot& snap, const std::string& version,
      const std::string& asset_name);
  // Checks the version's blobs exist and commits it, under blob_gc_mu_.
  Result<store::MutationOutcome> commit_version(const store::RepositoryRef& repo,
                                                const store::PackageKey& key,
                                                const NewVersion& input);
  // After a write to the package: its cached snapshot is dropped or, when the write only added
  // `added` (retention of an upstream version), given that version, so that a cold install does
  // not reload the whole package after every version it fetches. Then the listeners are told.
  void notify(const store::RepositoryRef& repo, const store::PackageKey& key,
              const store::PackageVersion* added = nullptr);
  void notify_listeners(const store::RepositoryRef& repo, const store::PackageKey& key);

  store::MetadataStore& store_;
  blob::BlobStore& blobs_;
  ControlPlane& control_;
  OriginPolicy* policy_ = nullptr;
  std::mutex blob_gc_mu_;  // see reclaim()
  // Snapshots for downloads (open_asset) and pull-through resolution, dropped on every write to
  // their package by this node; nullptr records a package known to be absent.
  // Another node's writes are not seen here until this node writes the package: multi-node
  // deployments need a shared invalidation signal (issue K).
  Result<std::shared_ptr<const store::PackageSnapshot>> cached_snapshot(
      const store::RepositoryRef& repo, const store::PackageKey& key);
  // Caches `snap` (nullptr: absent) under `k` unless a write happened since `generation`.
  void remember(std::string k, uint64_t generation,
                std::shared_ptr<const store::PackageSnapshot> snap);
  uint64_t generation();
  static std::string snapshot_key(const store::RepositoryRef& repo, const store::PackageKey& key);
  static constexpr size_t kMaxCachedSnapshots = 4096;
  std::mutex snapshots_mu_;
  uint64_t snapshot_generation_ = 0;  // guarded by snapshots_mu_
  std::unordered_map<std::string, std::shared_ptr<const store::PackageSnapshot>> snapshots_;
  std::unordered_set<std::string> known_repositories_;  // guarded by snapshots_mu_
  std::mutex listeners_mu_;
  std::vector<Listener> listeners_;
};

}  // namespace arca::core
