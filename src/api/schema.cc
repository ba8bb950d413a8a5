#include "api/schema.h"

#include <string_view>
#include <vector>

namespace cubelet::api {
namespace {

struct SchemaField {
  std::string_view name;
  int type;  // index into kTypes of the object type it holds, or -1
};

struct SchemaType {
  std::string_view name;
  std::vector<SchemaField> fields;  // sorted by name
};

const std::vector<SchemaType>& Types() {
  static const std::vector<SchemaType> kTypes = {
#include "api/pod_schema.inc"
  };
  return kTypes;
}

const SchemaField* FindField(const SchemaType& type, std::string_view name) {
  for (const SchemaField& f : type.fields) {
    if (f.name == name) return &f;
  }
  return nullptr;
}

}  // namespace

bool IsPodSchemaField(std::string_view path) {
  const std::vector<SchemaType>& types = Types();
  int type = 0;  // the Pod
  while (!path.empty()) {
    size_t end = path.find_first_of(".[");
    std::string_view member = path.substr(0, end);
    path = end == std::string_view::npos ? std::string_view() : path.substr(end);
    while (path.starts_with("[")) {  // list indices
      size_t close = path.find(']');
      path = close == std::string_view::npos ? std::string_view() : path.substr(close + 1);
    }
    if (path.starts_with(".")) path.remove_prefix(1);
    if (member.empty()) continue;
    if (type < 0) return true;  // below a map or a leaf: data
    const SchemaField* f = FindField(types[static_cast<size_t>(type)], member);
    if (f == nullptr) return false;
    type = f->type;
  }
  return true;
}

}  // namespace cubelet::api
