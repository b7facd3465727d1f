package statefulset

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"
)

// The want values come from upstream's newRevision (k8s.io/kubernetes
// v1.37.2 pkg/controller/statefulset, run on the same k8s.io/api,
// apimachinery and client-go versions) on the same sets: the names and
// data of a real cluster's revisions, and the bytes kubectl rollout undo
// compares.
func TestRevisionMatchesUpstream(t *testing.T) {
	const small = `{"metadata":{"name":"web","namespace":"ns","uid":"web-uid","annotations":{"kubernetes.io/change-cause":"create"}},
"spec":{"replicas":3,"serviceName":"web","selector":{"matchLabels":{"app":"web"}},
"template":{"metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"name":"nginx","image":"nginx:1.25"}]}}}}`
	const full = `{"metadata":{"name":"web","namespace":"ns","uid":"web-uid","generation":2},
"spec":{"replicas":3,"serviceName":"web","selector":{"matchLabels":{"app":"web"}},"podManagementPolicy":"OrderedReady",
"updateStrategy":{"type":"RollingUpdate","rollingUpdate":{"partition":0,"maxUnavailable":1}},"revisionHistoryLimit":10,
"persistentVolumeClaimRetentionPolicy":{"whenDeleted":"Retain","whenScaled":"Retain"},
"volumeClaimTemplates":[{"metadata":{"name":"data"},"spec":{"accessModes":["ReadWriteOnce"],"resources":{"requests":{"storage":"1Gi"}},"volumeMode":"Filesystem"},"status":{"phase":"Pending"}}],
"template":{"metadata":{"labels":{"app":"web","tier":"db"},"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-01-01T00:00:00Z"}},
"spec":{"terminationGracePeriodSeconds":30,"restartPolicy":"Always","dnsPolicy":"ClusterFirst","schedulerName":"default-scheduler","securityContext":{},
"containers":[{"name":"nginx","image":"nginx:1.25","ports":[{"containerPort":80,"protocol":"TCP","name":"web"}],"resources":{"limits":{"cpu":"500m","memory":"128Mi"}},
"volumeMounts":[{"name":"data","mountPath":"/data"}],
"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File","imagePullPolicy":"IfNotPresent"}]}}}}`
	const smallData = `{"spec":{"template":{"$patch":"replace","metadata":{"labels":{"app":"web"}},"spec":{"containers":[{"image":"nginx:1.25","name":"nginx","resources":{}}]}}}}`
	const fullData = `{"spec":{"template":{"$patch":"replace","metadata":{"annotations":{"kubectl.kubernetes.io/restartedAt":"2026-01-01T00:00:00Z"},"labels":{"app":"web","tier":"db"}},` +
		`"spec":{"containers":[{"image":"nginx:1.25","imagePullPolicy":"IfNotPresent","name":"nginx","ports":[{"containerPort":80,"name":"web","protocol":"TCP"}],` +
		`"resources":{"limits":{"cpu":"500m","memory":"128Mi"}},"terminationMessagePath":"/dev/termination-log","terminationMessagePolicy":"File",` +
		`"volumeMounts":[{"mountPath":"/data","name":"data"}]}],"dnsPolicy":"ClusterFirst","restartPolicy":"Always","schedulerName":"default-scheduler",` +
		`"securityContext":{},"terminationGracePeriodSeconds":30}}}}`
	tests := []struct {
		name           string
		set            string
		collisionCount *int32
		wantName       string
		wantLabels     map[string]string
		wantData       string
	}{
		{name: "no collision count", set: small, wantName: "web-5dfdff488f", wantData: smallData,
			wantLabels: map[string]string{"app": "web", RevisionHashLabel: "5dfdff488f"}},
		{name: "collision count 0, as the controller hashes", set: small, collisionCount: ptr.To[int32](0), wantName: "web-6bd8cfcb95", wantData: smallData,
			wantLabels: map[string]string{"app": "web", RevisionHashLabel: "6bd8cfcb95"}},
		{name: "collision count 1", set: small, collisionCount: ptr.To[int32](1), wantName: "web-6bd8cfcb94", wantData: smallData,
			wantLabels: map[string]string{"app": "web", RevisionHashLabel: "6bd8cfcb94"}},
		{name: "defaulted set with claims", set: full, collisionCount: ptr.To[int32](0), wantName: "web-5dfcf66847", wantData: fullData,
			wantLabels: map[string]string{"app": "web", "tier": "db", RevisionHashLabel: "5dfcf66847"}},
		{name: "defaulted set, collision count 7", set: full, collisionCount: ptr.To[int32](7), wantName: "web-5dfcf66848", wantData: fullData,
			wantLabels: map[string]string{"app": "web", "tier": "db", RevisionHashLabel: "5dfcf66848"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var set appsv1.StatefulSet
			if err := json.Unmarshal([]byte(tc.set), &set); err != nil {
				t.Fatal(err)
			}
			rev, err := newRevision(&set, 4, tc.collisionCount)
			if err != nil {
				t.Fatal(err)
			}
			if rev.Name != tc.wantName {
				t.Errorf("name = %q, want %q", rev.Name, tc.wantName)
			}
			if diff := cmp.Diff(tc.wantLabels, rev.Labels); diff != "" {
				t.Errorf("labels (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantData, string(rev.Data.Raw)); diff != "" {
				t.Errorf("data (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(set.Annotations, nilIfEmpty(rev.Annotations)); diff != "" {
				t.Errorf("annotations (-want +got):\n%s", diff)
			}
			want := []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "web", UID: "web-uid", Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}}
			if diff := cmp.Diff(want, rev.OwnerReferences); diff != "" {
				t.Errorf("ownerReferences (-want +got):\n%s", diff)
			}
			if rev.Revision != 4 {
				t.Errorf("revision = %d, want 4", rev.Revision)
			}
		})
	}
}

func nilIfEmpty(m map[string]string) map[string]string {
	if len(m) == 0 {
		return nil
	}
	return m
}

func TestRevisionName(t *testing.T) {
	long := strings.Repeat("a", 250)
	tests := []struct{ name, prefix, want string }{
		{name: "short", prefix: "web", want: "web-6bd8cfcb95"},
		{name: "prefix cut to 223 bytes", prefix: long, want: long[:223] + "-6bd8cfcb95"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := revisionName(tc.prefix, "6bd8cfcb95"); got != tc.want {
				t.Errorf("revisionName = %q, want %q", got, tc.want)
			}
		})
	}
}

// TestApplyRevision restores a recorded template onto a set whose template
// and replicas changed since: the template comes back, the rest stays.
func TestApplyRevision(t *testing.T) {
	old := newSet(3, "v1", func(s *appsv1.StatefulSet) {
		s.Spec.Template.Labels["tier"] = "web"
		s.Spec.Template.Annotations = map[string]string{"a": "1"}
	})
	rev := revisionOf(t, old, 1)
	cur := newSet(5, "v2")
	got, err := applyRevision(cur, rev)
	if err != nil {
		t.Fatal(err)
	}
	want := cur.DeepCopy()
	want.Spec.Template = old.Spec.Template
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("applyRevision (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(newSet(5, "v2"), cur); diff != "" {
		t.Errorf("applyRevision changed its input (-want +got):\n%s", diff)
	}
}

// TestSameAsRevision covers upstream's semantic revision comparison: a
// revision written by an encoder that kept "creationTimestamp":null (1.33)
// still stands for the same template; a real change does not.
func TestSameAsRevision(t *testing.T) {
	set := newSet(3, "v1")
	rev := revisionOf(t, set, 1)
	withNull := rev.DeepCopy()
	withNull.Data.Raw = []byte(strings.Replace(string(rev.Data.Raw), `"metadata":{`, `"metadata":{"creationTimestamp":null,`, 1))
	if string(withNull.Data.Raw) == string(rev.Data.Raw) {
		t.Fatalf("test data unchanged: %s", rev.Data.Raw)
	}
	other := revisionOf(t, newSet(3, "v2"), 1)
	tests := []struct {
		name   string
		latest *appsv1.ControllerRevision
		want   bool
	}{
		{name: "same bytes", latest: rev, want: true},
		{name: "older encoding of the same template", latest: withNull, want: true},
		{name: "another template", latest: other, want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			proposed := revisionOf(t, set, 2)
			if got := sameAsRevision(set, proposed, tc.latest, newSameTemplateCache()); got != tc.want {
				t.Errorf("sameAsRevision = %v, want %v", got, tc.want)
			}
		})
	}
}
