// Package service holds integration tests of service cluster IP and node
// port allocation: client-go against a real in-process server with its
// embedded etcd.
package service
