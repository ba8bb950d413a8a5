#include "cli/printers.h"

#include <algorithm>
#include <cctype>
#include <cstdint>
#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "cli/tabwriter.h"
#include "yaml-cpp/yaml.h"

namespace cubelet::cli {
namespace {

using json = nlohmann::json;

// Reason strings printPod compares against.
constexpr char kReasonCompleted[] = "Completed";
constexpr char kReasonPodInitializing[] = "PodInitializing";
constexpr char kReasonSchedulingGated[] = "SchedulingGated";
constexpr char kReasonNodeLost[] = "NodeLost";  // node.NodeUnreachablePodReason

bool IsPodInitializedConditionTrue(const api::PodStatus& status) {
  for (const api::PodCondition& c : status.conditions) {
    if (c.type == api::kPodInitialized) return c.status == api::kConditionTrue;
  }
  return false;
}

bool HasPodReadyCondition(const api::PodStatus& status) {
  for (const api::PodCondition& c : status.conditions) {
    if (c.type == api::kPodReady && c.status == api::kConditionTrue) return true;
  }
  return false;
}

// Keeps the later of `latest` and the container's last termination time.
void NoteLastTermination(const api::ContainerStatus& c, std::optional<absl::Time>& latest) {
  if (!c.last_state.terminated || !c.last_state.terminated->finished_at) return;
  absl::Time t = *c.last_state.terminated->finished_at;
  if (!latest || *latest < t) latest = t;
}

// "Signal:9" / "ExitCode:1" for a termination without a reason.
std::string TerminatedWithoutReason(const api::ContainerStateTerminated& t) {
  return t.signal != 0 ? absl::StrCat("Signal:", t.signal) : absl::StrCat("ExitCode:", t.exit_code);
}

// Whether a YAML reader would resolve `s`, written plain, to something other
// than this string (YAML 1.1 booleans and nulls, numbers, timestamps), or
// whether it cannot be written plain at all.
bool NeedsQuotes(const std::string& s) {
  if (s.empty()) return true;
  std::string lower = absl::AsciiStrToLower(s);
  static const char* const kWords[] = {"true", "false", "yes", "no",   "on",    "off",   "y",
                                       "n",    "null",  "~",   ".inf", "-.inf", "+.inf", ".nan"};
  for (const char* w : kWords) {
    if (lower == w) return true;
  }
  unsigned char first = static_cast<unsigned char>(s[0]);
  if (std::isdigit(first)) return true;  // numbers, times, "1.0", "010"
  if ((first == '-' || first == '+' || first == '.') && s.size() > 1 &&
      std::isdigit(static_cast<unsigned char>(s[1]))) {
    return true;
  }
  return s.front() == ' ' || s.back() == ' ';
}

void EmitYaml(YAML::Emitter& e, const json& j) {
  switch (j.type()) {
    case json::value_t::object:
      if (j.empty()) {
        e << YAML::Flow << YAML::BeginMap << YAML::EndMap;
        return;
      }
      e << YAML::BeginMap;
      for (auto it = j.begin(); it != j.end(); ++it) {
        e << YAML::Key << it.key() << YAML::Value;
        EmitYaml(e, it.value());
      }
      e << YAML::EndMap;
      return;
    case json::value_t::array:
      if (j.empty()) {
        e << YAML::Flow << YAML::BeginSeq << YAML::EndSeq;
        return;
      }
      e << YAML::BeginSeq;
      for (const json& v : j) EmitYaml(e, v);
      e << YAML::EndSeq;
      return;
    case json::value_t::string: {
      const std::string& s = j.get_ref<const std::string&>();
      if (NeedsQuotes(s)) e << YAML::DoubleQuoted;
      e << s;
      return;
    }
    case json::value_t::boolean:
      e << (j.get<bool>() ? "true" : "false");
      return;
    case json::value_t::number_integer:
      e << j.get<int64_t>();
      return;
    case json::value_t::number_unsigned:
      e << j.get<uint64_t>();
      return;
    case json::value_t::number_float:
      e << j.dump();
      return;
    default:
      e << YAML::Null;
      return;
  }
}

}  // namespace

std::string HumanDuration(absl::Duration d) {
  // Up to 2 s in the future counts as now (clock skew), as upstream.
  int64_t seconds = absl::ToInt64Seconds(d);
  if (seconds < -1) return "<invalid>";
  if (seconds < 0) return "0s";
  if (seconds < 60 * 2) return absl::StrCat(seconds, "s");
  int64_t minutes = absl::ToInt64Minutes(d);
  if (minutes < 10) {
    int64_t s = seconds % 60;
    return s == 0 ? absl::StrCat(minutes, "m") : absl::StrCat(minutes, "m", s, "s");
  }
  if (minutes < 60 * 3) return absl::StrCat(minutes, "m");
  int64_t hours = absl::ToInt64Hours(d);
  if (hours < 8) {
    int64_t m = minutes % 60;
    return m == 0 ? absl::StrCat(hours, "h") : absl::StrCat(hours, "h", m, "m");
  }
  if (hours < 48) return absl::StrCat(hours, "h");
  if (hours < 24 * 8) {
    int64_t h = hours % 24;
    return h == 0 ? absl::StrCat(hours / 24, "d") : absl::StrCat(hours / 24, "d", h, "h");
  }
  if (hours < 24 * 365 * 2) return absl::StrCat(hours / 24, "d");
  if (hours < 24 * 365 * 8) {
    int64_t dy = (hours / 24) % 365;
    return dy == 0 ? absl::StrCat(hours / 24 / 365, "y")
                   : absl::StrCat(hours / 24 / 365, "y", dy, "d");
  }
  return absl::StrCat(hours / 24 / 365, "y");
}

std::string TimestampSince(const std::optional<absl::Time>& t, absl::Time now) {
  if (!t) return "<unknown>";
  return HumanDuration(now - *t);
}

PodSummary SummarizePod(const api::Pod& pod) {
  const api::PodStatus& status = pod.status;
  PodSummary s;
  s.total = static_cast<int>(pod.spec.containers.size());
  int sidecar_restarts = 0;
  std::optional<absl::Time> last_sidecar_restart;

  std::string reason = status.reason.empty() ? status.phase : status.reason;
  for (const api::PodCondition& c : status.conditions) {
    if (c.type == api::kPodScheduled && c.reason == kReasonSchedulingGated) {
      reason = kReasonSchedulingGated;
    }
  }

  std::map<std::string, const api::Container*> init_containers;
  for (const api::Container& c : pod.spec.init_containers) {
    init_containers[c.name] = &c;
    if (api::IsRestartableInitContainer(c)) ++s.total;
  }
  auto is_sidecar = [&init_containers](const std::string& name) {
    auto it = init_containers.find(name);
    return it != init_containers.end() && api::IsRestartableInitContainer(*it->second);
  };

  bool initializing = false;
  const std::vector<api::ContainerStatus>& inits = status.init_container_statuses;
  for (size_t i = 0; i < inits.size(); ++i) {
    const api::ContainerStatus& c = inits[i];
    s.restarts += c.restart_count;
    NoteLastTermination(c, s.last_restart);
    const bool sidecar = is_sidecar(c.name);
    if (sidecar) {
      sidecar_restarts += c.restart_count;
      NoteLastTermination(c, last_sidecar_restart);
    }
    if (c.state.terminated && c.state.terminated->exit_code == 0) continue;
    if (sidecar && c.started.value_or(false)) {
      if (c.ready) ++s.ready;
      continue;
    }
    if (c.state.terminated) {
      // Initialization failed.
      const api::ContainerStateTerminated& t = *c.state.terminated;
      reason = t.reason.empty() ? "Init:" + TerminatedWithoutReason(t) : "Init:" + t.reason;
    } else if (c.state.waiting && !c.state.waiting->reason.empty() &&
               c.state.waiting->reason != kReasonPodInitializing) {
      reason = "Init:" + c.state.waiting->reason;
    } else {
      reason = absl::StrCat("Init:", i, "/", pod.spec.init_containers.size());
    }
    initializing = true;
    break;
  }

  if (!initializing || IsPodInitializedConditionTrue(status)) {
    s.restarts = sidecar_restarts;
    s.last_restart = last_sidecar_restart;
    bool has_running = false;
    // Backwards, so the first container's reason is the one left standing.
    for (auto it = status.container_statuses.rbegin(); it != status.container_statuses.rend();
         ++it) {
      const api::ContainerStatus& c = *it;
      s.restarts += c.restart_count;
      NoteLastTermination(c, s.last_restart);
      if (c.state.waiting && !c.state.waiting->reason.empty()) {
        reason = c.state.waiting->reason;
      } else if (c.state.terminated && !c.state.terminated->reason.empty()) {
        reason = c.state.terminated->reason;
      } else if (c.state.terminated) {
        reason = TerminatedWithoutReason(*c.state.terminated);
      } else if (c.ready && c.state.running) {
        has_running = true;
        ++s.ready;
      }
    }
    // Back to Running if a container still runs.
    if (reason == kReasonCompleted && has_running) {
      reason = HasPodReadyCondition(status) ? "Running" : "NotReady";
    }
  }

  if (pod.metadata.deletion_timestamp && status.reason == kReasonNodeLost) {
    reason = "Unknown";
  } else if (pod.metadata.deletion_timestamp && !api::IsTerminalPhase(status.phase)) {
    reason = "Terminating";
  }
  s.status = std::move(reason);
  return s;
}

PodRow MakePodRow(const api::Pod& pod, absl::Time now) {
  PodSummary s = SummarizePod(pod);
  PodRow row;
  row.namespace_ = pod.metadata.namespace_;
  row.name = pod.metadata.name;
  row.ready = absl::StrCat(s.ready, "/", s.total);
  row.status = s.status;
  row.restarts = absl::StrCat(s.restarts);
  if (s.restarts != 0 && s.last_restart) {
    absl::StrAppend(&row.restarts, " (", TimestampSince(s.last_restart, now), " ago)");
  }
  row.age = TimestampSince(
      pod.metadata.creation_timestamp ? pod.metadata.creation_timestamp : pod.status.start_time,
      now);
  if (!pod.status.pod_ips.empty()) row.ip = pod.status.pod_ips.front().ip;
  if (row.ip.empty()) row.ip = pod.status.pod_ip;
  if (row.ip.empty()) row.ip = "<none>";
  row.node = pod.spec.node_name.empty() ? "<none>" : pod.spec.node_name;
  return row;
}

std::string PrintPodTable(const std::vector<api::Pod>& pods, const TableOptions& options,
                          absl::Time now) {
  std::string text;
  auto add_line = [&text, &options](const std::string& ns, const std::string& name,
                                    const std::string& ready, const std::string& status,
                                    const std::string& restarts, const std::string& age,
                                    const std::string& ip, const std::string& node) {
    if (options.show_namespace) absl::StrAppend(&text, ns, "\t");
    absl::StrAppend(&text, name, "\t", ready, "\t", status, "\t", restarts, "\t", age);
    if (options.wide) absl::StrAppend(&text, "\t", ip, "\t", node);
    text.push_back('\n');
  };
  add_line("NAMESPACE", "NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE");
  for (const api::Pod& pod : pods) {
    PodRow r = MakePodRow(pod, now);
    add_line(r.namespace_, r.name, r.ready, r.status, r.restarts, r.age, r.ip, r.node);
  }
  return AlignTabs(text, kTableMinWidth, kTablePadding);
}

std::string ToYaml(const json& j) {
  YAML::Emitter e;
  e.SetIndent(2);
  EmitYaml(e, j);
  std::string out = e.c_str();
  if (!out.empty() && out.back() != '\n') out.push_back('\n');
  return out;
}

}  // namespace cubelet::cli
