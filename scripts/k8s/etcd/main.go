// Command etcd is the etcd server, built from the go.etcd.io/etcd/server/v3 module
// (the same entry point as the etcd repository's own main.go).
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() {
	etcdmain.Main(os.Args)
}
