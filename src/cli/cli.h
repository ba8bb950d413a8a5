// `cubelet <subcommand>`: the kubectl-like command line that talks to a running
// daemon's read-only HTTP API (get pods, describe pod, logs) or checks
// manifests offline (validate). The daemon's main calls RunCli when
// IsCliCommand(argv[1]); everything else in argv is daemon flags.
//
// The server is --server/-s, else $CUBELET_SERVER, else kDefaultServer
// (http://127.0.0.1:10255). Exit codes: 0 success, 1 the command failed (not
// found, unreachable, invalid manifest), 2 the command line was wrong.
//
// RunCli writes only to the streams it is given; concurrent calls are safe.
#ifndef CUBELET_CLI_CLI_H_
#define CUBELET_CLI_CLI_H_

#include <ostream>
#include <string>
#include <string_view>

#include "absl/time/time.h"

namespace cubelet::cli {

// True if argv[1] names a CLI subcommand (get, describe, logs, validate, help)
// rather than daemon flags. "--help" is left to the daemon; RunCli accepts it
// too.
bool IsCliCommand(std::string_view arg);

// Runs `cubelet <subcommand> ...` (argv[0] is the program name). Returns the
// process exit code. Writes to out/err.
int RunCli(int argc, char** argv, std::ostream& out, std::ostream& err);

// What RunCli takes from the process, so tests can fix it.
struct CliEnvironment {
  absl::Time now;               // AGE and "(5m ago)" are relative to this
  absl::TimeZone time_zone;     // describe prints timestamps in this zone
  std::string server_from_env;  // $CUBELET_SERVER; "" when unset
};

// absl::Now(), the local time zone, $CUBELET_SERVER.
CliEnvironment CurrentEnvironment();

int RunCli(int argc, char** argv, std::ostream& out, std::ostream& err, const CliEnvironment& env);

// The top-level usage text (what `cubelet help` prints), for the daemon's own
// --help to include.
std::string Usage();

}  // namespace cubelet::cli

#endif  // CUBELET_CLI_CLI_H_
