// `cubelet validate PATH...`: checks manifests offline with the same parser the
// daemon uses (api::ParseManifestFile: decode, defaults, validation). A PATH is
// a file, or a directory read like the daemon's manifest directory: its
// *.yaml, *.yml and *.json files, sorted, non-recursive, dot-files skipped.
//
// Beyond the parser, each pod goes through what the daemon does with it
// (config::AcceptStaticPods, for this host's name as node name): the static
// name `<name>-<node>` is validated again and a full name already defined by
// an earlier document or file of the same directory is refused, as the daemon
// refuses it. An empty file is reported ("file was empty").
//
// Each problem goes to `err` as one line (`file: document N: pod "x": field:
// detail`); each file gets a summary line on `out` ("ok  web.yaml (1 pod)" or
// "FAIL bad.yaml (0 pods, 2 errors)").
//
// Reads only the given paths; safe from any thread.
#ifndef CUBELET_CLI_VALIDATE_H_
#define CUBELET_CLI_VALIDATE_H_

#include <ostream>
#include <string>
#include <vector>

namespace cubelet::cli {

// The exit code: 0 when every file parsed without errors, 1 otherwise.
int ValidateManifests(const std::vector<std::string>& paths, std::ostream& out, std::ostream& err);

}  // namespace cubelet::cli

#endif  // CUBELET_CLI_VALIDATE_H_
