package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// The workload tests drive the controllers with stock kubectl on the node
// cluster: real pods, real containers, the way a user does it.

// rolloutStatus runs `kubectl rollout status` and fails the test unless the
// rollout completes.
func rolloutStatus(t *testing.T, k *kubectl, object string) string {
	t.Helper()
	r := k.run(t, "", "rollout", "status", object, "--timeout=90s")
	if r.err != nil {
		t.Fatalf("%v\n%s", r, k.run(t, "", "describe", object).stdout)
	}
	return r.stdout
}

func TestDeploymentRolloutLifecycle(t *testing.T) {
	forEachNodeKubectl(t, func(t *testing.T, k *kubectl) {
		out := k.ok(t, "create", "deployment", "web", "--image="+busybox, "--replicas=2", "--", "sleep", "3600")
		if !strings.Contains(out, "deployment.apps/web created") {
			t.Fatalf("create deployment: %q", out)
		}
		if out := rolloutStatus(t, k, "deployment/web"); !strings.Contains(out, `deployment "web" successfully rolled out`) {
			t.Errorf("rollout status: %q", out)
		}
		k.ok(t, "scale", "deployment/web", "--replicas=3")
		rolloutStatus(t, k, "deployment/web")
		k.expectJSONPath(t, "deployment/web", "{.status.availableReplicas}", "3")

		// A new image is a new revision; undo goes back to the first.
		k.ok(t, "set", "image", "deployment/web", "busybox=registry.k8s.io/e2e-test-images/busybox:1.36.1-1")
		rolloutStatus(t, k, "deployment/web")
		history := k.ok(t, "rollout", "history", "deployment/web")
		for _, rev := range []string{"1 ", "2 "} {
			if !strings.Contains(history, "\n"+rev) {
				t.Errorf("rollout history lacks revision %s:\n%s", rev, history)
			}
		}
		k.ok(t, "rollout", "undo", "deployment/web")
		rolloutStatus(t, k, "deployment/web")
		k.expectJSONPath(t, "deployment/web", "{.spec.template.spec.containers[0].image}", busybox)
		k.expectJSONPath(t, "deployment/web", "{.metadata.annotations.deployment\\.kubernetes\\.io/revision}", "3")
		succeedsWithin(t, 60*time.Second, func() error {
			images := k.ok(t, "get", "pods", "-l", "app=web", "--field-selector=status.phase=Running", "-o", "jsonpath={range .items[*]}{.metadata.deletionTimestamp}{.spec.containers[0].image}{\"\\n\"}{end}")
			for _, line := range strings.Split(strings.TrimSpace(images), "\n") {
				if line != busybox {
					return fmt.Errorf("pods after undo: %q", images)
				}
			}
			return nil
		})

		// Paused, a template change makes no new replica set; resumed,
		// it rolls out.
		k.ok(t, "rollout", "pause", "deployment/web")
		k.ok(t, "set", "env", "deployment/web", "PAUSED=yes")
		rsBefore := k.ok(t, "get", "rs", "-l", "app=web", "-o", "name")
		time.Sleep(2 * time.Second) // give a (wrong) controller time to act
		if rsAfter := k.ok(t, "get", "rs", "-l", "app=web", "-o", "name"); rsAfter != rsBefore {
			t.Errorf("a paused deployment made replica sets:\nbefore %s\nafter %s", rsBefore, rsAfter)
		}
		k.ok(t, "rollout", "resume", "deployment/web")
		rolloutStatus(t, k, "deployment/web")

		// rollout restart replaces every pod.
		before := k.ok(t, "get", "pods", "-l", "app=web", "-o", "name")
		k.ok(t, "rollout", "restart", "deployment/web")
		rolloutStatus(t, k, "deployment/web")
		succeedsWithin(t, 60*time.Second, func() error {
			after := k.ok(t, "get", "pods", "-l", "app=web", "-o", "name")
			for _, p := range strings.Fields(before) {
				if strings.Contains(after, p) {
					return fmt.Errorf("pod %s survived rollout restart", p)
				}
			}
			return nil
		})
	})
}

func TestJobRunsToCompletion(t *testing.T) {
	forEachNodeKubectl(t, func(t *testing.T, k *kubectl) {
		k.okIn(t, `apiVersion: batch/v1
kind: Job
metadata: {name: count}
spec:
  completions: 3
  parallelism: 2
  completionMode: Indexed
  template:
    spec:
      restartPolicy: Never
      containers:
      - {name: c, image: `+busybox+`, command: [sh, -c, 'echo index $JOB_COMPLETION_INDEX']}
`, "apply", "-f", "-")
		if r := k.run(t, "", "wait", "--for=condition=Complete", "job/count", "--timeout=90s"); r.err != nil {
			t.Fatalf("%v\n%s", r, k.run(t, "", "describe", "job/count").stdout)
		}
		k.expectJSONPath(t, "job/count", "{.status.succeeded}", "3")
		k.expectJSONPath(t, "job/count", "{.status.completedIndexes}", "0-2")
		logs := k.ok(t, "logs", "job/count")
		if !strings.HasPrefix(logs, "index ") {
			t.Errorf("kubectl logs job/count = %q", logs)
		}
	})
}

func TestCronJobFires(t *testing.T) {
	forEachNodeKubectl(t, func(t *testing.T, k *kubectl) {
		k.ok(t, "create", "cronjob", "tick", "--image="+busybox, "--schedule=* * * * *", "--", "echo", "tick")
		// The next minute starts a job; it may be up to a minute away.
		succeedsWithin(t, 90*time.Second, func() error {
			out := k.ok(t, "get", "jobs", "-o", "jsonpath={.items[*].metadata.name}")
			if !strings.HasPrefix(out, "tick-") {
				return fmt.Errorf("no job of the cron job yet: %q", out)
			}
			return nil
		})
		job := strings.Fields(k.ok(t, "get", "jobs", "-o", "jsonpath={.items[*].metadata.name}"))[0]
		if r := k.run(t, "", "wait", "--for=condition=Complete", "job/"+job, "--timeout=60s"); r.err != nil {
			t.Fatalf("%v", r)
		}
		if logs := k.ok(t, "logs", "job/"+job); logs != "tick\n" {
			t.Errorf("logs of %s = %q", job, logs)
		}
		if got := k.jsonpath(t, "cronjob/tick", "{.status.lastScheduleTime}"); got == "" {
			t.Error("cron job has no lastScheduleTime")
		}
		// A job made from the cron job by hand, as kubectl does it.
		k.ok(t, "create", "job", "by-hand", "--from=cronjob/tick")
		if r := k.run(t, "", "wait", "--for=condition=Complete", "job/by-hand", "--timeout=60s"); r.err != nil {
			t.Fatalf("%v", r)
		}
	})
}

func TestStatefulSetOrderedScale(t *testing.T) {
	forEachNodeKubectl(t, func(t *testing.T, k *kubectl) {
		k.okIn(t, `apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 3
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - {name: c, image: `+busybox+`, command: [sleep, "3600"]}
`, "apply", "-f", "-")
		rolloutStatus(t, k, "statefulset/db")
		// OrderedReady: each pod started after the one before it.
		var starts []string
		for i := 0; i < 3; i++ {
			starts = append(starts, k.jsonpath(t, fmt.Sprintf("pod/db-%d", i), "{.status.startTime}"))
			if h := k.ok(t, "exec", fmt.Sprintf("db-%d", i), "--", "hostname"); strings.TrimSpace(h) != fmt.Sprintf("db-%d", i) {
				t.Errorf("hostname of db-%d = %q", i, h)
			}
		}
		for i := 1; i < 3; i++ {
			if starts[i] < starts[i-1] {
				t.Errorf("db-%d started at %s, before db-%d at %s", i, starts[i], i-1, starts[i-1])
			}
		}
		// Scaled down, the highest ordinal goes first.
		k.ok(t, "scale", "statefulset/db", "--replicas=1")
		succeedsWithin(t, 60*time.Second, func() error {
			out := k.ok(t, "get", "pods", "-l", "app=db", "-o", "name")
			if strings.TrimSpace(out) != "pod/db-0" {
				return fmt.Errorf("pods after scale to 1: %q", out)
			}
			return nil
		})
	})
}

func TestDaemonSetOnTheNode(t *testing.T) {
	forEachNodeKubectl(t, func(t *testing.T, k *kubectl) {
		k.okIn(t, `apiVersion: apps/v1
kind: DaemonSet
metadata: {name: agent}
spec:
  selector: {matchLabels: {app: agent}}
  template:
    metadata: {labels: {app: agent}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - {name: c, image: `+busybox+`, command: [sleep, "3600"]}
`, "apply", "-f", "-")
		rolloutStatus(t, k, "daemonset/agent")
		node := k.ok(t, "get", "nodes", "-o", "jsonpath={.items[0].metadata.name}")
		k.expectJSONPath(t, "daemonset/agent", "{.status.numberReady}", "1")
		if got := k.ok(t, "get", "pods", "-l", "app=agent", "-o", "jsonpath={.items[*].spec.nodeName}"); got != node {
			t.Errorf("daemon pods on %q, want one on %s", got, node)
		}
		// A new template rolls out to the node.
		k.ok(t, "set", "env", "daemonset/agent", "V=2")
		rolloutStatus(t, k, "daemonset/agent")
		k.expectJSONPath(t, "daemonset/agent", "{.status.updatedNumberScheduled}", "1")
	})
}

func TestNamespaceDeletedWithContents(t *testing.T) {
	s := nodeCluster(t)
	k := newKubectl(t, "1.33", s)
	ns := namespaceName(t)
	k.createNamespace(t, ns)
	k.namespace = ns
	k.ok(t, "create", "deployment", "web", "--image="+busybox, "--", "sleep", "3600")
	k.ok(t, "create", "configmap", "cm", "--from-literal=a=b")
	rolloutStatus(t, k, "deployment/web")
	k.namespace = ""
	if r := k.run(t, "", "delete", "namespace", ns, "--timeout=90s"); r.err != nil {
		t.Fatalf("%v", r)
	}
	r := k.run(t, "", "get", "namespace", ns)
	if r.code != 1 || !strings.Contains(r.stderr, "NotFound") {
		t.Errorf("namespace after delete: %v", r)
	}
}
