#include "blob/fs/layout.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <memory>

#include "blob/blob_key.h"
#include "blob/fs/posix_file.h"

namespace arca::blob::layout {

namespace {

constexpr char kLayoutFile[] = "/layout";
constexpr char kLayoutText[] = "sha256/xx/<sha256>\n";
constexpr char kHex[] = "0123456789abcdef";

bool is_shard_name(std::string_view name) {
  return name.size() == 2 && is_lower_hex(name[0]) && is_lower_hex(name[1]);
}

bool is_dir(const std::string& path) {
  struct stat st;
  return ::lstat(path.c_str(), &st) == 0 && S_ISDIR(st.st_mode);
}

// Moves the blobs of ROOT/sha256/<a>/<b>/ (the two-level layout) into ROOT/sha256/<a>/ and
// removes the emptied directory. A key already in place is the same content (content-addressed),
// so the old copy is dropped.
Status migrate_subshard(const std::string& shard, const std::string& a, const std::string& b) {
  const std::string old_dir = shard + "/" + b;
  ARCA_ASSIGN_OR_RETURN(std::vector<std::string> names, list_dir(old_dir, true));
  for (const std::string& name : names) {
    if (!is_valid_blob_key(name) || name.compare(0, 2, a) != 0 || name.compare(2, 2, b) != 0)
      continue;  // a stray stays where it is (and keeps the directory)
    const std::string from = old_dir + "/" + name, to = shard + "/" + name;
    if (::renameat2(AT_FDCWD, from.c_str(), AT_FDCWD, to.c_str(), RENAME_NOREPLACE) == 0) continue;
    if (errno == ENOENT) continue;  // another process sharing the root moved it first
    if (errno != EEXIST) return fs::errno_error("move blob to", to, errno);
    if (::unlink(from.c_str()) != 0 && errno != ENOENT)
      return fs::errno_error("unlink", from, errno);
  }
  ARCA_TRY(fs::fsync_dir(shard));
  ARCA_TRY(fs::fsync_dir(old_dir));
  if (::rmdir(old_dir.c_str()) != 0 && errno != ENOTEMPTY && errno != EEXIST && errno != ENOENT)
    return fs::errno_error("rmdir", old_dir, errno);
  return {};
}

Status migrate_two_level(const std::string& base) {
  for (int i = 0; i < 256; ++i) {
    const std::string a{kHex[i >> 4], kHex[i & 15]};
    const std::string shard = base + "/" + a;
    ARCA_ASSIGN_OR_RETURN(std::vector<std::string> names, list_dir(shard, true));
    for (const std::string& b : names) {
      if (is_shard_name(b) && is_dir(shard + "/" + b)) ARCA_TRY(migrate_subshard(shard, a, b));
    }
  }
  return fs::fsync_dir(base);
}

Status write_layout_file(const std::string& root) {
  const std::string path = root + kLayoutFile, tmp = path + ".tmp";
  fs::UniqueFd fd(::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640));
  if (!fd.valid()) return fs::errno_error("create", tmp, errno);
  ARCA_TRY(fs::write_all(fd.get(), kLayoutText, tmp));
  if (::fsync(fd.get()) != 0) return fs::errno_error("fsync", tmp, errno);
  ARCA_TRY(fd.close());
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    // Another process sharing the root wrote the same record first.
    if (errno != ENOENT || ::access(path.c_str(), F_OK) != 0)
      return fs::errno_error("rename to", path, errno);
  }
  return fs::fsync_dir(root);
}

}  // namespace

std::string shard_dir(const std::string& root, const std::string& key) {
  return root + "/sha256/" + key.substr(0, 2);
}

size_t shard_index(const std::string& key) { return std::stoul(key.substr(0, 2), nullptr, 16); }

std::string blob_path(const std::string& root, const std::string& key) {
  return shard_dir(root, key) + "/" + key;
}

Status prepare(const std::string& root) {
  bool created = false;
  ARCA_TRY(fs::ensure_dir(root + "/sha256", created));
  if (created) ARCA_TRY(fs::fsync_dir(root));
  if (::access((root + kLayoutFile).c_str(), F_OK) == 0) return {};
  ARCA_TRY(migrate_two_level(root + "/sha256"));
  return write_layout_file(root);
}

Result<std::vector<std::string>> list(const std::string& root) {
  std::vector<std::string> keys;
  const std::string base = root + "/sha256";
  ARCA_ASSIGN_OR_RETURN(std::vector<std::string> shards, list_dir(base));
  for (const std::string& a : shards) {
    if (!is_shard_name(a)) continue;
    ARCA_ASSIGN_OR_RETURN(std::vector<std::string> files, list_dir(base + "/" + a, true));
    for (std::string& name : files) {
      if (is_valid_blob_key(name) && name.compare(0, 2, a) == 0) keys.push_back(std::move(name));
    }
  }
  std::sort(keys.begin(), keys.end());
  return keys;
}

Result<std::vector<std::string>> list_dir(const std::string& dir, bool lenient) {
  std::unique_ptr<DIR, int (*)(DIR*)> d(::opendir(dir.c_str()), &::closedir);
  if (!d) {
    if (lenient && (errno == ENOTDIR || errno == ENOENT)) return std::vector<std::string>{};
    return fs::errno_error("opendir", dir, errno);
  }
  std::vector<std::string> names;
  errno = 0;
  while (dirent* e = ::readdir(d.get())) {
    std::string_view name(e->d_name);
    if (name != "." && name != "..") names.emplace_back(name);
    errno = 0;
  }
  if (errno != 0) return fs::errno_error("readdir", dir, errno);
  return names;
}

}  // namespace arca::blob::layout
