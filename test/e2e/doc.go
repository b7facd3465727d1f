// Package e2e holds the end-to-end tests: the real kubeshim binary
// (_output/bin/kubeshim, built by hack/build.sh) driven by unmodified kubectl
// binaries of several versions, as a user would drive it.
//
// TestMain starts one `kubeshim server` child process on a free port with a
// fresh data dir; every scenario runs once per kubectl version, as subtests
// named kubectl-<version>, each in a namespace of its own. Run them with
//
//	hack/build.sh && go test -count=1 ./test/e2e/...
//
// A missing kubeshim binary or kubectl version skips the tests that need it,
// with the reason.
package e2e
