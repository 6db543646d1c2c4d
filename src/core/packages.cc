// Packages: identity, revisions, and the package-manager side (publish, tags, downloads).
#include "core/packages.h"

#include <algorithm>
#include <cctype>

#include "core/access.h"
#include "core/names.h"
#include "core/validate.h"
#include "util/clock.h"
#include "util/crypto.h"

namespace arca::core {

bool is_listable(std::string_view s) { return s == status::kPublished; }
bool is_downloadable(std::string_view s) {
  return s == status::kPublished || s == status::kUnlisted;
}

namespace {

// §1.5: namespace / name / version are 1–255 chars of [^#/\s], and never control characters.
Status validate_identity_part(std::string_view field, std::string_view v) {
  if (v.empty() || v.size() > 255)
    return field_error(field, v, "Member must have length between 1 and 255");
  for (char c : v)
    if (c == '#' || c == '/' || std::isspace(static_cast<unsigned char>(c)))
      return field_error(field, v, "Member must satisfy regular expression pattern: [^#/\\s]+");
  if (has_control_chars(v))
    return field_error(field, v, "Member must not contain control characters");
  return {};
}

}  // namespace

const store::PackageVersion* find_version(const store::PackageSnapshot& snapshot,
                                          std::string_view version) {
  for (const auto& v : snapshot.versions)
    if (v.version == version) return &v;
  return nullptr;
}

Status validate_version_string(std::string_view field, std::string_view version) {
  return validate_identity_part(field, version);
}

Result<store::PackageKey> make_package_key(std::string_view format, std::string_view ns,
                                           std::string_view name) {
  ARCA_TRY(validate_format("format", format));
  ARCA_TRY(validate_identity_part("package", name));
  NamespaceRule rule = namespace_rule(format);
  if (!ns.empty()) ARCA_TRY(validate_identity_part("namespace", ns));
  if (rule == NamespaceRule::kRequired && ns.empty())
    return invalid_argument("A namespace is required for " + std::string(format) + " packages");
  if (rule == NamespaceRule::kForbidden && !ns.empty())
    return invalid_argument("A namespace must not be given for " + std::string(format) +
                            " packages");
  store::PackageKey key{std::string(format), std::string(ns), std::string(name)};
  if (format == "pypi") key.name = pep503_normalize(name);
  if (format == "nuget") key.name = ascii_lower(name);
  if (format == "swift") {
    key.namespace_ = ascii_lower(ns);
    key.name = ascii_lower(name);
  }
  return key;
}

std::string compute_revision(const store::PackageVersion& v) {
  crypto::Hasher h(crypto::Algo::kSha256);
  auto field = [&h](std::string_view s) {
    h.update(std::to_string(s.size()));
    h.update(":");
    h.update(s);
  };
  field(v.version);
  for (const auto& a : v.assets) {
    field(a.name);
    field(a.sha256);
  }
  field(v.format_metadata);
  field(v.summary);
  field(v.home_page);
  field(v.source_code_repository);
  field(v.readme);
  return crypto::base64_encode(h.finish());
}

Packages::Packages(store::MetadataStore& store, blob::BlobStore& blobs, ControlPlane& control)
    : store_(store), blobs_(blobs), control_(control) {
  control_.on_repository_changed([this](const store::RepositoryRef& repo) {
    {
      std::lock_guard lock(snapshots_mu_);
      ++snapshot_generation_;
      snapshots_.clear();
      known_repositories_.clear();
    }
    notify_listeners(repo, store::PackageKey{});
  });
}

Result<store::MutationOutcome> Packages::mutate(const store::RepositoryRef& repo,
                                                const store::PackageKey& key,
                                                const store::MetadataStore::PackageMutator& fn) {
  ARCA_ASSIGN_OR_RETURN(auto outcome, store_.mutate_package(repo, key, fn));
  reclaim(outcome.unreferenced_blobs);
  notify(repo, key);
  return outcome;
}

namespace {
Error version_not_found(const std::string& version) {
  return not_found("package-version", version, "Version " + version + " not found");
}
}  // namespace

void Packages::reclaim(const std::vector<std::string>& keys) {
  if (keys.empty()) return;
  std::lock_guard lock(blob_gc_mu_);
  for (const auto& k : keys) {
    auto refs = store_.count_blob_references(k);
    if (refs && *refs == 0) (void)blobs_.remove(k);
  }
}

Result<store::RepositoryRef> Packages::repository(const auth::Principal& caller,
                                                  const std::string& owner,
                                                  const std::string& domain,
                                                  const std::string& repo) {
  // Validation and the access check need no store read; only existence does, and it is
  // remembered until a repository is deleted (every package request passes here).
  ARCA_TRY(validate_repository_name("repository", repo));
  ARCA_ASSIGN_OR_RETURN(std::string o,
                        control_.resolve_owner(caller, owner, domain, "ReadFromRepository"));
  store::RepositoryRef ref{o, domain, repo};
  std::string key = store::repository_key(ref);
  uint64_t generation = 0;
  {
    std::lock_guard lock(snapshots_mu_);
    if (known_repositories_.count(key)) return ref;
    generation = snapshot_generation_;
  }
  ARCA_TRY(store_.get_repository(o, domain, repo));
  std::lock_guard lock(snapshots_mu_);
  if (generation == snapshot_generation_) {
    if (known_repositories_.size() >= kMaxCachedSnapshots) known_repositories_.clear();
    known_repositories_.insert(std::move(key));
  }
  return ref;
}

Result<store::PackageSnapshot> Packages::read(const store::RepositoryRef& repo,
                                              const store::PackageKey& key) {
  uint64_t before = generation();
  auto snap = store_.get_package(repo, key);
  // An absent package is remembered (a cold pull-through reads every repository of the chain
  // for the packument, then asks again for the tarball); a present one is not copied here.
  if (!snap && store::is_absent_package(snap.error()))
    remember(snapshot_key(repo, key), before, nullptr);
  return snap;
}

Result<std::unique_ptr<blob::BlobWriter>> Packages::begin_blob() { return blobs_.begin_write(); }

Result<std::unique_ptr<blob::BlobReader>> Packages::open_blob(const std::string& sha256,
                                                              uint64_t offset) {
  return blobs_.open(sha256, offset);
}

namespace {
// A publish refused by an origin control; the message names the control (§6.6).
Error publish_blocked(const store::PackageKey& key, const store::RepositoryRef& repo,
                      const std::string& by, const std::string& setting) {
  std::string name = key.format == "npm" && !key.namespace_.empty()
                         ? "@" + key.namespace_ + "/" + key.name
                         : store::package_display(key);
  return Error{Code::kPermissionDenied, "Publishing " + name + " to repository " + repo.repository +
                                            " is blocked by " + by + " (" + setting + ")"};
}
}  // namespace

Result<store::PackageVersion> Packages::publish(const store::RepositoryRef& repo,
                                                const store::PackageKey& key, NewVersion input) {
  store::PackageVersion& v = input.version;
  ARCA_TRY(validate_version_string("version", v.version));
  v.status = input.unfinished ? status::kUnfinished : status::kPublished;
  v.published_time = now_epoch();
  v.origin_type = "INTERNAL";
  v.entry_repository = repo.repository;
  v.entry_external_connection.clear();
  v.revision = compute_revision(v);
  auto decision = group_decision(repo, key, Restriction::kPublish);
  Result<store::MutationOutcome> outcome =
      !decision            ? Result<store::MutationOutcome>(decision.error())
      : !decision->allowed ? Result<store::MutationOutcome>(
                                 publish_blocked(key, repo, "package group " + decision->group,
                                                 "PUBLISH=" + decision->effective_mode))
                           : commit_version(repo, key, input);
  if (!outcome) {
    // A refused publish (e.g. the version exists) leaves no bytes behind. Another publish that
    // needs the same blob and has not committed yet then fails its existence check and is told
    // to retry; a reference is never committed to a removed blob.
    std::vector<std::string> blobs;
    for (const auto& a : v.assets) blobs.push_back(a.sha256);
    reclaim(blobs);
    return outcome.error();
  }
  notify(repo, key);
  return v;
}

Result<store::MutationOutcome> Packages::commit_version(const store::RepositoryRef& repo,
                                                        const store::PackageKey& key,
                                                        const NewVersion& input) {
  const store::PackageVersion& v = input.version;
  std::lock_guard gc(blob_gc_mu_);
  for (const auto& a : v.assets)
    if (!blobs_.stat(a.sha256))
      return unavailable("Asset " + a.name + " is no longer stored; retry the publish");
  // Only this version is loaded (not every version of the package): all the check needs.
  return store_.mutate_versions(
      repo, key, {v.version},
      [&](const std::optional<store::PackageSnapshot>& snap) -> Result<store::PackageMutation> {
        store::PackageMutation m;
        if (!snap) m.origin = store::OriginRestrictions{"ALLOW", "BLOCK"};
        if (snap && snap->package.origin.publish == "BLOCK")
          return publish_blocked(key, repo, "the package's origin configuration", "publish=BLOCK");
        if (snap && find_version(*snap, v.version))
          return already_exists("package-version", v.version,
                                "Version " + v.version + " of package " +
                                    store::package_display(key) + " already exists in repository " +
                                    repo.repository);
        m.upsert_versions.push_back(v);
        m.dist_tags = input.dist_tags;
        return m;
      });
}

Result<GroupDecision> Packages::group_decision(const store::RepositoryRef& repo,
                                               const store::PackageKey& key, Restriction r) {
  if (!policy_) return GroupDecision{};
  return policy_->decide(repo, key, r);
}

std::optional<GroupDecision> Packages::peek_group_decision(const store::RepositoryRef& repo,
                                                           const store::PackageKey& key,
                                                           Restriction r) {
  if (!policy_) return GroupDecision{};
  return policy_->peek(repo, key, r);
}

Status Packages::set_dist_tags(const store::RepositoryRef& repo, const store::PackageKey& key,
                               const std::map<std::string, std::optional<std::string>>& changes) {
  auto r = mutate(
      repo, key,
      [&](const std::optional<store::PackageSnapshot>& snap) -> Result<store::PackageMutation> {
        if (!snap) return not_found("package", store::package_display(key), "Package not found");
        for (const auto& [tag, version] : changes) {
          if (!version) continue;
          // A Disposed version can never be installed again: no tag may point at it.
          const store::PackageVersion* v = find_version(*snap, *version);
          if (!v || v->status == status::kDisposed)
            return not_found("package-version", *version, "Version " + *version + " not found");
        }
        store::PackageMutation m;
        m.dist_tags = changes;
        return m;
      });
  if (!r) return r.error();
  return {};
}

Status Packages::update_version(const store::RepositoryRef& repo, const store::PackageKey& key,
                                const std::string& version,
                                const std::function<Status(store::PackageVersion&)>& edit) {
  auto r = mutate(
      repo, key,
      [&](const std::optional<store::PackageSnapshot>& snap) -> Result<store::PackageMutation> {
        const store::PackageVersion* cur = snap ? find_version(*snap, version) : nullptr;
        if (!cur) return not_found("package-version", version, "Version " + version + " not found");
        store::PackageVersion v = *cur;
        ARCA_TRY(edit(v));
        v.revision = compute_revision(v);
        store::PackageMutation m;
        m.upsert_versions.push_back(std::move(v));
        return m;
      });
  if (!r) return r.error();
  return {};
}

Status Packages::remove_versions(const store::RepositoryRef& repo, const store::PackageKey& key,
                                 const std::vector<std::string>& versions) {
  auto r = mutate(
      repo, key,
      [&](const std::optional<store::PackageSnapshot>& snap) -> Result<store::PackageMutation> {
        if (!snap) return not_found("package", store::package_display(key), "Package not found");
        store::PackageMutation m;
        size_t remaining = snap->versions.size();
        for (const auto& v : versions) {
          if (!find_version(*snap, v))
            return not_found("package-version", v, "Version " + v + " not found");
          m.delete_versions.push_back(v);
          --remaining;
        }
        for (const auto& [tag, target] : snap->package.dist_tags)
          if (std::find(versions.begin(), versions.end(), target) != versions.end())
            m.dist_tags[tag] = std::nullopt;
        m.delete_package = remaining == 0;
        return m;
      });
  if (!r) return r.error();
  return {};
}

Status Packages::remove_package(const store::RepositoryRef& repo, const store::PackageKey& key) {
  auto r = mutate(
      repo, key,
      [&](const std::optional<store::PackageSnapshot>& snap) -> Result<store::PackageMutation> {
        if (!snap) return not_found("package", store::package_display(key), "Package not found");
        store::PackageMutation m;
        m.delete_package = true;
        return m;
      });
  if (!r) return r.error();
  return {};
}

Result<AssetHandle> Packages::open_asset(const store::RepositoryRef& repo,
                                         const store::PackageKey& key, const std::string& version,
                                         const std::string& asset_name) {
  std::shared_ptr<const store::PackageSnapshot> snap;
  if (auto cached = peek_package(repo, key)) {
    if (!*cached) return version_not_found(version);
    snap = std::move(*cached);
  } else {
    // A version that is not here (a pull-through miss, just after the package was written) is
    // refused by one indexed query instead of a load of the whole package.
    ARCA_ASSIGN_OR_RETURN(bool here, store_.has_version(repo, key, version));
    if (!here) return version_not_found(version);
    ARCA_ASSIGN_OR_RETURN(snap, cached_snapshot(repo, key));
  }
  return downloadable_asset(*snap, version, asset_name);
}

Result<AssetHandle> Packages::downloadable_asset(const store::PackageSnapshot& snap,
                                                 const std::string& version,
                                                 const std::string& asset_name) {
  ARCA_ASSIGN_OR_RETURN(auto found, find_downloadable(snap, version, asset_name));
  AssetHandle h{*found.first, *found.second, blobs_.local_path(found.second->sha256)};
  h.version.assets.clear();
  return h;
}

Result<std::pair<const store::PackageVersion*, const store::Asset*>> Packages::find_downloadable(
    const store::PackageSnapshot& snap, const std::string& version, const std::string& asset_name) {
  const store::PackageVersion* v = find_version(snap, version);
  if (!v || !is_downloadable(v->status)) return version_not_found(version);
  for (const auto& a : v->assets)
    if (a.name == asset_name) return std::make_pair(v, &a);
  return not_found("asset", asset_name,
                   "Asset " + asset_name + " not found in version " + v->version);
}

std::optional<store::RepositoryRef> Packages::peek_repository(const auth::Principal& caller,
                                                              const std::string& owner,
                                                              const std::string& domain,
                                                              const std::string& repo) {
  if (!validate_repository_name("repository", repo)) return std::nullopt;
  auto o = control_.resolve_owner(caller, owner, domain, "ReadFromRepository");
  if (!o) return std::nullopt;
  store::RepositoryRef ref{std::move(*o), domain, repo};
  std::string key = store::repository_key(ref);
  std::lock_guard lock(snapshots_mu_);
  if (!known_repositories_.count(key)) return std::nullopt;
  return ref;
}

std::optional<Result<AssetLocation>> Packages::peek_asset(const store::RepositoryRef& repo,
                                                          const store::PackageKey& key,
                                                          const std::string& version,
                                                          const std::string& asset_name) {
  auto snap = peek_package(repo, key);
  if (!snap) return std::nullopt;
  if (!*snap) return Result<AssetLocation>(version_not_found(version));
  auto found = find_downloadable(**snap, version, asset_name);
  if (!found) return Result<AssetLocation>(found.error());
  const store::Asset& a = *found->second;
  return Result<AssetLocation>(AssetLocation{a, blobs_.local_path(a.sha256)});
}

Result<bool> Packages::has_version(const store::RepositoryRef& repo, const store::PackageKey& key,
                                   const std::string& version) {
  return store_.has_version(repo, key, version);
}

Result<AssetHandle> Packages::asset_handle(const store::PackageVersion& v,
                                           const std::string& asset_name) {
  for (const auto& a : v.assets)
    if (a.name == asset_name) {
      AssetHandle h{v, a, blobs_.local_path(a.sha256)};
      h.version.assets.clear();
      return h;
    }
  return not_found("asset", asset_name,
                   "Asset " + asset_name + " not found in version " + v.version);
}

}  // namespace arca::core
