package e2e

import (
	"os"
	"testing"
)

// TestRestartKeepsData stops a server of its own with SIGTERM, which must
// shut it down cleanly (exit 0), and restarts it on the same data dir and
// port: what was written before is still there.
func TestRestartKeepsData(t *testing.T) {
	binary, err := serverBinary()
	if err != nil {
		t.Skip(err)
	}
	for _, version := range kubectlVersions {
		t.Run("kubectl-"+version, func(t *testing.T) {
			kubectlPath(t, version) // skip before starting a server
			dir, err := os.MkdirTemp("", "kubeshim-e2e-restart-")
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.RemoveAll(dir) })

			start := func(port int) *server {
				t.Helper()
				s, err := startServer(binary, dir, port)
				if err != nil {
					t.Fatalf("start server: %v", err)
				}
				t.Cleanup(func() { s.stop() }) // a no-op once stopped
				return s
			}
			stop := func(s *server) {
				t.Helper()
				if err := s.stop(); err != nil {
					t.Fatalf("SIGTERM must stop the server cleanly: %v\nserver log, last lines:\n%s", err, s.logTail(30))
				}
			}

			first := start(0)
			k := newKubectl(t, version, first)
			k.ok(t, "create", "namespace", "kept")
			k.namespace = "kept"
			k.ok(t, "create", "configmap", "survivor", "--from-literal=key=value")
			uid := k.jsonpath(t, "configmap/survivor", "{.metadata.uid}")
			stop(first)

			second := start(first.port)
			k.expectJSONPath(t, "configmap/survivor", "{.metadata.uid} {.data.key}", uid+" value")
			k.expectJSONPath(t, "namespace/kept", "{.status.phase}", "Active")
			stop(second)
		})
	}
}
