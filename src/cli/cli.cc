#include "cli/cli.h"

#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <map>
#include <optional>
#include <ostream>
#include <span>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "absl/status/status.h"
#include "absl/status/statusor.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "api/json.h"
#include "api/pod.h"
#include "cli/client.h"
#include "cli/describe.h"
#include "cli/printers.h"
#include "cli/validate.h"
#include "nlohmann/json.hpp"

namespace cubelet::cli {
namespace {

using json = nlohmann::json;

constexpr int kExitOk = 0;
constexpr int kExitFailed = 1;
constexpr int kExitUsage = 2;

constexpr char kDefaultNamespace[] = "default";
// kubectl's annotation naming the container `logs` picks without -c.
constexpr char kDefaultContainerAnnotation[] = "kubectl.kubernetes.io/default-container";

// ---------------------------------------------------------------------------
// Flags, parsed the way kubectl's (pflag) are: --name=value, --name value,
// -x value, -xvalue, -x=value, bool clusters (-fp), "--" ends flags, and flags
// may come before or after positional arguments.

struct Flag {
  std::string_view name;  // long name, without "--"
  char shorthand = 0;     // 0 when none
  bool takes_value = false;
};

constexpr Flag kServerFlag{"server", 's', true};
constexpr Flag kHelpFlag{"help", 'h', false};
constexpr Flag kNamespaceFlag{"namespace", 'n', true};
constexpr Flag kAllNamespacesFlag{"all-namespaces", 'A', false};

struct Args {
  std::vector<std::string> positional;
  std::map<std::string, std::string, std::less<>> values;  // by long name

  bool Has(std::string_view name) const { return values.contains(name); }
  std::string Get(std::string_view name, std::string_view fallback = "") const {
    auto it = values.find(name);
    return it == values.end() ? std::string(fallback) : it->second;
  }
  bool Bool(std::string_view name) const { return Get(name) == "true"; }
};

absl::StatusOr<std::string> ParseBool(std::string_view value, std::string_view flag) {
  if (value == "true" || value == "1" || value == "t" || value == "TRUE" || value == "True") {
    return std::string("true");
  }
  if (value == "false" || value == "0" || value == "f" || value == "FALSE" || value == "False") {
    return std::string("false");
  }
  return absl::InvalidArgumentError(absl::StrCat("invalid argument \"", std::string(value),
                                                 "\" for \"", std::string(flag), "\" flag"));
}

absl::StatusOr<Args> ParseArgs(const std::vector<std::string>& args, std::span<const Flag> flags) {
  auto by_name = [&flags](std::string_view name) -> const Flag* {
    for (const Flag& f : flags) {
      if (f.name == name) return &f;
    }
    return nullptr;
  };
  auto by_shorthand = [&flags](char c) -> const Flag* {
    for (const Flag& f : flags) {
      if (f.shorthand == c) return &f;
    }
    return nullptr;
  };
  Args out;
  for (size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    if (arg == "--") {
      out.positional.insert(out.positional.end(), args.begin() + i + 1, args.end());
      break;
    }
    if (arg.starts_with("--")) {
      std::string_view body = std::string_view(arg).substr(2);
      std::optional<std::string_view> value;
      if (size_t eq = body.find('='); eq != std::string_view::npos) {
        value = body.substr(eq + 1);
        body = body.substr(0, eq);
      }
      const Flag* flag = by_name(body);
      if (flag == nullptr)
        return absl::InvalidArgumentError(absl::StrCat("unknown flag: --", std::string(body)));
      std::string key(flag->name);
      if (!flag->takes_value) {
        absl::StatusOr<std::string> b = ParseBool(value.value_or("true"), absl::StrCat("--", key));
        if (!b.ok()) return b.status();
        out.values[key] = *b;
      } else if (value) {
        out.values[key] = std::string(*value);
      } else if (i + 1 < args.size()) {
        out.values[key] = args[++i];
      } else {
        return absl::InvalidArgumentError(absl::StrCat("flag needs an argument: --", key));
      }
      continue;
    }
    if (arg.size() > 1 && arg[0] == '-') {
      // One or more shorthands; a value-taking one consumes the rest.
      for (size_t j = 1; j < arg.size(); ++j) {
        const Flag* flag = by_shorthand(arg[j]);
        if (flag == nullptr) {
          return absl::InvalidArgumentError(
              absl::StrCat("unknown shorthand flag: '", std::string(1, arg[j]), "' in ", arg));
        }
        std::string key(flag->name);
        std::string_view rest = std::string_view(arg).substr(j + 1);
        if (!rest.empty() && rest[0] == '=') {
          rest.remove_prefix(1);
          if (flag->takes_value) {
            out.values[key] = std::string(rest);
          } else {
            absl::StatusOr<std::string> b =
                ParseBool(rest, absl::StrCat("-", std::string(1, arg[j])));
            if (!b.ok()) return b.status();
            out.values[key] = *b;
          }
          break;
        }
        if (!flag->takes_value) {
          out.values[key] = "true";
          continue;
        }
        if (!rest.empty()) {
          out.values[key] = std::string(rest);
        } else if (i + 1 < args.size()) {
          out.values[key] = args[++i];
        } else {
          return absl::InvalidArgumentError(absl::StrCat("flag needs an argument: '",
                                                         std::string(1, arg[j]), "' in -",
                                                         std::string(1, arg[j])));
        }
        break;
      }
      continue;
    }
    out.positional.push_back(arg);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Usage texts.

constexpr char kClientFlagsHelp[] =
    "  -s, --server URL       the daemon's read-only API (default: $CUBELET_SERVER, else\n"
    "                         http://127.0.0.1:10255)\n";

constexpr char kGetUsage[] =
    "Print pods the daemon runs, as kubectl get pods does.\n"
    "\n"
    "Usage:\n"
    "  cubelet get pods [NAME...] [flags]\n"
    "\n"
    "Flags:\n"
    "  -n, --namespace NS     the pods' namespace (default \"default\")\n"
    "  -A, --all-namespaces   pods of every namespace\n"
    "  -o, --output FORMAT    wide, json, yaml or name (default: a table)\n";

constexpr char kDescribeUsage[] =
    "Show details of pods, as kubectl describe pod does.\n"
    "\n"
    "Usage:\n"
    "  cubelet describe pod [NAME...] [flags]\n"
    "\n"
    "Flags:\n"
    "  -n, --namespace NS     the pods' namespace (default \"default\")\n"
    "  -A, --all-namespaces   pods of every namespace (without NAME)\n";

constexpr char kLogsUsage[] =
    "Print a container's logs.\n"
    "\n"
    "Usage:\n"
    "  cubelet logs POD [CONTAINER] [flags]\n"
    "\n"
    "Flags:\n"
    "  -c, --container NAME   the container (may be left out when the pod has one)\n"
    "  -f, --follow           stream the log as it grows\n"
    "      --tail N           only the last N lines (default -1: all)\n"
    "  -p, --previous         the previous instance of the container\n"
    "      --timestamps       prefix each line with its timestamp\n"
    "  -n, --namespace NS     the pod's namespace (default \"default\")\n";

constexpr char kValidateUsage[] =
    "Check pod manifests offline, as the daemon reads them: decoding, defaults\n"
    "and validation. A PATH is a file, or a directory whose *.yaml, *.yml and\n"
    "*.json files are checked (not recursively; dot-files skipped).\n"
    "Problems go to stderr, one per line; a summary per file to stdout.\n"
    "Exit code 1 when any file has a problem.\n"
    "\n"
    "Usage:\n"
    "  cubelet validate PATH...\n";

void PrintCommandUsage(std::ostream& os, std::string_view usage, bool client_flags) {
  os << usage;
  if (client_flags) os << kClientFlagsHelp;
}

// ---------------------------------------------------------------------------
// Shared helpers.

bool IsPodType(std::string_view type) { return type == "pods" || type == "pod" || type == "po"; }

// `pods a b` or `pod/a pod/b` -> the names. Returns an error text on failure.
absl::StatusOr<std::vector<std::string>> PodNames(const std::vector<std::string>& positional) {
  std::vector<std::string> names;
  if (positional.empty()) return names;
  if (positional[0].find('/') == std::string::npos) {
    if (!IsPodType(positional[0])) {
      return absl::NotFoundError(
          absl::StrCat("the server doesn't have a resource type \"", positional[0], "\""));
    }
    for (size_t i = 1; i < positional.size(); ++i) {
      if (positional[i].find('/') != std::string::npos) {
        return absl::InvalidArgumentError(
            "there is no need to specify a resource type as a separate argument when passing "
            "arguments in resource/name form (e.g. 'cubelet get pod/NAME' instead of 'cubelet "
            "get pod pod/NAME')");
      }
      names.push_back(positional[i]);
    }
    return names;
  }
  for (const std::string& arg : positional) {
    size_t slash = arg.find('/');
    if (slash == std::string::npos) {
      return absl::InvalidArgumentError(absl::StrCat(
          "arguments in resource/name form must have a single resource and name: ", arg));
    }
    std::string type = arg.substr(0, slash);
    if (!IsPodType(type)) {
      return absl::NotFoundError(
          absl::StrCat("the server doesn't have a resource type \"", type, "\""));
    }
    names.push_back(arg.substr(slash + 1));
  }
  return names;
}

std::string HttpReason(int status) {
  switch (status) {
    case 400:
      return "BadRequest";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "NotFound";
    case 405:
      return "MethodNotAllowed";
    case 409:
      return "Conflict";
    case 500:
      return "InternalError";
    case 503:
      return "ServiceUnavailable";
    case 504:
      return "Timeout";
    default:
      return absl::StrCat("HTTP ", status);
  }
}

// kubectl's forms: "Error from server (NotFound): ..." for replies, "error: ..."
// for the rest.
void PrintError(std::ostream& err, const absl::Status& status) {
  if (std::optional<int> http = HttpStatusOf(status)) {
    err << "Error from server (" << HttpReason(*http) << "): " << status.message() << "\n";
  } else {
    err << "error: " << status.message() << "\n";
  }
}

void PrintNotFound(std::ostream& err, std::string_view name) {
  err << "Error from server (NotFound): pods \"" << name << "\" not found\n";
}

// -n, with "" meaning the default namespace as in kubectl.
std::string NamespaceOf(const Args& args) {
  std::string ns = args.Get("namespace");
  return ns.empty() ? kDefaultNamespace : ns;
}

std::string ServerOf(const Args& args, const CliEnvironment& env) {
  std::string server = args.Get("server");
  if (server.empty()) server = env.server_from_env;
  if (server.empty()) server = kDefaultServer;
  return server;
}

// The pods of `ns` ("" for all), sorted by namespace and name.
absl::StatusOr<std::vector<api::Pod>> FetchPods(const ApiClient& client, const std::string& ns) {
  absl::StatusOr<std::vector<api::Pod>> pods = client.ListPods();
  if (!pods.ok()) return pods.status();
  std::vector<api::Pod> out;
  for (api::Pod& pod : *pods) {
    if (ns.empty() || pod.metadata.namespace_ == ns) out.push_back(std::move(pod));
  }
  std::sort(out.begin(), out.end(), [](const api::Pod& a, const api::Pod& b) {
    return std::tie(a.metadata.namespace_, a.metadata.name) <
           std::tie(b.metadata.namespace_, b.metadata.name);
  });
  return out;
}

// The pods `get` and `describe` work on: those of -n (or of every namespace
// with -A, which cannot be combined with names), from the server. Sets `ns`
// to the namespace asked for ("" for all).
absl::StatusOr<std::vector<api::Pod>> ListPods(const Args& args, const CliEnvironment& env,
                                               bool by_name, std::string& ns) {
  const bool all = args.Bool("all-namespaces");
  if (all && by_name) {
    return absl::InvalidArgumentError(
        "a resource cannot be retrieved by name across all namespaces");
  }
  ns = all ? "" : NamespaceOf(args);
  absl::StatusOr<ApiClient> client = ApiClient::Create(ServerOf(args, env));
  if (!client.ok()) return client.status();
  return FetchPods(*client, ns);
}

const api::Pod* FindPod(const std::vector<api::Pod>& pods, std::string_view name) {
  for (const api::Pod& pod : pods) {
    if (pod.metadata.name == name) return &pod;
  }
  return nullptr;
}

void PrintNoResources(std::ostream& err, const std::string& ns) {
  if (ns.empty()) {
    err << "No resources found\n";
  } else {
    err << "No resources found in " << ns << " namespace.\n";
  }
}

// ---------------------------------------------------------------------------
// Subcommands.

int RunGet(const Args& args, const CliEnvironment& env, std::ostream& out, std::ostream& err) {
  if (args.positional.empty()) {
    err << "error: you must specify the type of resource to get: cubelet get pods [NAME...]\n";
    return kExitUsage;
  }
  absl::StatusOr<std::vector<std::string>> names = PodNames(args.positional);
  if (!names.ok()) {
    PrintError(err, names.status());
    return kExitFailed;
  }
  const std::string output = args.Get("output");
  if (output != "" && output != "wide" && output != "json" && output != "yaml" &&
      output != "name") {
    err << "error: unable to match a printer suitable for the output format \"" << output
        << "\", allowed formats are: json,name,wide,yaml\n";
    return kExitFailed;
  }
  const bool all = args.Bool("all-namespaces");
  std::string ns;
  absl::StatusOr<std::vector<api::Pod>> pods = ListPods(args, env, !names->empty(), ns);
  if (!pods.ok()) {
    PrintError(err, pods.status());
    return kExitFailed;
  }

  std::vector<api::Pod> selected;
  bool missing = false;
  if (names->empty()) {
    selected = *std::move(pods);
  } else {
    for (const std::string& name : *names) {
      if (const api::Pod* pod = FindPod(*pods, name)) {
        selected.push_back(*pod);
      } else {
        PrintNotFound(err, name);
        missing = true;
      }
    }
  }
  const int code = missing ? kExitFailed : kExitOk;

  if (output == "json" || output == "yaml") {
    if (names->size() == 1 && selected.empty()) return code;
    json doc = names->size() == 1 ? api::PodToJson(selected.front())
                                  : json::parse(api::PodListJson(selected));
    out << (output == "json" ? doc.dump(4) + "\n" : ToYaml(doc));
    return code;
  }
  if (selected.empty()) {
    if (names->empty()) PrintNoResources(err, ns);
    return code;
  }
  if (output == "name") {
    for (const api::Pod& pod : selected) out << "pod/" << pod.metadata.name << "\n";
    return code;
  }
  out << PrintPodTable(selected, {.wide = output == "wide", .show_namespace = all}, env.now);
  return code;
}

int RunDescribe(const Args& args, const CliEnvironment& env, std::ostream& out, std::ostream& err) {
  if (args.positional.empty()) {
    err << "error: you must specify the type of resource to describe: cubelet describe pod "
           "[NAME...]\n";
    return kExitUsage;
  }
  absl::StatusOr<std::vector<std::string>> names = PodNames(args.positional);
  if (!names.ok()) {
    PrintError(err, names.status());
    return kExitFailed;
  }
  std::string ns;
  absl::StatusOr<std::vector<api::Pod>> pods = ListPods(args, env, !names->empty(), ns);
  if (!pods.ok()) {
    PrintError(err, pods.status());
    return kExitFailed;
  }

  std::vector<const api::Pod*> selected;
  bool missing = false;
  if (names->empty()) {
    for (const api::Pod& pod : *pods) selected.push_back(&pod);
    if (selected.empty()) PrintNoResources(err, ns);
  } else {
    for (const std::string& name : *names) {
      if (const api::Pod* pod = FindPod(*pods, name)) {
        selected.push_back(pod);
      } else {
        PrintNotFound(err, name);
        missing = true;
      }
    }
  }
  for (size_t i = 0; i < selected.size(); ++i) {
    if (i > 0) out << "\n\n";
    out << DescribePod(*selected[i], env.now, env.time_zone);
  }
  return missing ? kExitFailed : kExitOk;
}

// The container `logs` reads when none is named, or an error (kubectl's rules
// minus its defaulting to the first container: more than one is an error).
absl::StatusOr<std::string> DefaultContainer(const api::Pod& pod) {
  auto it = pod.metadata.annotations.find(kDefaultContainerAnnotation);
  if (it != pod.metadata.annotations.end()) {
    for (const api::Container& c : pod.spec.containers) {
      if (c.name == it->second) return c.name;
    }
    for (const api::Container& c : pod.spec.init_containers) {
      if (c.name == it->second) return c.name;
    }
  }
  if (pod.spec.containers.size() == 1) return pod.spec.containers.front().name;
  auto names = [](const std::vector<api::Container>& containers) {
    std::vector<std::string> out;
    for (const api::Container& c : containers) out.push_back(c.name);
    return absl::StrJoin(out, " ");
  };
  std::string message =
      absl::StrCat("a container name must be specified for pod ", pod.metadata.name,
                   ", choose one of: [", names(pod.spec.containers), "]");
  if (!pod.spec.init_containers.empty()) {
    absl::StrAppend(&message, " or one of the init containers: [", names(pod.spec.init_containers),
                    "]");
  }
  return absl::InvalidArgumentError(message);
}

int RunLogs(const Args& args, const CliEnvironment& env, std::ostream& out, std::ostream& err) {
  if (args.positional.empty() || args.positional.size() > 2) {
    err << "error: expected 'logs POD [CONTAINER]'.\n"
           "POD is a required argument for the logs command\n"
           "See 'cubelet logs --help' for usage.\n";
    return kExitUsage;
  }
  std::string pod_name = args.positional[0];
  if (size_t slash = pod_name.find('/'); slash != std::string::npos) {
    if (!IsPodType(pod_name.substr(0, slash))) {
      err << "error: cannot get the logs from " << pod_name.substr(0, slash) << "\n";
      return kExitFailed;
    }
    pod_name = pod_name.substr(slash + 1);
  }
  std::string container = args.Get("container");
  if (args.positional.size() == 2) {
    if (!container.empty()) {
      err << "error: only one of -c or an inline [CONTAINER] arg is allowed\n";
      return kExitUsage;
    }
    container = args.positional[1];
  }
  LogOptions options;
  options.follow = args.Bool("follow");
  options.previous = args.Bool("previous");
  options.timestamps = args.Bool("timestamps");
  if (args.Has("tail")) {
    int64_t tail = 0;
    if (!absl::SimpleAtoi(args.Get("tail"), &tail)) {
      err << "error: invalid argument \"" << args.Get("tail") << "\" for \"--tail\" flag\n";
      return kExitUsage;
    }
    if (tail >= 0) options.tail_lines = tail;
  }
  const std::string ns = NamespaceOf(args);

  absl::StatusOr<ApiClient> client = ApiClient::Create(ServerOf(args, env));
  if (!client.ok()) {
    PrintError(err, client.status());
    return kExitFailed;
  }
  if (container.empty()) {
    absl::StatusOr<std::vector<api::Pod>> pods = FetchPods(*client, ns);
    if (!pods.ok()) {
      PrintError(err, pods.status());
      return kExitFailed;
    }
    const api::Pod* pod = FindPod(*pods, pod_name);
    if (pod == nullptr) {
      PrintNotFound(err, pod_name);
      return kExitFailed;
    }
    absl::StatusOr<std::string> chosen = DefaultContainer(*pod);
    if (!chosen.ok()) {
      PrintError(err, chosen.status());
      return kExitFailed;
    }
    container = *chosen;
  }
  absl::Status status =
      client->StreamLogs(ns, pod_name, container, options, [&out](std::string_view chunk) {
        out.write(chunk.data(), static_cast<std::streamsize>(chunk.size()));
        out.flush();
        return static_cast<bool>(out);
      });
  if (!status.ok()) {
    PrintError(err, status);
    return kExitFailed;
  }
  return kExitOk;
}

int RunValidate(const Args& args, const CliEnvironment&, std::ostream& out, std::ostream& err) {
  if (args.positional.empty()) {
    err << "error: validate needs at least one PATH\nSee 'cubelet validate --help' for usage.\n";
    return kExitUsage;
  }
  return ValidateManifests(args.positional, out, err);
}

struct Command {
  std::string_view name;
  std::string_view usage;
  std::vector<Flag> flags;
  bool client_flags;  // talks to the server
  int (*run)(const Args&, const CliEnvironment&, std::ostream&, std::ostream&);
};

const std::vector<Command>& Commands() {
  static const auto* const commands = new std::vector<Command>{
      {"get",
       kGetUsage,
       {kServerFlag, kHelpFlag, kNamespaceFlag, kAllNamespacesFlag, {"output", 'o', true}},
       true,
       RunGet},
      {"describe",
       kDescribeUsage,
       {kServerFlag, kHelpFlag, kNamespaceFlag, kAllNamespacesFlag},
       true,
       RunDescribe},
      {"logs",
       kLogsUsage,
       {kServerFlag,
        kHelpFlag,
        kNamespaceFlag,
        {"container", 'c', true},
        {"follow", 'f', false},
        {"tail", 0, true},
        {"previous", 'p', false},
        {"timestamps", 0, false}},
       true,
       RunLogs},
      {"validate", kValidateUsage, {kHelpFlag}, false, RunValidate},
  };
  return *commands;
}

const Command* FindCommand(std::string_view name) {
  for (const Command& c : Commands()) {
    if (c.name == name) return &c;
  }
  return nullptr;
}

bool IsHelp(std::string_view arg) { return arg == "help" || arg == "--help" || arg == "-h"; }

}  // namespace

std::string Usage() {
  return absl::StrCat(
      "cubelet runs pods on this machine (the node agent) and, with a subcommand, inspects\n"
      "them through the agent's read-only API, like kubectl.\n"
      "\n"
      "Usage:\n"
      "  cubelet [daemon flags]              run the node agent\n"
      "  cubelet get pods [NAME...] [-o wide|json|yaml|name] [-n NS | -A]\n"
      "  cubelet describe pod [NAME...] [-n NS | -A]\n"
      "  cubelet logs POD [CONTAINER] [-c CONTAINER] [-f] [--tail N] [-p] [--timestamps] "
      "[-n NS]\n"
      "  cubelet validate PATH...            check manifests offline\n"
      "  cubelet help [COMMAND]\n"
      "\n"
      "Client flags:\n",
      kClientFlagsHelp,
      "  -n, --namespace NS     namespace (default \"default\")\n"
      "\n"
      "Use 'cubelet <command> --help' for more about a command.\n");
}

bool IsCliCommand(std::string_view arg) { return arg == "help" || FindCommand(arg) != nullptr; }

CliEnvironment CurrentEnvironment() {
  CliEnvironment env;
  env.now = absl::Now();
  env.time_zone = absl::LocalTimeZone();
  if (const char* server = std::getenv("CUBELET_SERVER")) env.server_from_env = server;
  return env;
}

int RunCli(int argc, char** argv, std::ostream& out, std::ostream& err) {
  return RunCli(argc, argv, out, err, CurrentEnvironment());
}

int RunCli(int argc, char** argv, std::ostream& out, std::ostream& err, const CliEnvironment& env) {
  if (argc < 2) {
    err << Usage();
    return kExitUsage;
  }
  std::string_view name = argv[1];
  if (IsHelp(name)) {
    if (argc > 2) {
      if (const Command* c = FindCommand(argv[2])) {
        PrintCommandUsage(out, c->usage, c->client_flags);
        return kExitOk;
      }
      err << "error: unknown command \"" << argv[2] << "\" for \"cubelet\"\n\n" << Usage();
      return kExitUsage;
    }
    out << Usage();
    return kExitOk;
  }
  const Command* command = FindCommand(name);
  if (command == nullptr) {
    err << "error: unknown command \"" << name << "\" for \"cubelet\"\n\n" << Usage();
    return kExitUsage;
  }
  std::vector<std::string> rest(argv + 2, argv + argc);
  absl::StatusOr<Args> args = ParseArgs(rest, command->flags);
  if (!args.ok()) {
    err << "error: " << args.status().message() << "\nSee 'cubelet " << command->name
        << " --help' for usage.\n";
    return kExitUsage;
  }
  if (args->Bool("help")) {
    PrintCommandUsage(out, command->usage, command->client_flags);
    return kExitOk;
  }
  return command->run(*args, env, out, err);
}

}  // namespace cubelet::cli
