#pragma once
// Streaming parse of an npm publish document (PUT /{name}): the JSON
//   {_id, name, dist-tags, versions{v: manifest}, readme, access,
//    _attachments{"name-1.0.0.tgz": {content_type, data: base64, length}}}
// arrives spooled to disk and may be up to 2 GiB. It is never loaded whole: attachment data is
// base64-decoded piece by piece into a TarballSink (hashed on the way), and every other member
// is kept as JSON under a size cap.
#include <boost/json/object.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/error.h"

namespace arca::formats::npm {

struct ParseLimits {
  uint64_t max_retained_bytes = 16u << 20;  // all members except attachment data
  size_t max_depth = 64;
};

// Receives decoded tarball bytes in order. An error stops the parse and is returned as is.
class TarballSink {
 public:
  virtual ~TarballSink() = default;
  virtual Status write(std::string_view bytes) = 0;
};

struct AttachmentInfo {
  std::string file;  // its key in _attachments
  std::string content_type;
  std::optional<int64_t> declared_length;
  uint64_t size = 0;       // decoded bytes
  std::string sha1_hex;    // of the decoded bytes
  std::string sha512_raw;  // of the decoded bytes
  bool gzip = false;       // starts with 1f 8b
};

struct PublishDocument {
  boost::json::object doc;                  // every member except _attachments
  bool has_attachments = false;             // the document had an _attachments member
  std::vector<AttachmentInfo> attachments;  // those whose data was a string, in order
};

// Feed the document in pieces of any size, then finish(). Only the first attachment's bytes go
// to the sink; later ones are hashed and counted but not written (a valid publish has one).
// Errors: kInvalidArgument (malformed JSON, not an object, bad base64, data not a string),
// kTooLarge (retained members over the cap), or the sink's error.
class PublishDocumentParser {
 public:
  explicit PublishDocumentParser(TarballSink* sink, ParseLimits limits = {});
  ~PublishDocumentParser();
  PublishDocumentParser(const PublishDocumentParser&) = delete;
  PublishDocumentParser& operator=(const PublishDocumentParser&) = delete;

  Status write(std::string_view chunk);
  Result<PublishDocument> finish();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// Parses a spooled file through PublishDocumentParser in 64 KiB reads.
Result<PublishDocument> parse_publish_file(const std::string& path, TarballSink* sink,
                                           ParseLimits limits = {});

}  // namespace arca::formats::npm
