package e2e

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/util/yaml"
)

// deploymentYAML is a Deployment manifest for `kubectl ... -f -`. Its
// stage=before label is only on the Deployment, not on the pod template.
func deploymentYAML(name string, replicas int, image string) string {
	return fmt.Sprintf(`apiVersion: apps/v1
kind: Deployment
metadata:
  name: %[1]s
  labels:
    app: %[1]s
    stage: before
spec:
  replicas: %[2]d
  selector:
    matchLabels:
      app: %[1]s
  template:
    metadata:
      labels:
        app: %[1]s
    spec:
      containers:
      - name: web
        image: %[3]s
`, name, replicas, image)
}

// createDeployment creates the deployment web from deploymentYAML.
func createDeployment(t *testing.T, k *kubectl, replicas int) {
	t.Helper()
	out := k.okIn(t, deploymentYAML("web", replicas, "nginx:1.25"), "create", "-f", "-")
	if want := "deployment.apps/web created"; !strings.Contains(out, want) {
		t.Fatalf("kubectl create -f: got %q, want %q", out, want)
	}
}

func TestApply(t *testing.T) {
	const lastApplied = `{.metadata.annotations.kubectl\.kubernetes\.io/last-applied-configuration}`
	forEachKubectl(t, func(t *testing.T, k *kubectl) {
		steps := []struct {
			name         string
			args         []string
			replicas     int
			wantOut      string
			wantReplicas string
		}{
			{"create", []string{"create"}, 1, "deployment.apps/web created", "1"},
			{"client-side apply over create", []string{"apply"}, 2, "deployment.apps/web configured", "2"},
			{"client-side apply unchanged", []string{"apply"}, 2, "deployment.apps/web unchanged", "2"},
			{"server-side apply", []string{"apply", "--server-side"}, 3, "deployment.apps/web serverside-applied", "3"},
			{"server-side apply by another manager, forced", []string{"apply", "--server-side", "--field-manager=other", "--force-conflicts"}, 4, "deployment.apps/web serverside-applied", "4"},
		}
		for _, step := range steps {
			out := k.okIn(t, deploymentYAML("web", step.replicas, "nginx:1.25"), slices.Concat(step.args, []string{"-f", "-"})...)
			if !strings.Contains(out, step.wantOut) {
				t.Errorf("%s: got %q, want %q", step.name, out, step.wantOut)
			}
			k.expectJSONPath(t, "deployment/web", "{.spec.replicas}", step.wantReplicas)
			if step.name == "client-side apply over create" && k.jsonpath(t, "deployment/web", lastApplied) == "" {
				t.Errorf("%s: no last-applied-configuration annotation", step.name)
			}
		}

		// Without --force-conflicts, a third manager may not take
		// spec.replicas from "other".
		r := k.run(t, deploymentYAML("web", 5, "nginx:1.25"), "apply", "--server-side", "--field-manager=third", "-f", "-")
		if r.code != 1 || !strings.Contains(r.stderr, "conflict") || !strings.Contains(r.stderr, ".spec.replicas") {
			t.Errorf("conflicting server-side apply: want exit 1 naming a conflict on .spec.replicas, got %v", r)
		}
		k.expectJSONPath(t, "deployment/web", "{.spec.replicas}", "4")

		// Besides these two, upstream lists kubectl-last-applied, which owns
		// the last-applied annotation server-side apply keeps up to date.
		managers := strings.Fields(k.jsonpath(t, "deployment/web", `{.metadata.managedFields[?(@.operation=="Apply")].manager}`))
		for _, want := range []string{"kubectl", "other"} {
			if !slices.Contains(managers, want) {
				t.Errorf("no manager %s with operation Apply in %q", want, managers)
			}
		}

		// A fresh object by server-side apply.
		out := k.okIn(t, deploymentYAML("ssa", 1, "nginx:1.25"), "apply", "--server-side", "-f", "-")
		if want := "deployment.apps/ssa serverside-applied"; !strings.Contains(out, want) {
			t.Errorf("server-side apply of a new object: got %q, want %q", out, want)
		}
		k.expectJSONPath(t, "deployment/ssa", "{.spec.template.spec.containers[0].image}", "nginx:1.25")
	})
}

func TestGetOutputFormats(t *testing.T) {
	forEachKubectl(t, func(t *testing.T, k *kubectl) {
		createDeployment(t, k, 2)
		decode := func(t *testing.T, out string, toJSON bool) *appsv1.Deployment {
			t.Helper()
			data := []byte(out)
			if toJSON {
				var err error
				if data, err = yaml.ToJSON(data); err != nil {
					t.Fatalf("yaml: %v\n%s", err, out)
				}
			}
			var d appsv1.Deployment
			if err := json.Unmarshal(data, &d); err != nil {
				t.Fatalf("decode: %v\n%s", err, out)
			}
			return &d
		}
		// What -o json and -o yaml hold, defaults included.
		summary := func(d *appsv1.Deployment) []string {
			var replicas, history string
			if d.Spec.Replicas != nil {
				replicas = fmt.Sprint(*d.Spec.Replicas)
			}
			if d.Spec.RevisionHistoryLimit != nil {
				history = fmt.Sprint(*d.Spec.RevisionHistoryLimit)
			}
			var image string
			if cs := d.Spec.Template.Spec.Containers; len(cs) == 1 {
				image = cs[0].Image
			}
			return []string{d.APIVersion, d.Kind, d.Name, d.Namespace, replicas, history, string(d.Spec.Strategy.Type), image}
		}
		wantSummary := []string{"apps/v1", "Deployment", "web", k.namespace, "2", "10", "RollingUpdate", "nginx:1.25"}

		tests := []struct {
			name  string
			args  []string
			check func(t *testing.T, out string)
		}{
			{"wide", []string{"get", "deployments", "-o", "wide"}, func(t *testing.T, out string) {
				rows := table(out)
				if diff := cmp.Diff([]string{"NAME", "READY", "UP-TO-DATE", "AVAILABLE", "AGE", "CONTAINERS", "IMAGES", "SELECTOR"}, rows[0]); diff != "" {
					t.Errorf("header (-want +got):\n%s", diff)
				}
				if len(rows) != 2 || len(rows[1]) != 8 {
					t.Fatalf("want one row of 8 columns, got\n%s", out)
				}
				row := rows[1]
				// READY counts no pods: there is no deployment controller yet.
				got := []string{row[0], strings.SplitN(row[1], "/", 2)[1], row[5], row[6], row[7]}
				if diff := cmp.Diff([]string{"web", "2", "web", "nginx:1.25", "app=web"}, got); diff != "" {
					t.Errorf("row (-want +got):\n%s", diff)
				}
			}},
			{"yaml", []string{"get", "deployment", "web", "-o", "yaml"}, func(t *testing.T, out string) {
				if !strings.Contains(out, "kind: Deployment\n") {
					t.Errorf("no kind: Deployment in\n%s", out)
				}
				if diff := cmp.Diff(wantSummary, summary(decode(t, out, true))); diff != "" {
					t.Errorf("-o yaml (-want +got):\n%s", diff)
				}
			}},
			{"json", []string{"get", "deployment", "web", "-o", "json"}, func(t *testing.T, out string) {
				if diff := cmp.Diff(wantSummary, summary(decode(t, out, false))); diff != "" {
					t.Errorf("-o json (-want +got):\n%s", diff)
				}
			}},
			{"jsonpath", []string{"get", "deployment", "web", "-o", "jsonpath={.spec.template.spec.containers[0].image} {.spec.selector.matchLabels.app}"}, func(t *testing.T, out string) {
				if want := "nginx:1.25 web"; out != want {
					t.Errorf("got %q, want %q", out, want)
				}
			}},
			{"jsonpath range over a list", []string{"get", "deployments", "-o", `jsonpath={range .items[*]}{.metadata.name}={.spec.replicas}{"\n"}{end}`}, func(t *testing.T, out string) {
				if want := "web=2\n"; out != want {
					t.Errorf("got %q, want %q", out, want)
				}
			}},
			{"name", []string{"get", "deployments", "-o", "name"}, func(t *testing.T, out string) {
				if want := "deployment.apps/web\n"; out != want {
					t.Errorf("got %q, want %q", out, want)
				}
			}},
			{"custom-columns", []string{"get", "deployments", "-o", "custom-columns=NAME:.metadata.name,REPLICAS:.spec.replicas"}, func(t *testing.T, out string) {
				if diff := cmp.Diff([][]string{{"NAME", "REPLICAS"}, {"web", "2"}}, table(out)); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) { tt.check(t, k.ok(t, tt.args...)) })
		}
	})
}

func TestDescribe(t *testing.T) {
	forEachKubectl(t, func(t *testing.T, k *kubectl) {
		createDeployment(t, k, 2)
		out := k.ok(t, "describe", "deployment", "web")
		for _, want := range []string{"Name:", "web", "Namespace:", k.namespace, "Selector:", "app=web", "Replicas:", "2 desired", "StrategyType:", "RollingUpdate", "nginx:1.25"} {
			if !strings.Contains(out, want) {
				t.Errorf("kubectl describe deployment web: no %q in\n%s", want, out)
			}
		}
	})
}

func TestDiff(t *testing.T) {
	forEachKubectl(t, func(t *testing.T, k *kubectl) {
		k.okIn(t, deploymentYAML("web", 2, "nginx:1.25"), "apply", "-f", "-")

		same := k.run(t, deploymentYAML("web", 2, "nginx:1.25"), "diff", "-f", "-")
		if same.code != 0 || same.stdout != "" {
			t.Errorf("kubectl diff of the applied manifest: want exit 0 and no output, got %v", same)
		}

		changed := k.run(t, deploymentYAML("web", 5, "nginx:1.26"), "diff", "-f", "-")
		if changed.code != 1 {
			t.Errorf("kubectl diff of a changed manifest: want exit 1, got %v", changed)
		}
		for _, want := range []string{"-  replicas: 2", "+  replicas: 5", "-      - image: nginx:1.25", "+      - image: nginx:1.26"} {
			if !strings.Contains(changed.stdout, want) {
				t.Errorf("kubectl diff: no %q in\n%s", want, changed.stdout)
			}
		}
		// diff is a dry run.
		k.expectJSONPath(t, "deployment/web", "{.spec.replicas}", "2")
	})
}

func TestEdit(t *testing.T) {
	editor := filepath.Join(t.TempDir(), "editor.sh")
	script := "#!/bin/sh\nexec sed -i 's/stage: before/stage: after/' \"$1\"\n"
	if err := os.WriteFile(editor, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	forEachKubectl(t, func(t *testing.T, k *kubectl) {
		createDeployment(t, k, 1)
		out := k.withEnv("KUBE_EDITOR="+editor).ok(t, "edit", "deployment/web")
		if want := "deployment.apps/web edited"; !strings.Contains(out, want) {
			t.Errorf("kubectl edit: got %q, want %q", out, want)
		}
		k.expectJSONPath(t, "deployment/web", "{.metadata.labels.stage}", "after")
	})
}

func TestPatch(t *testing.T) {
	const containers = "{.spec.template.spec.containers[*].name}"
	steps := []struct {
		name, patchType, patch string
		jsonpath, want         string
	}{
		// A strategic merge patch merges the containers list by name (and,
		// as upstream, puts the patch's new items first)...
		{"strategic", "strategic", `{"spec":{"template":{"spec":{"containers":[{"name":"sidecar","image":"busybox:1.36"}]}}}}`, containers, "sidecar web"},
		// ...a JSON merge patch replaces it.
		{"merge", "merge", `{"spec":{"template":{"spec":{"containers":[{"name":"only","image":"busybox:1.36"}]}}}}`, containers, "only"},
		{"json", "json", `[{"op":"replace","path":"/spec/replicas","value":7},{"op":"add","path":"/metadata/labels/patched","value":"json"}]`, "{.spec.replicas} {.metadata.labels.patched}", "7 json"},
	}
	forEachKubectl(t, func(t *testing.T, k *kubectl) {
		createDeployment(t, k, 1)
		for _, step := range steps {
			out := k.ok(t, "patch", "deployment", "web", "--type="+step.patchType, "-p", step.patch)
			if want := "deployment.apps/web patched"; !strings.Contains(out, want) {
				t.Errorf("%s patch: got %q, want %q", step.name, out, want)
			}
			k.expectJSONPath(t, "deployment/web", step.jsonpath, step.want)
		}
		// A failing JSON patch test operation changes nothing; upstream
		// answers 422 with the reason in the details kubectl does not print.
		k.fails(t, "The request is invalid",
			"patch", "deployment", "web", "--type=json", "-p", `[{"op":"test","path":"/spec/replicas","value":99},{"op":"replace","path":"/spec/replicas","value":1}]`)
		k.expectJSONPath(t, "deployment/web", "{.spec.replicas}", "7")
	})
}

func TestLabelAndAnnotate(t *testing.T) {
	steps := []struct {
		name     string
		args     []string
		wantErr  string // when set, kubectl must fail with stderr matching it
		jsonpath string
		want     string
	}{
		{"add label", []string{"label", "deployment", "web", "env=prod"}, "", "{.metadata.labels.env}", "prod"},
		{"change label without --overwrite", []string{"label", "deployment", "web", "env=dev"}, "already has a value", "{.metadata.labels.env}", "prod"},
		{"change label", []string{"label", "deployment", "web", "env=dev", "--overwrite"}, "", "{.metadata.labels.env}", "dev"},
		{"remove label", []string{"label", "deployment", "web", "env-"}, "", "{.metadata.labels.env}", ""},
		{"add annotation", []string{"annotate", "deployment", "web", "note=hello world"}, "", "{.metadata.annotations.note}", "hello world"},
		{"change annotation without --overwrite", []string{"annotate", "deployment", "web", "note=bye"}, "already has a value", "{.metadata.annotations.note}", "hello world"},
		{"change annotation", []string{"annotate", "deployment", "web", "note=bye", "--overwrite"}, "", "{.metadata.annotations.note}", "bye"},
		{"remove annotation", []string{"annotate", "deployment", "web", "note-"}, "", "{.metadata.annotations.note}", ""},
	}
	forEachKubectl(t, func(t *testing.T, k *kubectl) {
		createDeployment(t, k, 1)
		for _, step := range steps {
			if step.wantErr != "" {
				k.fails(t, step.wantErr, step.args...)
			} else {
				k.ok(t, step.args...)
			}
			if got := k.jsonpath(t, "deployment/web", step.jsonpath); got != step.want {
				t.Errorf("%s: %s is %q, want %q", step.name, step.jsonpath, got, step.want)
			}
		}
		k.ok(t, "label", "deployment", "web", "tier=front")
		if out := k.ok(t, "get", "deployments", "-l", "tier=front", "-o", "name"); out != "deployment.apps/web\n" {
			t.Errorf("get -l tier=front: got %q", out)
		}
		if out := k.ok(t, "get", "deployments", "-l", "tier=back", "-o", "name"); out != "" {
			t.Errorf("get -l tier=back: got %q, want nothing", out)
		}
	})
}

func TestScale(t *testing.T) {
	forEachKubectl(t, func(t *testing.T, k *kubectl) {
		createDeployment(t, k, 1)
		out := k.ok(t, "scale", "deployment", "web", "--replicas=5")
		if want := "deployment.apps/web scaled"; !strings.Contains(out, want) {
			t.Errorf("kubectl scale: got %q, want %q", out, want)
		}
		k.expectJSONPath(t, "deployment/web", "{.spec.replicas}", "5")

		// The precondition is checked against the scale subresource.
		k.fails(t, "Expected replicas to be 2, was 5", "scale", "deployment", "web", "--current-replicas=2", "--replicas=3")
		k.expectJSONPath(t, "deployment/web", "{.spec.replicas}", "5")
		k.ok(t, "scale", "deployment", "web", "--current-replicas=5", "--replicas=0")
		k.expectJSONPath(t, "deployment/web", "{.spec.replicas}", "0")
	})
}

func TestDeleteCascade(t *testing.T) {
	tests := []struct {
		cascade string
		// finalizer is the one the API server adds for the garbage
		// collector, which then deletes or orphans the dependents and
		// removes it; empty when the object is deleted at once.
		finalizer string
	}{
		{"background", ""},
		{"foreground", "foregroundDeletion"},
		{"orphan", "orphan"},
	}
	forEachKubectl(t, func(t *testing.T, k *kubectl) {
		for _, tt := range tests {
			t.Run(tt.cascade, func(t *testing.T) {
				name := "del-" + tt.cascade
				k.ok(t, "create", "deployment", name, "--image=nginx:1.25")
				// --wait=false: with a finalizer, kubectl would wait for the
				// garbage collector.
				out := k.ok(t, "delete", "deployment", name, "--cascade="+tt.cascade, "--wait=false")
				if want := fmt.Sprintf("deployment.apps %q deleted", name); !strings.Contains(out, want) {
					t.Errorf("kubectl delete: got %q, want %q", out, want)
				}
				var last result
				gone := eventually(3*time.Second, func() bool {
					last = k.run(t, "", "get", "deployment", name, "-o", "jsonpath={.metadata.deletionTimestamp} {.metadata.finalizers}")
					return last.code == 1 && strings.Contains(last.stderr, "NotFound")
				})
				switch {
				case gone:
				case tt.finalizer == "":
					t.Errorf("deployment %s still there 3s after delete --cascade=%s: %v", name, tt.cascade, last)
				default:
					// Until the garbage collector exists, the object stays,
					// marked for deletion, with the finalizer upstream's API
					// server adds.
					ts, finalizers, _ := strings.Cut(last.stdout, " ")
					if ts == "" || !strings.Contains(finalizers, `"`+tt.finalizer+`"`) {
						t.Errorf("deployment %s neither gone nor marked for deletion with finalizer %s: %v", name, tt.finalizer, last)
					} else {
						t.Logf("deployment %s still present, as expected without a garbage collector: deletionTimestamp %s, finalizers %s", name, ts, finalizers)
					}
				}
			})
		}
	})
}
