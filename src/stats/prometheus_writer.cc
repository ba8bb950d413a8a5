#include "stats/prometheus_writer.h"

#include <algorithm>

#include "absl/strings/str_cat.h"
#include "metrics/registry.h"

namespace cubelet::stats {

void PrometheusWriter::Add(const MetricFamily& family, Labels labels, double value,
                           std::optional<absl::Time> timestamp) {
  auto& [desc, out] = families_[family.name];
  desc = &family;
  std::sort(labels.begin(), labels.end());
  out.append(family.name);
  if (!labels.empty()) {
    out.push_back('{');
    for (size_t i = 0; i < labels.size(); ++i) {
      if (i > 0) out.push_back(',');
      absl::StrAppend(&out, labels[i].first, "=\"", metrics::EscapeLabelValue(labels[i].second),
                      "\"");
    }
    out.push_back('}');
  }
  absl::StrAppend(&out, " ", metrics::FormatValue(value));
  if (timestamp) absl::StrAppend(&out, " ", absl::ToUnixMillis(*timestamp));
  out.push_back('\n');
}

std::string PrometheusWriter::Render() const {
  std::string out;
  for (const auto& [name, family] : families_) {
    absl::StrAppend(&out, "# HELP ", name, " ", family.first->help, "\n# TYPE ", name, " ",
                    family.first->type, "\n", family.second);
  }
  return out;
}

}  // namespace cubelet::stats
