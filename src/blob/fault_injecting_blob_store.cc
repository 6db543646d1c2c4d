#include "blob/fault_injecting_blob_store.h"

#include <algorithm>
#include <string>

namespace arca::blob {

namespace {

Error injected_fault(const std::string& what) { return unavailable("injected fault: " + what); }

class FaultInjectingWriter final : public BlobWriter {
 public:
  FaultInjectingWriter(std::unique_ptr<BlobWriter> target, const BlobFaults& faults)
      : target_(std::move(target)), faults_(faults) {}

  Status write(std::string_view chunk) override {
    if (poisoned_) return injected_fault("write after a failed write");
    if (faults_.fail_write_after_bytes) {
      uint64_t limit = *faults_.fail_write_after_bytes;
      uint64_t room = limit - std::min(limit, target_->bytes_written());
      if (chunk.size() > room) {
        poisoned_ = true;
        ARCA_TRY(target_->write(chunk.substr(0, static_cast<size_t>(room))));
        return injected_fault("write failed after " + std::to_string(limit) + " bytes");
      }
    }
    return target_->write(chunk);
  }

  Result<BlobInfo> commit(const CommitExpectations& expect) override {
    if (poisoned_) return injected_fault("commit after a failed write");
    if (faults_.fail_commit) {
      poisoned_ = true;
      return injected_fault("commit failed before the blob became visible");
    }
    return target_->commit(expect);
  }

  uint64_t bytes_written() const override { return target_->bytes_written(); }
  // share_file() is not forwarded: a failing writer's callers keep their own copy.

 private:
  std::unique_ptr<BlobWriter> target_;
  const BlobFaults faults_;
  bool poisoned_ = false;
};

class FaultInjectingReader final : public BlobReader {
 public:
  FaultInjectingReader(std::unique_ptr<BlobReader> target, uint64_t fail_after)
      : target_(std::move(target)), remaining_(fail_after) {}

  Result<size_t> read(char* buf, size_t len) override {
    if (remaining_ == 0 && len > 0) return injected_fault("read failed");
    size_t want = static_cast<size_t>(std::min<uint64_t>(len, remaining_));
    ARCA_ASSIGN_OR_RETURN(size_t n, target_->read(buf, want));
    remaining_ -= n;
    return n;
  }

  uint64_t size() const override { return target_->size(); }

 private:
  std::unique_ptr<BlobReader> target_;
  uint64_t remaining_;
};

}  // namespace

void FaultInjectingBlobStore::set_faults(const BlobFaults& faults) {
  std::lock_guard lock(mu_);
  faults_ = faults;
}

BlobFaults FaultInjectingBlobStore::faults() const {
  std::lock_guard lock(mu_);
  return faults_;
}

Result<std::unique_ptr<BlobWriter>> FaultInjectingBlobStore::begin_write() {
  BlobFaults f = faults();
  if (f.fail_begin_write) return injected_fault("begin_write failed");
  ARCA_ASSIGN_OR_RETURN(std::unique_ptr<BlobWriter> w, BlobStoreWrapper::begin_write());
  if (!f.fail_write_after_bytes && !f.fail_commit) return w;
  return std::unique_ptr<BlobWriter>(new FaultInjectingWriter(std::move(w), f));
}

Result<std::unique_ptr<BlobReader>> FaultInjectingBlobStore::open(const std::string& sha256,
                                                                  uint64_t offset) {
  BlobFaults f = faults();
  if (f.fail_open) return injected_fault("open failed");
  ARCA_ASSIGN_OR_RETURN(std::unique_ptr<BlobReader> r, BlobStoreWrapper::open(sha256, offset));
  if (!f.fail_read_after_bytes) return r;
  return std::unique_ptr<BlobReader>(
      new FaultInjectingReader(std::move(r), *f.fail_read_after_bytes));
}

Status FaultInjectingBlobStore::remove(const std::string& sha256) {
  if (faults().fail_remove) return injected_fault("remove failed");
  return BlobStoreWrapper::remove(sha256);
}

Result<std::vector<std::string>> FaultInjectingBlobStore::list() {
  if (faults().fail_list) return injected_fault("list failed");
  return BlobStoreWrapper::list();
}

}  // namespace arca::blob
