#pragma once
// FaultInjectingBlobStore: a BlobStoreWrapper that fails chosen operations with kUnavailable, so
// tests can prove that every failure leaves nothing visible (as LevelDB's FaultInjectionTestEnv).
//
// With no faults set it forwards everything unchanged. Faults are read when a writer or reader is
// created: set them before begin_write()/open(). Failing writers and readers own the target's
// writer/reader, so destroying them aborts the target's write as a real failure would.
//
// Errors: injected failures are kUnavailable with a message starting "injected fault: ".
// Thread safety: as BlobStore; set_faults() may race with other calls (guarded by a mutex).
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>

#include "blob/blob_store_wrapper.h"

namespace arca::blob {

struct BlobFaults {
  bool fail_begin_write = false;
  // write() forwards the bytes up to this total (a partial write, as on a full disk), then fails;
  // the writer is then poisoned: later write() and commit() fail too.
  std::optional<uint64_t> fail_write_after_bytes;
  // commit() fails without reaching the target's commit ("crash before the rename"): the target's
  // writer is destroyed with the failing one, so nothing becomes visible.
  bool fail_commit = false;
  bool fail_open = false;
  // A reader returns this many bytes in total, then read() fails.
  std::optional<uint64_t> fail_read_after_bytes;
  bool fail_remove = false;
  bool fail_list = false;
};

class FaultInjectingBlobStore final : public BlobStoreWrapper {
 public:
  using BlobStoreWrapper::BlobStoreWrapper;

  void set_faults(const BlobFaults& faults);
  void clear_faults() { set_faults(BlobFaults{}); }
  BlobFaults faults() const;

  Result<std::unique_ptr<BlobWriter>> begin_write() override;
  Result<std::unique_ptr<BlobReader>> open(const std::string& sha256, uint64_t offset = 0) override;
  Status remove(const std::string& sha256) override;
  Result<std::vector<std::string>> list() override;

 private:
  mutable std::mutex mu_;
  BlobFaults faults_;
};

}  // namespace arca::blob
