#pragma once
// The on-disk blob tree of FsBlobStore: ROOT/sha256/<first two hex digits of the key>/<key>.
//
// One level of 256 shard directories: once a store holds a few thousand blobs every shard
// exists, and a commit pays the fsync of its file and of its shard's new entry, nothing more.
// (With the two-level layout this replaces, ROOT/sha256/ab/cd/<key>, a store under ~65 k blobs
// made a new directory for most commits, plus the fsyncs of its parents.) Shards are made by the
// first commit into them, not at open: making 256 directories costs ~90 ms on ext4 without a
// journal. Ext4 and XFS index large directories, so 256 shards serve tens of millions of blobs.
//
// ROOT/layout records the layout; when it is missing, prepare() moves the blobs of the two-level
// layout into their shard. The move is a rename per blob, idempotent, and safe to resume after a
// crash.
// Internal to src/blob/fs.
#include <string>
#include <vector>

#include "util/error.h"

namespace arca::blob::layout {

std::string shard_dir(const std::string& root, const std::string& key);  // ROOT/sha256/ab
// 0..255: the shard's number, from the key's first two hex digits.
size_t shard_index(const std::string& key);
std::string blob_path(const std::string& root, const std::string& key);

// Makes ROOT/sha256 (durably), migrates a two-level tree, writes ROOT/layout.
Status prepare(const std::string& root);

// Every well-formed key in its own shard, sorted. Strays (editor backups, misplaced or foreign
// files, unknown directories) are not blobs and are skipped.
Result<std::vector<std::string>> list(const std::string& root);

// Names in `dir` except "." and "..". With `lenient`, an entry that is not a directory or has
// vanished lists as empty.
Result<std::vector<std::string>> list_dir(const std::string& dir, bool lenient = false);

}  // namespace arca::blob::layout
