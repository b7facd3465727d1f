package e2e

import (
	"encoding/json"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"k8s.io/apimachinery/pkg/version"
)

func TestAPIResources(t *testing.T) {
	// Rows as upstream v1.37 prints them: NAME SHORTNAMES APIVERSION
	// NAMESPACED KIND, with an empty SHORTNAMES left out.
	want := [][]string{
		{"pods", "po", "v1", "true", "Pod"},
		{"namespaces", "ns", "v1", "false", "Namespace"},
		{"services", "svc", "v1", "true", "Service"},
		{"configmaps", "cm", "v1", "true", "ConfigMap"},
		{"secrets", "v1", "true", "Secret"},
		{"deployments", "deploy", "apps/v1", "true", "Deployment"},
		{"statefulsets", "sts", "apps/v1", "true", "StatefulSet"},
		{"cronjobs", "cj", "batch/v1", "true", "CronJob"},
		{"horizontalpodautoscalers", "hpa", "autoscaling/v2", "true", "HorizontalPodAutoscaler"},
		{"customresourcedefinitions", "crd,crds", "apiextensions.k8s.io/v1", "false", "CustomResourceDefinition"},
		{"apiservices", "apiregistration.k8s.io/v1", "false", "APIService"},
		{"selfsubjectaccessreviews", "authorization.k8s.io/v1", "false", "SelfSubjectAccessReview"},
		{"clusterroles", "rbac.authorization.k8s.io/v1", "false", "ClusterRole"},
	}
	forEachKubectl(t, func(t *testing.T, k *kubectl) {
		rows := table(k.ok(t, "api-resources"))
		if diff := cmp.Diff([]string{"NAME", "SHORTNAMES", "APIVERSION", "NAMESPACED", "KIND"}, rows[0]); diff != "" {
			t.Errorf("header (-want +got):\n%s", diff)
		}
		byName := map[string][]string{}
		for _, row := range rows[1:] {
			byName[row[0]+" "+row[len(row)-3]] = row
		}
		for _, w := range want {
			got, found := byName[w[0]+" "+w[len(w)-3]]
			if !found {
				t.Errorf("api-resources lists no %s in %s", w[0], w[len(w)-3])
				continue
			}
			if diff := cmp.Diff(w, got); diff != "" {
				t.Errorf("%s (-want +got):\n%s", w[0], diff)
			}
		}

		names := strings.Fields(k.ok(t, "api-resources", "--api-group=apps", "-o", "name"))
		for _, name := range []string{"deployments.apps", "replicasets.apps", "daemonsets.apps"} {
			if !slices.Contains(names, name) {
				t.Errorf("api-resources --api-group=apps -o name: no %s in %q", name, names)
			}
		}
		versions := strings.Fields(k.ok(t, "api-versions"))
		for _, v := range []string{"v1", "apps/v1", "apiextensions.k8s.io/v1", "apiregistration.k8s.io/v1"} {
			if !slices.Contains(versions, v) {
				t.Errorf("api-versions: no %s in %q", v, versions)
			}
		}
	})
}

func TestVersion(t *testing.T) {
	forEachKubectl(t, func(t *testing.T, k *kubectl) {
		var got struct {
			ClientVersion *version.Info `json:"clientVersion"`
			ServerVersion *version.Info `json:"serverVersion"`
		}
		out := k.ok(t, "version", "-o", "json")
		if err := json.Unmarshal([]byte(out), &got); err != nil {
			t.Fatalf("kubectl version -o json: %v\n%s", err, out)
		}
		if got.ServerVersion == nil {
			t.Fatalf("kubectl version -o json has no serverVersion:\n%s", out)
		}
		if s := got.ServerVersion; s.Major != "1" || s.Minor != "37" || !strings.HasPrefix(s.GitVersion, "v1.37.") {
			t.Errorf("server version: got major %q minor %q gitVersion %q, want 1, 37, v1.37.*", s.Major, s.Minor, s.GitVersion)
		}
		if c := got.ClientVersion; c == nil || "1."+c.Minor != k.version {
			t.Errorf("client version: got %+v, want minor of %s", c, k.version)
		}
		// kubectl before 1.28 prints version.Info{...}, later ones the gitVersion.
		if out := k.ok(t, "version"); !regexp.MustCompile(`(?m)^Server Version: .*v1\.37\.`).MatchString(out) {
			t.Errorf("kubectl version: no server version in\n%s", out)
		}
	})
}

func TestExplain(t *testing.T) {
	tests := []struct {
		field string
		want  []string
	}{
		{"pod.spec.containers", []string{"KIND:", "Pod", "containers", "<[]Container>", "image", "DESCRIPTION"}},
		{"deployment.spec.replicas", []string{"Deployment", "apps", "replicas", "<integer>"}},
	}
	forEachKubectl(t, func(t *testing.T, k *kubectl) {
		for _, tt := range tests {
			out := k.ok(t, "explain", tt.field)
			for _, want := range tt.want {
				if !strings.Contains(out, want) {
					t.Errorf("kubectl explain %s: no %q in\n%s", tt.field, want, out)
				}
			}
		}
	})
}

func TestAuthCanI(t *testing.T) {
	forEachKubectl(t, func(t *testing.T, k *kubectl) {
		for _, args := range [][]string{
			{"create", "pods"},
			{"delete", "deployments.apps"},
			{"get", "secrets", "--all-namespaces"},
		} {
			r := k.run(t, "", append([]string{"auth", "can-i"}, args...)...)
			if r.err != nil || strings.TrimSpace(r.stdout) != "yes" {
				t.Errorf("want yes (the admin is in system:masters, which cluster-admin is bound to), got %v", r)
			}
		}
	})
}
