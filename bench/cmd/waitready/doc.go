// Command waitready polls an API server's /readyz until it answers 200 and
// prints the moment it did, in nanoseconds since the Unix epoch, so that
// hack/bench.sh can compute the cold start of a server from the moment it
// executed it. It polls every --interval anonymously, without verifying the
// serving certificate (the server under test made it a moment ago), and
// gives up after --timeout or as soon as the process --pid has exited.
//
//	waitready --url https://127.0.0.1:6443/readyz --pid 1234
//
// Only loopback URLs are accepted.
package main
