//go:build tools

// Package tools names the upstream packages this module builds, so that
// `go mod tidy` keeps their dependencies in go.sum:
//   - k8s.io/kubernetes/test/e2e_node: the node e2e / node conformance suite
//     (a test-only package; build it with `go test -c`).
//   - k8s.io/kubernetes/test/images/agnhost: the test image's binary.
package tools

import (
	_ "k8s.io/kubernetes/test/e2e_node"
	_ "k8s.io/kubernetes/test/images/agnhost"
)
