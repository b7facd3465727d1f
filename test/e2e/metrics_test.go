package e2e

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestKubectlTop runs a pod that spins on its CPU limit and reads it back through
// the resource metrics API the server serves: kubectl top pod, kubectl top node and
// kubectl get podmetrics, each kubectl as it ships.
func TestKubectlTop(t *testing.T) {
	forEachNodeKubectl(t, func(t *testing.T, k *kubectl) {
		k.okIn(t, `apiVersion: v1
kind: Pod
metadata:
  name: busy
  labels:
    app: busy
spec:
  terminationGracePeriodSeconds: 0
  containers:
  - name: spin
    image: `+busybox+`
    command: ["sh", "-c", "while :; do :; done"]
    resources:
      limits:
        cpu: 200m
        memory: 64Mi
`, "apply", "-f", "-")
		k.waitFor(t, "pod/busy", "condition=Ready")

		// Metrics come after two scrapes of the kubelet (15s apart), or one once
		// the container has run 10s; the rate is over the scrape window.
		cpuRE := regexp.MustCompile(`^(\d+)m$`)
		succeedsWithin(t, 2*time.Minute, func() error {
			r := k.run(t, "", "top", "pod", "busy", "--no-headers")
			if r.err != nil {
				return fmt.Errorf("kubectl top pod: %v", r)
			}
			f := strings.Fields(r.stdout)
			if len(f) != 3 || f[0] != "busy" {
				return fmt.Errorf("kubectl top pod: unexpected output %q", r.stdout)
			}
			m := cpuRE.FindStringSubmatch(f[1])
			if m == nil {
				return fmt.Errorf("kubectl top pod: CPU %q is not in millicores", f[1])
			}
			if milli, _ := strconv.Atoi(m[1]); milli <= 100 {
				return fmt.Errorf("kubectl top pod: CPU %s, want above 100m for a pod spinning at its 200m limit", f[1])
			}
			if !strings.HasSuffix(f[2], "Mi") {
				return fmt.Errorf("kubectl top pod: memory %q is not in Mi", f[2])
			}
			t.Logf("kubectl top pod busy: %s", strings.TrimSpace(r.stdout))
			return nil
		})

		// The containers, and the pods by label as the HPA selects them.
		out := k.ok(t, "top", "pod", "-l", "app=busy", "--containers", "--no-headers")
		if f := strings.Fields(out); len(f) != 4 || f[0] != "busy" || f[1] != "spin" || !cpuRE.MatchString(f[2]) {
			t.Errorf("kubectl top pod --containers: got %q, want busy spin <cpu> <memory>", out)
		}

		out = k.ok(t, "top", "node")
		t.Logf("kubectl top node:\n%s", out)
		rows := table(out)
		nodes := k.ok(t, "get", "nodes", "-o", "name")
		if len(rows) != 2 || "node/"+rows[1][0] != strings.TrimSpace(nodes) {
			t.Fatalf("kubectl top node: got %q, want the one node of %q", rows, nodes)
		}
		if len(rows[1]) != 5 || !cpuRE.MatchString(rows[1][1]) || !strings.HasSuffix(rows[1][2], "%") ||
			!strings.HasSuffix(rows[1][3], "Mi") || !strings.HasSuffix(rows[1][4], "%") {
			t.Errorf("kubectl top node: got row %q, want name, CPU, CPU%%, memory, memory%%", rows[1])
		}

		// The table metrics-server serves for kubectl get.
		rows = table(k.ok(t, "get", "podmetrics", "busy"))
		if len(rows) != 2 || strings.Join(rows[0], " ") != "NAME CPU MEMORY WINDOW" || rows[1][0] != "busy" {
			t.Errorf("kubectl get podmetrics: got %q", rows)
		}
	})
}
