#pragma once
// BlobStoreWrapper: a BlobStore that forwards every call to another one (as LevelDB's
// EnvWrapper). Subclass it to intercept a few methods: fault injection, metrics, tracing.
//
// Ownership: either borrows the target (which must outlive the wrapper) or owns it.
// Thread safety and errors: exactly those of the target.
#include <memory>
#include <string>
#include <utility>

#include "blob/blob_store.h"

namespace arca::blob {

class BlobStoreWrapper : public BlobStore {
 public:
  explicit BlobStoreWrapper(BlobStore& target) : target_(target) {}
  explicit BlobStoreWrapper(std::unique_ptr<BlobStore> target)
      : owned_(std::move(target)), target_(*owned_) {}

  BlobStore& target() { return target_; }

  Result<std::unique_ptr<BlobWriter>> begin_write() override { return target_.begin_write(); }
  Result<BlobInfo> stat(const std::string& sha256) override { return target_.stat(sha256); }
  Result<std::unique_ptr<BlobReader>> open(const std::string& sha256,
                                           uint64_t offset = 0) override {
    return target_.open(sha256, offset);
  }
  std::optional<std::string> local_path(const std::string& sha256) override {
    return target_.local_path(sha256);
  }
  Status remove(const std::string& sha256) override { return target_.remove(sha256); }
  Result<std::vector<std::string>> list() override { return target_.list(); }

 private:
  std::unique_ptr<BlobStore> owned_;  // null when borrowed
  BlobStore& target_;
};

}  // namespace arca::blob
