#!/usr/bin/env bash
# clang-tidy (.clang-tidy's checks, all errors) over the C++ sources changed
# since a base revision (default: the previous commit), with the compile
# commands of the clang `tsa` build. Usage: scripts/tidy.sh [BASE]
set -euo pipefail
cd "$(dirname "$0")/.."
base=${1:-HEAD~1}
if [ ! -f build/tsa/compile_commands.json ]; then
  cmake --preset tsa >/dev/null
fi
mapfile -t files < <(git diff --name-only --diff-filter=AM "$base" -- 'src/*.cc' 'e2e/*.cc' 'fuzz/*.cc' |
  while read -r f; do grep -q "\"file\": \".*/$f\"" build/tsa/compile_commands.json && echo "$f"; done)
if [ ${#files[@]} -eq 0 ]; then
  echo "tidy: no compiled C++ source changed since $base"
  exit 0
fi
echo "tidy: ${#files[@]} files changed since $base"
printf '%s\n' "${files[@]}" | xargs -P "$(nproc)" -n 1 clang-tidy -p build/tsa --quiet
echo "tidy: clean"
