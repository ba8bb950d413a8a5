# Sourced by build-k8s.sh and build-e2e-node.sh: the Kubernetes release a
# wrapper module pins, and the ldflags that stamp it into the binaries.
# k8s_version_setup <module dir> <script name>: sets $version and $ldflags.
k8s_version_setup() {
  local module=$1 me=$2 major minor pkg=k8s.io/component-base/version
  command -v go >/dev/null || { echo "$me: go is not installed" >&2; exit 1; }
  version=$(sed -n 's/^[[:space:]]*\(require \)\{0,1\}k8s.io\/kubernetes \(v[0-9.]*\)$/\2/p' "$module/go.mod" | head -1)
  [ -n "$version" ] || { echo "$me: no k8s.io/kubernetes version in $module/go.mod" >&2; exit 1; }
  major=${version#v}; major=${major%%.*}
  minor=${version#v*.}; minor=${minor%%.*}
  ldflags="-s -w -X $pkg.gitVersion=$version -X $pkg.gitMajor=$major -X $pkg.gitMinor=$minor"
  ldflags+=" -X $pkg.gitTreeState=clean -X $pkg.buildDate=1970-01-01T00:00:00Z"
}
