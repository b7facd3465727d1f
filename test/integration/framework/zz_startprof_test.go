package framework

import (
	"os"
	"runtime/pprof"
	"testing"
	"time"
)

func TestZZStartProfile(t *testing.T) {
	f, _ := os.Create("/tmp/start.prof")
	pprof.StartCPUProfile(f)
	start := time.Now()
	s, err := Start(nil)
	el := time.Since(start)
	pprof.StopCPUProfile()
	f.Close()
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("ready in %v", el)
	s.Stop()
}
