package deployment

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/utils/ptr"
)

// The want values come from upstream's controller.ComputeHash (k8s.io/kubernetes
// v1.37.2, run on the same k8s.io/api and k8s.io/utils versions) on the same
// templates: the names of a real cluster's ReplicaSets.
func TestPodTemplateHash(t *testing.T) {
	const full = `{"metadata":{"labels":{"tier":"web","app":"web"},"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-01-01T00:00:00Z"}},
		"spec":{"terminationGracePeriodSeconds":30,"restartPolicy":"Always","dnsPolicy":"ClusterFirst","schedulerName":"default-scheduler","securityContext":{},
		"containers":[{"name":"nginx","image":"nginx:1.25","ports":[{"containerPort":80,"protocol":"TCP"}],"resources":{"limits":{"cpu":"500m","memory":"128Mi"}},
		"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}]}}`
	const small = `{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"nginx","image":"nginx:1.25"}]}}`
	tests := []struct {
		name           string
		template       string
		collisionCount *int32
		want           string
	}{
		{name: "empty", template: `{}`, want: "54f4c57dcb"},
		{name: "empty, collision 1", template: `{}`, collisionCount: ptr.To[int32](1), want: "6554565b97"},
		{name: "empty, collision MaxInt32", template: `{}`, collisionCount: ptr.To[int32](math.MaxInt32), want: "7d688c8ff6"},
		{name: "one container", template: small, want: "75fdc8fb5d"},
		{name: "one container, collision 1", template: small, collisionCount: ptr.To[int32](1), want: "77487db767"},
		// A 9-digit sum gives a 9-character hash.
		{name: "one container, collision MaxInt32", template: small, collisionCount: ptr.To[int32](math.MaxInt32), want: "5bdd796cd"},
		{name: "defaulted, with quantities and a restart", template: full, want: "5859476846"},
		{name: "defaulted, collision 1", template: full, collisionCount: ptr.To[int32](1), want: "6b8588b767"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var tmpl corev1.PodTemplateSpec
			if err := json.Unmarshal([]byte(tc.template), &tmpl); err != nil {
				t.Fatal(err)
			}
			if got := PodTemplateHash(&tmpl, tc.collisionCount); got != tc.want {
				t.Errorf("PodTemplateHash = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestReplicaSetName(t *testing.T) {
	long := strings.Repeat("a", 250)
	tests := []struct {
		name, deployment, hash, want string
	}{
		{name: "short", deployment: "web", hash: "75fdc8fb5d", want: "web-75fdc8fb5d"},
		{name: "fits exactly", deployment: long[:242], hash: "75fdc8fb5d", want: long[:242] + "-75fdc8fb5d"},
		{name: "cut to 253 characters", deployment: long, hash: "75fdc8fb5d", want: long[:242] + "-75fdc8fb5d"},
		{name: "shorter hash leaves more of the name", deployment: long, hash: "5bdd796cd", want: long[:243] + "-5bdd796cd"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := replicaSetName(tc.deployment, tc.hash)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("replicaSetName (-want +got):\n%s", diff)
			}
			if len(got) > 253 {
				t.Errorf("len = %d, want at most 253", len(got))
			}
		})
	}
}
