#include "api/parse.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <limits>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "api/defaults.h"
#include "api/json.h"
#include "api/magnitude.h"
#include "api/schema.h"
#include "api/unsupported.h"
#include "api/validation.h"
#include "nlohmann/json.hpp"
#include "yaml-cpp/yaml.h"

namespace cubelet::api {
namespace {

using json = nlohmann::json;

// Bounds on what one document may expand to: aliases can make a small file
// describe a huge tree ("billion laughs", or one long string referenced many
// times), and deep nesting exhausts the stack of every recursive walk.
constexpr int kMaxDepth = kMaxManifestDepth;
constexpr int64_t kMaxNodes = 1'000'000;
constexpr int64_t kMaxExpanded = kMaxManifestExpandedBytes;
// Error details quote values; a detail longer than this is cut.
constexpr size_t kMaxDetail = 512;

struct Chunk {
  std::string_view text;
  int first_line = 0;  // 0-based line of `text` in the whole stream
};

bool IsBlankOrComment(std::string_view text) {
  size_t pos = 0;
  while (pos < text.size()) {
    size_t end = text.find('\n', pos);
    if (end == std::string_view::npos) end = text.size();
    std::string_view line = text.substr(pos, end - pos);
    size_t first = line.find_first_not_of(" \t\r");
    if (first != std::string_view::npos && line[first] != '#') return false;
    pos = end + 1;
  }
  return true;
}

bool IsDocumentSeparator(std::string_view line) {
  return line.starts_with("---") && (line.size() == 3 || line[3] == ' ' || line[3] == '\t' ||
                                     line[3] == '\r' || line[3] == '\n');
}

// Splits a YAML stream on `---` lines ourselves, rather than with
// YAML::LoadAll, so a syntax error in one document leaves the others readable
// and each error can name its document.
std::vector<Chunk> SplitDocuments(std::string_view content) {
  std::vector<Chunk> chunks;
  size_t chunk_start = 0;
  int chunk_line = 0;
  size_t pos = 0;
  int line_no = 0;
  bool leading = true;  // before the first separator
  while (pos < content.size()) {
    size_t end = content.find('\n', pos);
    size_t next = end == std::string_view::npos ? content.size() : end + 1;
    std::string_view line = content.substr(pos, next - pos);
    if (IsDocumentSeparator(line)) {
      std::string_view text = content.substr(chunk_start, pos - chunk_start);
      // Text before the first `---` is a document only if it has content.
      if (!leading || !IsBlankOrComment(text)) chunks.push_back({text, chunk_line});
      leading = false;
      chunk_start = pos + 3;  // the rest of the separator line belongs to the document
      chunk_line = line_no;
    }
    pos = next;
    ++line_no;
  }
  std::string_view rest = content.substr(chunk_start);
  if (!leading || !IsBlankOrComment(rest)) chunks.push_back({rest, chunk_line});
  return chunks;
}

// Go's strconv.ParseInt(s, 0, 64), which the API server's YAML decoder
// (go-yaml v2) applies to a plain scalar once its underscores are removed: an
// optional sign, then decimal, 0x/0X hex, 0o/0O or a leading 0 octal, 0b/0B
// binary. Nothing else (floats, out-of-range values) is taken.
std::optional<int64_t> ParseGoInteger(std::string_view s) {
  std::string digits;
  for (char c : s) {
    if (c != '_') digits.push_back(c);
  }
  std::string_view d = digits;
  bool negative = false;
  if (!d.empty() && (d[0] == '+' || d[0] == '-')) {
    negative = d[0] == '-';
    d.remove_prefix(1);
  }
  int base = 10;
  if (d.size() > 2 && d[0] == '0' && (d[1] == 'x' || d[1] == 'X')) {
    base = 16;
    d.remove_prefix(2);
  } else if (d.size() > 2 && d[0] == '0' && (d[1] == 'o' || d[1] == 'O')) {
    base = 8;
    d.remove_prefix(2);
  } else if (d.size() > 2 && d[0] == '0' && (d[1] == 'b' || d[1] == 'B')) {
    base = 2;
    d.remove_prefix(2);
  } else if (d.size() > 1 && d[0] == '0') {
    base = 8;
    d.remove_prefix(1);
  }
  if (d.empty() || d[0] == '+' || d[0] == '-') return std::nullopt;
  uint64_t magnitude = 0;
  auto [end, ec] = std::from_chars(d.data(), d.data() + d.size(), magnitude, base);
  if (ec != std::errc() || end != d.data() + d.size()) return std::nullopt;
  constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
  if (magnitude > kMax + (negative ? 1 : 0)) return std::nullopt;
  if (negative)
    return magnitude == kMax + 1 ? std::numeric_limits<int64_t>::min()
                                 : -static_cast<int64_t>(magnitude);
  return static_cast<int64_t>(magnitude);
}

// Plain (unquoted) scalars resolve like the API server's YAML decoder (YAML
// 1.1: "yes", "on", "y" are booleans; integers in Go's syntax, so a file mode
// written `0644` is 420), except that floats stay strings: "1.0" or "1e3" keep
// exactly what was written for the string fields (quantities, labels, images)
// where they are common. A boolean or integer in a string field is then
// refused by the decoder, as upstream.
json ResolvePlainScalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  static constexpr std::string_view kTrue[] = {"true", "True", "TRUE", "yes", "Yes", "YES",
                                               "on",   "On",   "ON",   "y",   "Y"};
  static constexpr std::string_view kFalse[] = {"false", "False", "FALSE", "no", "No", "NO",
                                                "off",   "Off",   "OFF",   "n",  "N"};
  for (std::string_view t : kTrue) {
    if (s == t) return true;
  }
  for (std::string_view f : kFalse) {
    if (s == f) return false;
  }
  if (std::optional<int64_t> n = ParseGoInteger(s)) return *n;
  return s;
}

// Renders a field path from its parts: "spec", "containers", "[0]", "image".
std::string RenderPath(const std::vector<std::string>& parts) {
  std::string out;
  for (const std::string& p : parts) {
    if (!out.empty() && !p.starts_with("[")) out.push_back('.');
    out += p;
    if (out.size() > 128) return TruncateUtf8(out, 128);  // deep paths are cut
  }
  return out;
}

// Checks a JSON text without building it: nesting depth, duplicate keys.
// Syntax errors (including invalid UTF-8) are left to the caller.
class StrictJsonChecker {
 public:
  std::string error;    // set when the text breaks a bound
  std::string field;    // where
  bool syntax = false;  // the text is not JSON at all

  bool null() { return Element(); }
  bool boolean(bool) { return Element(); }
  bool number_integer(json::number_integer_t) { return Element(); }
  bool number_unsigned(json::number_unsigned_t) { return Element(); }
  bool number_float(json::number_float_t, const json::string_t&) { return Element(); }
  bool string(json::string_t&) { return Element(); }
  bool binary(json::binary_t&) { return Element(); }
  bool start_object(size_t) { return Open(true); }
  bool start_array(size_t) { return Open(false); }
  bool end_object() { return Close(); }
  bool end_array() { return Close(); }
  bool key(json::string_t& k) {
    Frame& f = frames_.back();
    f.key = k;
    if (!f.keys.insert(k).second) {
      field = Path();
      error = absl::StrCat("duplicate key ", GoQuote(TruncateUtf8(k, 64)),
                           " (a key may appear only once in a mapping)");
      return false;
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception&) {
    syntax = true;
    return false;
  }

 private:
  struct Frame {
    bool object = false;
    std::string key;
    int64_t index = -1;
    std::set<std::string> keys;
  };

  bool Element() {
    if (!frames_.empty() && !frames_.back().object) ++frames_.back().index;
    return true;
  }
  bool Open(bool object) {
    Element();
    if (static_cast<int>(frames_.size()) >= kMaxDepth) {
      field = Path();
      error = absl::StrCat("document nests deeper than ", kMaxDepth, " levels");
      return false;
    }
    frames_.push_back(Frame{object, "", -1, {}});
    return true;
  }
  bool Close() {
    frames_.pop_back();
    return true;
  }
  std::string Path() const {
    std::vector<std::string> parts;
    for (const Frame& f : frames_) {
      if (f.object && !f.key.empty()) parts.push_back(TruncateUtf8(f.key, 64));
      if (!f.object && f.index >= 0) parts.push_back(absl::StrCat("[", f.index, "]"));
    }
    return RenderPath(parts);
  }

  std::vector<Frame> frames_;
};

class YamlConverter {
 public:
  // Throws nothing of its own (yaml-cpp may); returns false with `error` (and
  // `field`, when about one) set when the document breaks a bound.
  bool Convert(const YAML::Node& node, json& out, std::string& field, std::string& error) {
    bool ok = Walk(node, 0, out, error);
    if (!ok) field = RenderPath(path_);
    return ok;
  }

 private:
  bool Walk(const YAML::Node& node, int depth, json& out, std::string& error) {
    if (++nodes_ > kMaxNodes) {
      error = absl::StrCat("document expands to more than ", kMaxNodes, " nodes");
      return false;
    }
    if (depth > kMaxDepth) {
      error = absl::StrCat("document nests deeper than ", kMaxDepth, " levels");
      return false;
    }
    switch (node.Type()) {
      case YAML::NodeType::Undefined:
      case YAML::NodeType::Null:
        out = nullptr;
        return true;
      case YAML::NodeType::Scalar: {
        const std::string& scalar = node.Scalar();
        if (!CountBytes(scalar.size(), error) || !CheckUtf8(scalar, error)) return false;
        const std::string& tag = node.Tag();
        if (tag == "?" || tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:bool" ||
            tag == "tag:yaml.org,2002:null") {
          out = ResolvePlainScalar(scalar);
        } else {
          out = scalar;  // quoted, !!str or an unknown tag
        }
        return true;
      }
      case YAML::NodeType::Sequence: {
        out = json::array();
        size_t i = 0;
        for (const YAML::Node& item : node) {
          path_.push_back(absl::StrCat("[", i++, "]"));
          json v;
          if (!Walk(item, depth + 1, v, error)) return false;
          path_.pop_back();
          out.push_back(std::move(v));
        }
        return true;
      }
      case YAML::NodeType::Map: {
        out = json::object();
        for (const auto& kv : node) {
          if (!kv.first.IsScalar()) {
            error = "mapping keys must be strings";
            return false;
          }
          const std::string& key = kv.first.Scalar();
          if (!CountBytes(key.size(), error) || !CheckUtf8(key, error)) return false;
          path_.push_back(TruncateUtf8(key, 64));
          if (out.contains(key)) {
            error = absl::StrCat("duplicate key ", GoQuote(TruncateUtf8(key, 64)),
                                 " (a key may appear only once in a mapping)");
            return false;
          }
          json v;
          if (!Walk(kv.second, depth + 1, v, error)) return false;
          path_.pop_back();
          out[key] = std::move(v);
        }
        return true;
      }
    }
    return true;
  }

  bool CountBytes(size_t n, std::string& error) {
    bytes_ += static_cast<int64_t>(n);
    if (bytes_ > kMaxExpanded) {
      error = absl::StrCat("document expands to more than ", kMaxExpanded,
                           " bytes of keys and values (through aliases)");
      return false;
    }
    return true;
  }

  static bool CheckUtf8(const std::string& s, std::string& error) {
    size_t bad = InvalidUtf8At(s);
    if (bad == std::string::npos) return true;
    error = absl::StrCat("Invalid value: ", GoQuote(TruncateUtf8(s.substr(0, bad), 64)),
                         ": invalid UTF-8 at byte ", bad, " (strings must be valid UTF-8)");
    return false;
  }

  int64_t nodes_ = 0;
  int64_t bytes_ = 0;
  std::vector<std::string> path_;
};

class ManifestParser {
 public:
  explicit ManifestParser(std::string_view source) : source_(source) {}

  void AddError(int document, const std::string& pod, std::string field, std::string detail) {
    if (detail.size() > kMaxDetail) detail = TruncateUtf8(detail, kMaxDetail);
    if (field.size() > kMaxDetail) field = TruncateUtf8(field, kMaxDetail);
    result_.errors.push_back({source_, document, pod, std::move(field), std::move(detail)});
  }

  // One document, already converted to JSON.
  void Document(int document, const json& doc) {
    if (doc.is_null()) return;  // empty document
    if (!doc.is_object()) {
      AddError(document, "", "",
               absl::StrCat("Invalid value: ", RenderJsonPrefix(doc),
                            ": must be a mapping (a Pod object)"));
      return;
    }
    std::string name;
    if (auto meta = doc.find("metadata"); meta != doc.end() && meta->is_object()) {
      if (auto n = meta->find("name"); n != meta->end() && n->is_string()) name = *n;
    }
    if (IsOtherKind(document, name, doc)) return;  // its fields would only add noise
    bool type_ok = CheckTypeField(document, name, doc, "apiVersion", "v1");
    type_ok = CheckTypeField(document, name, doc, "kind", "Pod") && type_ok;
    if (!type_ok) return;

    Pod pod;
    std::vector<std::string> unread;
    std::vector<FieldError> errs = DecodePod(doc, pod, &unread);
    if (name.empty()) name = pod.metadata.name;  // e.g. a numeric name
    // A field the v1 Pod does not have is refused, as the API server's strict
    // field validation (kubectl's default) refuses it: a typo must not turn
    // into a silently ignored setting. Known fields cubelet does not read are
    // left to RefuseUnsupportedFields.
    std::vector<FieldError> unknown;
    for (std::string& path : unread) {
      if (!IsPodSchemaField(path)) {
        unknown.push_back({std::move(path), "unknown field (the v1 Pod has no such field)"});
      }
    }
    errs.insert(errs.begin(), std::make_move_iterator(unknown.begin()),
                std::make_move_iterator(unknown.end()));
    if (errs.empty()) {
      // Known v1 fields cubelet does not implement. What the API server would
      // refuse is reported first: a user fixes the manifest before learning
      // that cubelet cannot run it standalone.
      std::vector<FieldError> refused = RefuseUnsupportedFields(doc, pod);
      ApplyDefaults(pod);
      errs = ValidatePod(pod);
      std::vector<FieldError> absurd = ValidateMagnitudes(pod);
      errs.insert(errs.end(), std::make_move_iterator(absurd.begin()),
                  std::make_move_iterator(absurd.end()));
      errs.insert(errs.end(), std::make_move_iterator(refused.begin()),
                  std::make_move_iterator(refused.end()));
    }
    for (FieldError& e : errs) AddError(document, name, std::move(e.field), std::move(e.detail));
    if (errs.empty()) result_.pods.push_back(std::move(pod));
  }

  void Yaml(std::string_view content) {
    std::vector<Chunk> chunks = SplitDocuments(content);
    for (size_t i = 0; i < chunks.size(); ++i) {
      int document = static_cast<int>(i) + 1;
      YAML::Node node;
      try {
        node = YAML::Load(std::string(chunks[i].text));
      } catch (const YAML::Exception& e) {
        std::string where;
        if (!e.mark.is_null()) {
          where = absl::StrCat(" at line ", chunks[i].first_line + e.mark.line + 1, ", column ",
                               e.mark.column + 1);
        }
        AddError(document, "", "", absl::StrCat("invalid YAML", where, ": ", e.msg));
        continue;
      }
      json doc;
      std::string field;
      std::string error;
      bool converted = false;
      try {
        converted = YamlConverter().Convert(node, doc, field, error);
      } catch (const YAML::Exception& e) {
        error = absl::StrCat("invalid YAML: ", e.msg);
      }
      if (!converted) {
        AddError(document, "", field, error);
        continue;
      }
      Document(document, doc);
    }
  }

  ParsedManifest Take() { return std::move(result_); }

 private:
  // A document of another kind (a ConfigMap beside the Pod, a Deployment) is
  // reported once, as what it is, rather than as a Pod with a bad kind and
  // apiVersion.
  bool IsOtherKind(int document, const std::string& name, const json& doc) {
    auto it = doc.find("kind");
    if (it == doc.end() || !it->is_string()) return false;
    const std::string& kind = it->get_ref<const std::string&>();
    if (kind.empty() || kind == "Pod") return false;
    std::string what = name.empty() ? kind : absl::StrCat(kind, " ", GoQuote(name));
    AddError(document, "", "kind",
             absl::StrCat(NotSupportedError("kind", kind, {"Pod"}).detail, " (this document is a ",
                          what, ", not a Pod)"));
    return true;
  }

  bool CheckTypeField(int document, const std::string& pod, const json& doc, const char* key,
                      std::string_view want) {
    auto it = doc.find(key);
    if (it == doc.end() || it->is_null() ||
        (it->is_string() && it->get_ref<const std::string&>().empty())) {
      AddError(document, pod, key, "Required value");
      return false;
    }
    std::string value = it->is_string() ? it->get<std::string>() : RenderJsonPrefix(*it);
    if (value != want) {
      AddError(document, pod, key, NotSupportedError(key, value, {want}).detail);
      return false;
    }
    return true;
  }

  std::string source_;
  ParsedManifest result_;
};

}  // namespace

std::string ManifestError::ToString() const {
  std::string out = source;
  auto part = [&out](std::string_view s) {
    if (!out.empty()) out += ": ";
    out += s;
  };
  if (document > 0) part(absl::StrCat("document ", document));
  if (!pod.empty()) part(absl::StrCat("pod \"", pod, "\""));
  if (!field.empty()) part(field);
  part(detail);
  return out;
}

json ParseJsonStrict(std::string_view content, std::string* error, std::string* field) {
  StrictJsonChecker checker;
  bool ok = false;
  try {
    ok = json::sax_parse(content, &checker);
  } catch (const std::exception&) {
    ok = false;
  }
  if (!ok) {
    if (!checker.syntax && !checker.error.empty()) {
      if (error != nullptr) *error = checker.error;
      if (field != nullptr) *field = checker.field;
    }
    return json(json::value_t::discarded);
  }
  return json::parse(content, nullptr, /*allow_exceptions=*/false);
}

ParsedManifest ParseManifest(std::string_view content, std::string_view source) {
  if (content.starts_with("\xEF\xBB\xBF")) content.remove_prefix(3);  // UTF-8 BOM
  ManifestParser parser(source);
  size_t first = content.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && content[first] == '{') {
    // Strict JSON first: it keeps numbers' types exactly. Anything it rejects
    // as JSON goes to the YAML parser, whose messages carry line and column;
    // JSON that breaks a bound (depth, duplicate keys) is refused here.
    std::string field;
    std::string error;
    json doc = ParseJsonStrict(content, &error, &field);
    if (!error.empty()) {
      parser.AddError(1, "", field, error);
      return parser.Take();
    }
    if (!doc.is_discarded()) {
      parser.Document(1, doc);
      return parser.Take();
    }
  }
  parser.Yaml(content);
  return parser.Take();
}

absl::StatusOr<ParsedManifest> ParseManifestFile(const std::string& path) {
  // O_NONBLOCK: a FIFO (or a device) must not block the caller in open();
  // fstat below refuses anything that is not a regular file.
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
  if (fd < 0) return absl::ErrnoToStatus(errno, absl::StrCat("open manifest \"", path, "\""));
  struct FdCloser {
    int fd;
    ~FdCloser() { ::close(fd); }
  } closer{fd};

  struct stat st;
  if (::fstat(fd, &st) != 0) {
    return absl::ErrnoToStatus(errno, absl::StrCat("stat manifest \"", path, "\""));
  }
  if (!S_ISREG(st.st_mode)) {
    return absl::InvalidArgumentError(
        absl::StrCat("manifest \"", path, "\" is not a regular file"));
  }
  auto too_big = [&path](int64_t size) {
    return absl::InvalidArgumentError(absl::StrCat("manifest \"", path, "\" is ", size,
                                                   " bytes, over the limit of ", kMaxManifestBytes,
                                                   " bytes"));
  };
  if (st.st_size > kMaxManifestBytes) return too_big(st.st_size);

  // Read at most one byte past the limit, in case the file grew since fstat.
  std::string content;
  content.resize(static_cast<size_t>(st.st_size) + 1);
  size_t used = 0;
  while (true) {
    if (used == content.size()) {
      if (static_cast<int64_t>(content.size()) > kMaxManifestBytes) {
        return too_big(static_cast<int64_t>(content.size()));
      }
      content.resize(std::min<size_t>(content.size() * 2 + 4096, kMaxManifestBytes + 1));
    }
    ssize_t n = ::read(fd, content.data() + used, content.size() - used);
    if (n < 0) {
      if (errno == EINTR) continue;
      return absl::ErrnoToStatus(errno, absl::StrCat("read manifest \"", path, "\""));
    }
    if (n == 0) break;
    used += static_cast<size_t>(n);
  }
  content.resize(used);
  ParsedManifest parsed = ParseManifest(content, path);
  // Every non-empty document yields a pod or an error: none means nothing but
  // blank lines, comments or separators. The kubelet reports such a file too.
  if (parsed.pods.empty() && parsed.errors.empty()) {
    parsed.errors.push_back({path, 0, "", "", "file was empty"});
  }
  return parsed;
}

}  // namespace cubelet::api
