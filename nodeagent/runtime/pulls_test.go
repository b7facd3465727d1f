package runtime

import (
	"context"
	"strings"
	"testing"
)

// TestDisabledPullsTouchNothing: with pulls disabled the refusal comes
// before any use of containerd or the network (the runtime has no client
// here: a pull attempt would panic).
func TestDisabledPullsTouchNothing(t *testing.T) {
	r := &Runtime{config: Config{Namespace: "ns", DisablePulls: true}}
	err := r.PullImage(context.Background(), "registry.k8s.io/e2e-test-images/sample-apiserver:1.29.2", nil)
	if err == nil {
		t.Fatal("pull succeeded with pulls disabled")
	}
	for _, want := range []string{"--disable-image-pulls", "sample-apiserver:1.29.2", `"ns"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %s", err, want)
		}
	}
}
