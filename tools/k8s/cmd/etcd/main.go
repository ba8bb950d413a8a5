// Command etcd is upstream etcd's server, at the version the Kubernetes
// release in go.mod requires (Debian's etcd 3.4 is too old for it).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
