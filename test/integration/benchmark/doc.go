// Package benchmark holds go test benchmarks of the API server: client-go
// against a real in-process server with its embedded etcd, as the
// integration tests run it. They measure kubeshim alone; hack/bench.sh
// measures it against the upstream kube-apiserver (docs/benchmarks.md).
//
//	go test -run '^$' -bench . -benchtime 2000x ./test/integration/benchmark
//
// The package has no tests, so `go test ./...` runs nothing here and starts
// no server.
package benchmark
