package node

import (
	"fmt"
	"os"
	"testing"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// server is the package's API server. The tests start it themselves rather
// than through framework.Shared because kubectl needs its kubeconfig file.
var server *framework.Server

func TestMain(m *testing.M) {
	var err error
	server, err = framework.Start(nil)
	if err != nil {
		fmt.Fprintf(os.Stderr, "start API server: %v\n", err)
		os.Exit(1)
	}
	code := m.Run()
	if err := server.Stop(); err != nil {
		fmt.Fprintf(os.Stderr, "stop API server: %v\n", err)
	}
	os.Exit(code)
}
