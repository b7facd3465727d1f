// Package apiserver holds integration tests of the API server: client-go
// against a real in-process server with its embedded etcd.
package apiserver
