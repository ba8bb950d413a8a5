#include "api/parse.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "absl/status/status.h"
#include "absl/strings/str_cat.h"
#include "api/defaults.h"
#include "api/json.h"
#include "api/unsupported.h"
#include "api/validation.h"
#include "nlohmann/json.hpp"
#include "yaml-cpp/yaml.h"

namespace cubelet::api {
namespace {

using json = nlohmann::json;

// Bounds on what one document may expand to: aliases can make a small file
// describe a huge tree ("billion laughs"), and deep nesting exhausts the stack.
constexpr int kMaxDepth = 100;
constexpr int64_t kMaxNodes = 1'000'000;

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

// Plain (unquoted) scalars resolve like YAML 1.2's core schema, except that
// only canonical integers become numbers: "1.0", "010" or "1e3" stay strings so
// string fields (quantities, labels, images) keep exactly what was written.
json ResolvePlainScalar(const std::string& s) {
  if (s.empty() || s == "~" || s == "null" || s == "Null" || s == "NULL") return nullptr;
  if (s == "true" || s == "True" || s == "TRUE") return true;
  if (s == "false" || s == "False" || s == "FALSE") return false;
  int64_t n = 0;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), n);
  if (ec == std::errc() && end == s.data() + s.size() && std::to_string(n) == s) return n;
  return s;
}

class YamlConverter {
 public:
  // Throws nothing; returns false with `error` set when limits are exceeded.
  bool Convert(const YAML::Node& node, int depth, json& out, std::string& error) {
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
        const std::string& tag = node.Tag();
        if (tag == "?" || tag == "tag:yaml.org,2002:int" || tag == "tag:yaml.org,2002:bool" ||
            tag == "tag:yaml.org,2002:null") {
          out = ResolvePlainScalar(node.Scalar());
        } else {
          out = node.Scalar();  // quoted, !!str or an unknown tag
        }
        return true;
      }
      case YAML::NodeType::Sequence: {
        out = json::array();
        for (const YAML::Node& item : node) {
          json v;
          if (!Convert(item, depth + 1, v, error)) return false;
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
          json v;
          if (!Convert(kv.second, depth + 1, v, error)) return false;
          out[kv.first.Scalar()] = std::move(v);
        }
        return true;
      }
    }
    return true;
  }

 private:
  int64_t nodes_ = 0;
};

std::string RenderValue(const json& v) {
  if (v.is_string()) return GoQuote(v.get_ref<const std::string&>());
  std::string s = v.dump();
  if (s.size() > 64) s = s.substr(0, 64) + "...";
  return s;
}

class ManifestParser {
 public:
  explicit ManifestParser(std::string_view source) : source_(source) {}

  void AddError(int document, const std::string& pod, std::string field, std::string detail) {
    result_.errors.push_back({source_, document, pod, std::move(field), std::move(detail)});
  }

  // One document, already converted to JSON.
  void Document(int document, const json& doc) {
    if (doc.is_null()) return;  // empty document
    if (!doc.is_object()) {
      AddError(
          document, "", "",
          absl::StrCat("Invalid value: ", RenderValue(doc), ": must be a mapping (a Pod object)"));
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
    std::vector<FieldError> errs = DecodePod(doc, pod);
    if (name.empty()) name = pod.metadata.name;  // e.g. a numeric name
    if (errs.empty()) {
      errs = RefuseUnsupportedFields(doc, pod);  // known v1 fields cubelet does not implement
      ApplyDefaults(pod);
      std::vector<FieldError> invalid = ValidatePod(pod);
      errs.insert(errs.end(), invalid.begin(), invalid.end());
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
      std::string error;
      bool converted = false;
      try {
        converted = YamlConverter().Convert(node, 0, doc, error);
      } catch (const YAML::Exception& e) {
        error = absl::StrCat("invalid YAML: ", e.msg);
      }
      if (!converted) {
        AddError(document, "", "", error);
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
    std::string value = it->is_string() ? it->get<std::string>() : it->dump();
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

ParsedManifest ParseManifest(std::string_view content, std::string_view source) {
  if (content.starts_with("\xEF\xBB\xBF")) content.remove_prefix(3);  // UTF-8 BOM
  ManifestParser parser(source);
  size_t first = content.find_first_not_of(" \t\r\n");
  if (first != std::string_view::npos && content[first] == '{') {
    // Strict JSON first: it keeps numbers' types exactly. Anything it rejects
    // goes to the YAML parser, whose messages carry line and column.
    json doc = json::parse(content, nullptr, /*allow_exceptions=*/false);
    if (!doc.is_discarded()) {
      parser.Document(1, doc);
      return parser.Take();
    }
  }
  parser.Yaml(content);
  return parser.Take();
}

absl::StatusOr<ParsedManifest> ParseManifestFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
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
