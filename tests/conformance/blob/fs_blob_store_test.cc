#include "blob/fs/fs_blob_store.h"

#include <gtest/gtest.h>

#include "blob/fault_injecting_blob_store.h"
#include "conformance/blob/blob_store_conformance.h"

namespace arca::blob::conformance {
namespace {

std::unique_ptr<BlobStore> make_fs_store(const std::string& tempdir) {
  auto store = FsBlobStore::open(tempdir + "/blobs");
  if (!store) ADD_FAILURE() << store.error().message;
  return store ? std::move(*store) : nullptr;
}

std::unique_ptr<BlobStore> make_wrapped_fs_store(const std::string& tempdir) {
  auto inner = make_fs_store(tempdir);
  if (!inner) return nullptr;
  return std::make_unique<FaultInjectingBlobStore>(std::move(inner));
}

}  // namespace

ARCA_INSTANTIATE_BLOB_STORE_CONFORMANCE(
    Fs, ::testing::Values(NamedBlobStoreFactory{"Fs", make_fs_store},
                          NamedBlobStoreFactory{"FaultInjectingNoFaults", make_wrapped_fs_store}));

}  // namespace arca::blob::conformance
