#include "api/magnitude.h"

#include <string>
#include <string_view>

#include "absl/strings/str_cat.h"
#include "api/quantity.h"

namespace cubelet::api {
namespace {

class Checker {
 public:
  void Seconds(const std::string& path, int64_t seconds) {
    if (seconds > kMaxDurationSeconds) {
      errs.push_back(InvalidIntError(
          path, seconds,
          absl::StrCat("must be at most ", kMaxDurationSeconds, " (about 292 years)")));
    }
  }

  void Quantity(const std::string& path, const std::string& name, const std::string& q) {
    if (!ValidateQuantitySyntax(q).ok()) return;  // ValidatePod reports it
    bool fits = name == "cpu" ? ParseMilliValue(q).ok() : ParseValue(q).ok();
    if (!fits) {
      errs.push_back(InvalidError(
          path, q.size() > 64 ? q.substr(0, 64) + "..." : q,
          name == "cpu" ? "must be less than 2^63 millicores" : "must be less than 2^63"));
    }
  }

  void Handler(const std::string& path, const std::optional<LifecycleHandler>& h) {
    if (h && h->sleep) Seconds(absl::StrCat(path, ".sleep.seconds"), h->sleep->seconds);
  }

  void Probe(const std::string& path, const std::optional<api::Probe>& p) {
    if (p && p->termination_grace_period_seconds) {
      Seconds(absl::StrCat(path, ".terminationGracePeriodSeconds"),
              *p->termination_grace_period_seconds);
    }
  }

  void Container(const std::string& path, const api::Container& c) {
    for (const auto& [name, q] : c.resources.limits) {
      Quantity(absl::StrCat(path, ".resources.limits[", name, "]"), name, q);
    }
    for (const auto& [name, q] : c.resources.requests) {
      Quantity(absl::StrCat(path, ".resources.requests[", name, "]"), name, q);
    }
    Probe(absl::StrCat(path, ".livenessProbe"), c.liveness_probe);
    Probe(absl::StrCat(path, ".readinessProbe"), c.readiness_probe);
    Probe(absl::StrCat(path, ".startupProbe"), c.startup_probe);
    if (c.lifecycle) {
      Handler(absl::StrCat(path, ".lifecycle.postStart"), c.lifecycle->post_start);
      Handler(absl::StrCat(path, ".lifecycle.preStop"), c.lifecycle->pre_stop);
    }
  }

  std::vector<FieldError> errs;
};

}  // namespace

std::vector<FieldError> ValidateMagnitudes(const Pod& pod) {
  Checker c;
  const PodSpec& spec = pod.spec;
  if (spec.termination_grace_period_seconds) {
    c.Seconds("spec.terminationGracePeriodSeconds", *spec.termination_grace_period_seconds);
  }
  for (size_t i = 0; i < spec.init_containers.size(); ++i) {
    c.Container(absl::StrCat("spec.initContainers[", i, "]"), spec.init_containers[i]);
  }
  for (size_t i = 0; i < spec.containers.size(); ++i) {
    c.Container(absl::StrCat("spec.containers[", i, "]"), spec.containers[i]);
  }
  for (size_t i = 0; i < spec.volumes.size(); ++i) {
    const Volume& v = spec.volumes[i];
    if (v.empty_dir && v.empty_dir->size_limit) {
      c.Quantity(absl::StrCat("spec.volumes[", i, "].emptyDir.sizeLimit"), "memory",
                 *v.empty_dir->size_limit);
    }
  }
  return std::move(c.errs);
}

}  // namespace cubelet::api
