package autoscaling

import (
	"fmt"
	"os"
	"sync"
	"testing"

	"k8s.io/client-go/rest"

	"github.com/kubeshim/kubeshim/registry/apiserver"
	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// These tests are about how HorizontalPodAutoscalers are stored and served:
// they write status themselves, so their server runs without the
// controllers, whose autoscaler would write it too.
var (
	serverOnce sync.Once
	server     *framework.Server
	serverErr  error
)

func serverConfig(t testing.TB) *rest.Config {
	t.Helper()
	serverOnce.Do(func() {
		server, serverErr = framework.Start(func(o *apiserver.Options) {
			o.Disable = []string{apiserver.RoleScheduler, apiserver.RoleControllers}
		})
	})
	if serverErr != nil {
		t.Fatalf("start API server: %v", serverErr)
	}
	return rest.CopyConfig(server.Config)
}

func TestMain(m *testing.M) {
	code := m.Run()
	if server != nil {
		if err := server.Stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stop API server: %v\n", err)
		}
	}
	os.Exit(code)
}
