// What `cubelet get pods` prints, computed as kubectl does: the STATUS, READY
// and RESTARTS cells of printPod (kubernetes pkg/printers/internalversion),
// ages in apimachinery's HumanDuration form, the table laid out like kubectl's
// tabwriter, and the YAML form of -o yaml.
//
// Pure functions of their arguments; the current time is always passed in, so
// output is deterministic. Safe from any thread.
#ifndef CUBELET_CLI_PRINTERS_H_
#define CUBELET_CLI_PRINTERS_H_

#include <optional>
#include <string>
#include <vector>

#include "absl/time/time.h"
#include "api/pod.h"
#include "nlohmann/json.hpp"

namespace cubelet::cli {

// duration.HumanDuration: "0s", "59s", "119s", "2m", "3m2s", "10m", "3h",
// "7h59m", "2d3h", "8d", "2y3d", ...; "<invalid>" below -1s.
std::string HumanDuration(absl::Duration d);

// translateTimestampSince: HumanDuration(now - t), "<unknown>" when unset.
std::string TimestampSince(const std::optional<absl::Time>& t, absl::Time now);

// The values printPod derives from a pod's status.
struct PodSummary {
  int ready = 0;       // running-and-ready containers (+ started, ready sidecars)
  int total = 0;       // spec.containers + restartable init containers
  std::string status;  // the STATUS cell: "Running", "Init:1/2", "CrashLoopBackOff", ...
  int restarts = 0;    // summed restartCount (see printPod for which containers count)
  std::optional<absl::Time> last_restart;  // latest lastState.terminated.finishedAt counted
};

PodSummary SummarizePod(const api::Pod& pod);

// The cells of one `get pods` row.
struct PodRow {
  std::string namespace_;
  std::string name;
  std::string ready;  // "1/2"
  std::string status;
  std::string restarts;  // "3" or "3 (5m ago)"
  std::string age;       // creationTimestamp, else status.startTime; "<unknown>"
  std::string ip;        // status.podIPs[0] (else podIP), "<none>"
  std::string node;      // spec.nodeName, "<none>"
};

PodRow MakePodRow(const api::Pod& pod, absl::Time now);

struct TableOptions {
  bool wide = false;            // -o wide: adds IP and NODE
  bool show_namespace = false;  // -A: a leading NAMESPACE column
};

// Header and one row per pod, in the given order, aligned like kubectl.
std::string PrintPodTable(const std::vector<api::Pod>& pods, const TableOptions& options,
                          absl::Time now);

// Block-style YAML of a JSON value (object keys in the JSON's order). Strings
// a YAML reader would take for something else ("1.0", "true", timestamps, "")
// are quoted.
std::string ToYaml(const nlohmann::json& j);

}  // namespace cubelet::cli

#endif  // CUBELET_CLI_PRINTERS_H_
