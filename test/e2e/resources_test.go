package e2e

import (
	"bufio"
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestCreateSubcommands(t *testing.T) {
	forEachKubectl(t, func(t *testing.T, k *kubectl) {
		extra := k.namespace + "-extra"
		steps := []struct {
			args                   []string
			wantOut                string
			object, jsonpath, want string
		}{
			{
				[]string{"create", "namespace", extra}, "namespace/" + extra + " created",
				"namespace/" + extra, "{.status.phase}", "Active",
			},
			{
				[]string{"create", "deployment", "web", "--image=nginx:1.25", "--replicas=2"}, "deployment.apps/web created",
				"deployment/web", "{.spec.replicas} {.spec.template.spec.containers[0].image} {.spec.selector.matchLabels.app}", "2 nginx:1.25 web",
			},
			{
				[]string{"create", "service", "clusterip", "web", "--tcp=80:8080"}, "service/web created",
				"service/web", "{.spec.type} {.spec.ports[0].port} {.spec.ports[0].targetPort} {.spec.selector.app}", "ClusterIP 80 8080 web",
			},
			{
				[]string{"create", "configmap", "settings", "--from-literal=k1=v1", "--from-literal=k2=v2"}, "configmap/settings created",
				"configmap/settings", "{.data.k1} {.data.k2}", "v1 v2",
			},
			{
				[]string{"create", "secret", "generic", "creds", "--from-literal=password=hunter2"}, "secret/creds created",
				"secret/creds", "{.type} {.data.password}", "Opaque aHVudGVyMg==",
			},
		}
		for _, step := range steps {
			out := k.ok(t, step.args...)
			if !strings.Contains(out, step.wantOut) {
				t.Errorf("kubectl %s: got %q, want %q", strings.Join(step.args, " "), out, step.wantOut)
			}
			k.expectJSONPath(t, step.object, step.jsonpath, step.want)
		}
	})
}

func TestExpose(t *testing.T) {
	forEachKubectl(t, func(t *testing.T, k *kubectl) {
		k.ok(t, "create", "deployment", "web", "--image=nginx:1.25", "--port=8080")
		out := k.ok(t, "expose", "deployment", "web", "--port=80", "--target-port=8080")
		if want := "service/web exposed"; !strings.Contains(out, want) {
			t.Errorf("kubectl expose: got %q, want %q", out, want)
		}
		k.expectJSONPath(t, "service/web", "{.spec.type} {.spec.selector.app} {.spec.ports[0].port} {.spec.ports[0].targetPort} {.spec.ports[0].protocol}",
			"ClusterIP web 80 8080 TCP")

		// No cluster IP is asserted: there is no allocator yet.
		rows := table(k.ok(t, "get", "services"))
		if diff := cmp.Diff([]string{"NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE"}, rows[0]); diff != "" {
			t.Errorf("header (-want +got):\n%s", diff)
		}
		if len(rows) != 2 || len(rows[1]) != 6 || rows[1][0] != "web" || rows[1][1] != "ClusterIP" || rows[1][4] != "80/TCP" {
			t.Errorf("want one row web ClusterIP <ip> <none> 80/TCP <age>, got %q", rows[1:])
		}
	})
}

func TestGetWatch(t *testing.T) {
	forEachKubectl(t, func(t *testing.T, k *kubectl) {
		k.ok(t, "create", "configmap", "listed")

		ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
		defer cancel()
		watch := k.command(ctx, "get", "configmaps", "-w", "-o", "name")
		stdout, err := watch.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		var stderr bytes.Buffer
		watch.Stderr = &stderr
		if err := watch.Start(); err != nil {
			t.Fatal(err)
		}
		lines := make(chan string, 100)
		go func() {
			defer close(lines)
			for scanner := bufio.NewScanner(stdout); scanner.Scan(); {
				lines <- scanner.Text()
			}
		}()
		stopped := false
		stop := func() {
			if !stopped {
				stopped = true
				watch.Process.Kill()
				watch.Wait()
			}
		}
		defer stop()

		var seen []string
		await := func(want string) {
			t.Helper()
			timeout := time.After(20 * time.Second)
			for {
				select {
				case line, open := <-lines:
					if !open {
						stop()
						t.Fatalf("kubectl get -w exited (%v) before printing %s; printed %q; stderr:\n%s", watch.ProcessState, want, seen, stderr.String())
					}
					seen = append(seen, line)
					if line == want {
						return
					}
				case <-timeout:
					stop()
					t.Fatalf("kubectl get -w printed no %s within 20s; printed %q; stderr:\n%s", want, seen, stderr.String())
				}
			}
		}
		// Once the initial list is printed, the next name can only come
		// from the watch.
		await("configmap/listed")
		k.ok(t, "create", "configmap", "watched")
		await("configmap/watched")
		if watch.ProcessState != nil {
			t.Errorf("kubectl get -w exited by itself: %v", watch.ProcessState)
		}
	})
}

func TestCustomResourceColumns(t *testing.T) {
	// One CRD for the whole server; applying it again is a no-op.
	const crd = `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.e2e.kubeshim.io
spec:
  group: e2e.kubeshim.io
  scope: Namespaced
  names:
    plural: widgets
    singular: widget
    kind: Widget
    shortNames: [wd]
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            properties:
              color:
                type: string
                description: The colour the widget is painted.
              size:
                type: integer
              owner:
                type: string
    additionalPrinterColumns:
    - name: Color
      type: string
      jsonPath: .spec.color
    - name: Size
      type: integer
      jsonPath: .spec.size
    - name: Owner
      type: string
      jsonPath: .spec.owner
      priority: 1
    - name: Age
      type: date
      jsonPath: .metadata.creationTimestamp
`
	const widget = `apiVersion: e2e.kubeshim.io/v1
kind: Widget
metadata:
  name: gizmo
spec:
  color: blue
  size: 3
  owner: alice
`
	forEachKubectl(t, func(t *testing.T, k *kubectl) {
		k.okIn(t, crd, "apply", "-f", "-")
		k.ok(t, "wait", "--for=condition=Established", "crd/widgets.e2e.kubeshim.io", "--timeout=30s")
		if out := k.okIn(t, widget, "apply", "-f", "-"); !strings.Contains(out, "widget.e2e.kubeshim.io/gizmo created") {
			t.Errorf("apply widget: got %q", out)
		}

		tests := []struct {
			args []string
			want [][]string // without the AGE value
		}{
			{[]string{"get", "widgets"}, [][]string{{"NAME", "COLOR", "SIZE", "AGE"}, {"gizmo", "blue", "3"}}},
			{[]string{"get", "wd"}, [][]string{{"NAME", "COLOR", "SIZE", "AGE"}, {"gizmo", "blue", "3"}}},
			{[]string{"get", "widgets", "-o", "wide"}, [][]string{{"NAME", "COLOR", "SIZE", "OWNER", "AGE"}, {"gizmo", "blue", "3", "alice"}}},
		}
		for _, tt := range tests {
			rows := table(k.ok(t, tt.args...))
			if len(rows) == 2 && len(rows[1]) > 0 {
				rows[1] = rows[1][:len(rows[1])-1]
			}
			if diff := cmp.Diff(tt.want, rows); diff != "" {
				t.Errorf("kubectl %s (-want +got):\n%s", strings.Join(tt.args, " "), diff)
			}
		}
		k.expectJSONPath(t, "widget/gizmo", "{.spec.color} {.spec.size}", "blue 3")

		// The CRD's schema reaches the OpenAPI documents kubectl explain
		// reads; publishing may lag the CRD's establishment.
		var last result
		if !eventually(30*time.Second, func() bool {
			last = k.run(t, "", "explain", "widget.spec")
			return last.err == nil && strings.Contains(last.stdout, "The colour the widget is painted.")
		}) {
			t.Errorf("kubectl explain widget.spec: no color field's description within 30s: %v", last)
		}
	})
}

func TestGetPodsTable(t *testing.T) {
	forEachKubectl(t, func(t *testing.T, k *kubectl) {
		r := k.run(t, "", "get", "pods")
		if r.err != nil || r.stdout != "" || !strings.Contains(r.stderr, "No resources found in "+k.namespace+" namespace.") {
			t.Errorf("kubectl get pods in an empty namespace: want exit 0 and \"No resources found\", got %v", r)
		}

		if out := k.ok(t, "run", "web", "--image=nginx:1.25", "--restart=Never"); !strings.Contains(out, "pod/web created") {
			t.Errorf("kubectl run: got %q", out)
		}
		tests := []struct {
			args   []string
			header []string
		}{
			{[]string{"get", "pods"}, []string{"NAME", "READY", "STATUS", "RESTARTS", "AGE"}},
			{[]string{"get", "pods", "-o", "wide"}, []string{"NAME", "READY", "STATUS", "RESTARTS", "AGE", "IP", "NODE", "NOMINATED", "NODE", "READINESS", "GATES"}},
		}
		for _, tt := range tests {
			rows := table(k.ok(t, tt.args...))
			if diff := cmp.Diff(tt.header, rows[0]); diff != "" {
				t.Errorf("kubectl %s header (-want +got):\n%s", strings.Join(tt.args, " "), diff)
			}
			// The status is not asserted: it depends on a scheduler and a
			// node agent being there.
			if len(rows) != 2 || len(rows[1]) < 5 || rows[1][0] != "web" || !regexp.MustCompile(`^[01]/1$`).MatchString(rows[1][1]) || rows[1][3] != "0" {
				t.Errorf("kubectl %s: want one row web 0/1 <status> 0 <age>, got %q", strings.Join(tt.args, " "), rows[1:])
			}
		}
	})
}
