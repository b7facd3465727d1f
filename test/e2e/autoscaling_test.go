package e2e

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestHorizontalPodAutoscaler autoscales a deployment whose pods spin on
// their CPU limit (200m, twice their 100m request) with `kubectl autoscale`:
// the resource metrics API reports them far above the 50% target, and the
// autoscaler scales the deployment up to its maximum of 3.
func TestHorizontalPodAutoscaler(t *testing.T) {
	forEachNodeKubectl(t, func(t *testing.T, k *kubectl) {
		k.okIn(t, `apiVersion: apps/v1
kind: Deployment
metadata:
  name: busy
spec:
  replicas: 1
  selector:
    matchLabels: {app: busy}
  template:
    metadata:
      labels: {app: busy}
    spec:
      terminationGracePeriodSeconds: 0
      containers:
      - name: spin
        image: `+busybox+`
        command: ["sh", "-c", "while :; do :; done"]
        resources:
          requests: {cpu: 100m}
          limits: {cpu: 200m}
`, "apply", "-f", "-")
		rolloutStatus(t, k, "deployment/busy")
		if out := k.ok(t, "autoscale", "deployment", "busy", "--cpu-percent=50", "--min=1", "--max=3"); !strings.Contains(out, "busy autoscaled") {
			t.Fatalf("kubectl autoscale: %q", out)
		}

		// The first samples come a scrape or two after the pod starts, and
		// the autoscaler trusts a starting pod's CPU only a window after
		// it became ready: allow minutes.
		targetsRE := regexp.MustCompile(`cpu: (\d+)%/50%`)
		succeedsWithin(t, 5*time.Minute, func() error {
			out := k.ok(t, "get", "hpa", "busy")
			m := targetsRE.FindStringSubmatch(out)
			if m == nil {
				return fmt.Errorf("kubectl get hpa: no TARGETS cpu: <n>%%/50%% in\n%s", out)
			}
			if pct, _ := strconv.Atoi(m[1]); pct <= 50 {
				return fmt.Errorf("kubectl get hpa: utilization %s%%, want above the 50%% target for pods spinning at twice their request\n%s", m[1], out)
			}
			if replicas := k.jsonpath(t, "deployment/busy", "{.spec.replicas}"); replicas != "3" {
				return fmt.Errorf("deployment replicas %s, want 3\n%s", replicas, out)
			}
			t.Logf("kubectl get hpa:\n%s", out)
			return nil
		})
		rolloutStatus(t, k, "deployment/busy")

		// The next reconcile (every 15 s) finds the three replicas and stays.
		succeedsWithin(t, time.Minute, func() error {
			if got := k.jsonpath(t, "hpa/busy", "{.status.currentReplicas}"); got != "3" {
				return fmt.Errorf("status.currentReplicas %s, want 3", got)
			}
			return nil
		})
		desc := k.ok(t, "describe", "hpa", "busy")
		for _, want := range []*regexp.Regexp{
			regexp.MustCompile(`SuccessfulRescale.*horizontal-pod-autoscaler\s+New size: [23]; reason: cpu resource utilization \(percentage of request\) above target`),
			regexp.MustCompile(`ScalingActive\s+True\s+ValidMetricFound\s+the HPA was able to successfully calculate a replica count from cpu resource utilization \(percentage of request\)`),
			regexp.MustCompile(`AbleToScale\s+True\s+`),
		} {
			if !want.MatchString(desc) {
				t.Errorf("kubectl describe hpa does not match %s:\n%s", want, desc)
			}
		}
	})
}
