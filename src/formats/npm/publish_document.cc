#include "formats/npm/publish_document.h"

#include <boost/json/basic_parser_impl.hpp>
#include <boost/json/value_stack.hpp>
#include <cstdio>

#include "formats/npm/base64_stream.h"
#include "util/crypto.h"

namespace arca::formats::npm {

namespace {

using boost::json::string_view;
using ec_t = boost::system::error_code;

// Attachment data being decoded.
struct DataState {
  AttachmentInfo info;
  Base64StreamDecoder decoder;
  crypto::Hasher sha1{crypto::Algo::kSha1};
  crypto::Hasher sha512{crypto::Algo::kSha512};
  std::string head;  // first two bytes, for the gzip check
  bool to_sink = false;
};

// SAX handler: rebuilds every member but _attachments.*.data on a value_stack, counting the bytes
// it keeps; streams attachment data through a base64 decoder to the sink.
class Handler {
 public:
  static constexpr std::size_t max_array_size = std::size_t(-1);
  static constexpr std::size_t max_object_size = std::size_t(-1);
  static constexpr std::size_t max_string_size = std::size_t(-1);
  static constexpr std::size_t max_key_size = std::size_t(-1);

  Handler(TarballSink* sink, ParseLimits limits) : sink_(sink), limits_(limits) {}

  bool on_document_begin(ec_t&) {
    st_.reset();
    return true;
  }
  bool on_document_end(ec_t&) {
    result_ = st_.release();
    return true;
  }
  bool on_array_begin(ec_t& ec) { return open(false, ec); }
  bool on_array_end(std::size_t, ec_t& ec) { return close(ec); }
  bool on_object_begin(ec_t& ec) { return open(true, ec); }
  bool on_object_end(std::size_t, ec_t& ec) { return close(ec); }

  bool on_string_part(string_view s, std::size_t, ec_t& ec) {
    if (data_ || expect_data_) return decode(s, ec);
    if (!scalar_ok(ec) || !retain(s.size(), ec)) return false;
    st_.push_chars(s);
    return true;
  }
  bool on_string(string_view s, std::size_t, ec_t& ec) {
    if (data_ || expect_data_) return decode(s, ec) && end_data(ec);
    if (!scalar_ok(ec) || !retain(s.size(), ec)) return false;
    st_.push_string(s);
    return pushed();
  }
  bool on_key_part(string_view s, std::size_t, ec_t& ec) {
    if (!retain(s.size(), ec)) return false;
    key_.append(s.data(), s.size());
    return true;
  }
  bool on_key(string_view s, std::size_t, ec_t& ec) {
    if (!retain(s.size(), ec)) return false;
    key_.append(s.data(), s.size());
    size_t depth = frames_.size();
    if (depth == 1) top_key_ = key_;
    if (depth == 2 && top_key_ == "_attachments") attachment_key_ = key_;
    if (depth == 3 && top_key_ == "_attachments" && frames_[1].object && key_ == "data") {
      expect_data_ = true;  // the value is decoded, not kept; the key is dropped with it
    } else {
      st_.push_key(key_);
    }
    key_.clear();
    return true;
  }
  bool on_number_part(string_view, ec_t&) { return true; }
  bool on_int64(int64_t i, string_view, ec_t& ec) {
    return scalar_ok(ec) && retain(8, ec) && (st_.push_int64(i), pushed());
  }
  bool on_uint64(uint64_t u, string_view, ec_t& ec) {
    return scalar_ok(ec) && retain(8, ec) && (st_.push_uint64(u), pushed());
  }
  bool on_double(double d, string_view, ec_t& ec) {
    return scalar_ok(ec) && retain(8, ec) && (st_.push_double(d), pushed());
  }
  bool on_bool(bool b, ec_t& ec) {
    return scalar_ok(ec) && retain(8, ec) && (st_.push_bool(b), pushed());
  }
  bool on_null(ec_t& ec) { return scalar_ok(ec) && retain(8, ec) && (st_.push_null(), pushed()); }
  bool on_comment_part(string_view, ec_t&) { return true; }
  bool on_comment(string_view, ec_t&) { return true; }

  std::optional<Error> error;
  boost::json::value result_;
  std::vector<AttachmentInfo> attachments;

 private:
  bool fail(Error e, ec_t& ec) {
    error = std::move(e);
    ec = boost::system::errc::make_error_code(boost::system::errc::invalid_argument);
    return false;
  }
  bool retain(uint64_t n, ec_t& ec) {
    retained_ += n;
    if (retained_ <= limits_.max_retained_bytes) return true;
    return fail(Error{Code::kTooLarge,
                      "The publish document's metadata (everything but the tarball) exceeds " +
                          std::to_string(limits_.max_retained_bytes) + " bytes"},
                ec);
  }
  // A value other than a string where attachment data belongs.
  bool scalar_ok(ec_t& ec) {
    if (expect_data_)
      return fail(invalid_argument("_attachments data must be a base64 string"), ec);
    if (frames_.empty())
      return fail(invalid_argument("The publish document must be a JSON object"), ec);
    return true;
  }
  bool open(bool object, ec_t& ec) {
    if (expect_data_)
      return fail(invalid_argument("_attachments data must be a base64 string"), ec);
    if (frames_.empty() && !object)
      return fail(invalid_argument("The publish document must be a JSON object"), ec);
    if (frames_.size() >= limits_.max_depth)
      return fail(invalid_argument("The publish document is nested too deeply"), ec);
    if (!retain(8, ec)) return false;
    frames_.push_back({object, 0});
    return true;
  }
  bool close(ec_t&) {
    Frame f = frames_.back();
    frames_.pop_back();
    if (f.object) {
      st_.push_object(f.count);
    } else {
      st_.push_array(f.count);
    }
    return pushed();
  }
  bool pushed() {
    if (!frames_.empty()) ++frames_.back().count;
    return true;
  }
  bool decode(string_view s, ec_t& ec) {
    if (expect_data_) {
      expect_data_ = false;
      data_ = std::make_unique<DataState>();
      data_->info.file = attachment_key_;
      data_->to_sink = attachments.empty() && sink_ != nullptr;
    }
    buf_.clear();
    if (!data_->decoder.feed(s, buf_))
      return fail(invalid_argument("Attachment " + data_->info.file + " is not valid base64"), ec);
    return consume(ec);
  }
  bool consume(ec_t& ec) {
    if (buf_.empty()) return true;
    DataState& d = *data_;
    if (d.head.size() < 2) d.head.append(buf_.substr(0, 2 - d.head.size()));
    d.info.size += buf_.size();
    d.sha1.update(buf_);
    d.sha512.update(buf_);
    if (d.to_sink) {
      if (auto st = sink_->write(buf_); !st) return fail(st.error(), ec);
    }
    return true;
  }
  bool end_data(ec_t& ec) {
    buf_.clear();
    if (!data_->decoder.finish(buf_))
      return fail(invalid_argument("Attachment " + data_->info.file + " is not valid base64"), ec);
    if (!consume(ec)) return false;
    DataState& d = *data_;
    d.info.gzip = d.head == std::string("\x1f\x8b", 2);
    d.info.sha1_hex = d.sha1.finish_hex();
    d.info.sha512_raw = d.sha512.finish();
    attachments.push_back(std::move(d.info));
    data_.reset();
    return true;
  }

  struct Frame {
    bool object;
    std::size_t count;
  };
  TarballSink* sink_;
  ParseLimits limits_;
  boost::json::value_stack st_;
  std::vector<Frame> frames_;
  std::string key_, top_key_, attachment_key_;
  uint64_t retained_ = 0;
  bool expect_data_ = false;
  std::unique_ptr<DataState> data_;
  std::string buf_;
};

boost::json::parse_options options(const ParseLimits& limits) {
  boost::json::parse_options o;
  o.max_depth = limits.max_depth + 1;  // the handler enforces the real limit with a message
  return o;
}

std::optional<int64_t> as_length(const boost::json::value* v) {
  if (!v) return std::nullopt;
  if (v->is_int64()) return v->as_int64();
  if (v->is_uint64()) return static_cast<int64_t>(v->as_uint64());
  if (v->is_double()) return static_cast<int64_t>(v->as_double());
  return std::nullopt;
}

}  // namespace

struct PublishDocumentParser::Impl {
  Impl(TarballSink* sink, ParseLimits limits) : parser(options(limits), sink, limits) {}
  Status check(const ec_t& ec) {
    if (parser.handler().error) return *parser.handler().error;
    if (ec) return invalid_argument("The publish document is not valid JSON: " + ec.message());
    return {};
  }
  boost::json::basic_parser<Handler> parser;
};

PublishDocumentParser::PublishDocumentParser(TarballSink* sink, ParseLimits limits)
    : impl_(std::make_unique<Impl>(sink, limits)) {}
PublishDocumentParser::~PublishDocumentParser() = default;

Status PublishDocumentParser::write(std::string_view chunk) {
  ec_t ec;
  size_t n = impl_->parser.write_some(true, chunk.data(), chunk.size(), ec);
  ARCA_TRY(impl_->check(ec));
  if (n < chunk.size()) return invalid_argument("Unexpected data after the publish document");
  return {};
}

Result<PublishDocument> PublishDocumentParser::finish() {
  ec_t ec;
  impl_->parser.write_some(false, nullptr, 0, ec);
  ARCA_TRY(impl_->check(ec));
  if (!impl_->parser.done()) return invalid_argument("The publish document is incomplete");
  Handler& h = impl_->parser.handler();
  PublishDocument out;
  out.doc = std::move(h.result_.as_object());
  out.attachments = std::move(h.attachments);
  if (auto it = out.doc.find("_attachments"); it != out.doc.end()) {
    out.has_attachments = true;
    if (const auto* atts = it->value().if_object()) {
      for (auto& a : out.attachments) {
        const auto* meta = atts->if_contains(a.file);
        const auto* obj = meta ? meta->if_object() : nullptr;
        if (!obj) continue;
        if (const auto* ct = obj->if_contains("content_type"); ct && ct->is_string())
          a.content_type = std::string(ct->as_string());
        a.declared_length = as_length(obj->if_contains("length"));
      }
    }
    out.doc.erase(it);
  }
  return out;
}

Result<PublishDocument> parse_publish_file(const std::string& path, TarballSink* sink,
                                           ParseLimits limits) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!f) return unavailable("cannot open the spooled request body");
  PublishDocumentParser parser(sink, limits);
  std::string buf(64 * 1024, '\0');
  while (true) {
    size_t n = std::fread(buf.data(), 1, buf.size(), f.get());
    if (n > 0) ARCA_TRY(parser.write(std::string_view(buf.data(), n)));
    if (n < buf.size()) {
      if (std::ferror(f.get())) return unavailable("cannot read the spooled request body");
      break;
    }
  }
  return parser.finish();
}

}  // namespace arca::formats::npm
