package statefulset

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

func TestParentAndOrdinal(t *testing.T) {
	tests := []struct {
		pod         string
		wantParent  string
		wantOrdinal int
	}{
		{pod: "web-0", wantParent: "web", wantOrdinal: 0},
		{pod: "web-12", wantParent: "web", wantOrdinal: 12},
		{pod: "my-web-3", wantParent: "my-web", wantOrdinal: 3},
		{pod: "web", wantParent: "", wantOrdinal: -1},
		{pod: "web-abc", wantParent: "", wantOrdinal: -1},
		{pod: "web-99999999999", wantParent: "web", wantOrdinal: -1},
	}
	for _, tc := range tests {
		t.Run(tc.pod, func(t *testing.T) {
			parent, o := parentAndOrdinal(&corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: tc.pod}})
			if parent != tc.wantParent || o != tc.wantOrdinal {
				t.Errorf("parentAndOrdinal(%q) = %q, %d; want %q, %d", tc.pod, parent, o, tc.wantParent, tc.wantOrdinal)
			}
		})
	}
}

// TestNewPod checks everything a new pod gets from its set: identity,
// labels, owner, hostname and subdomain, and claim volumes that replace
// template volumes of the same name.
func TestNewPod(t *testing.T) {
	set := newSet(3, "v1", withClaims(appsv1.RetainPersistentVolumeClaimRetentionPolicyType, appsv1.RetainPersistentVolumeClaimRetentionPolicyType), func(s *appsv1.StatefulSet) {
		s.Spec.Ordinals = &appsv1.StatefulSetOrdinals{Start: 5}
		s.Spec.Template.Annotations = map[string]string{"a": "1"}
		s.Spec.Template.Spec.Volumes = []corev1.Volume{
			{Name: "data", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
			{Name: "config", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
		}
	})
	got := newPod(set, 6)
	wantSpec := set.Spec.Template.Spec.DeepCopy()
	wantSpec.Hostname, wantSpec.Subdomain = "web-6", "web-svc"
	wantSpec.Volumes = []corev1.Volume{
		{Name: "data", VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: "data-web-6"}}},
		{Name: "config", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}},
	}
	want := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: "web-6", GenerateName: "web-", Namespace: "ns",
			Labels:          map[string]string{"app": "web", appsv1.StatefulSetPodNameLabel: "web-6", appsv1.PodIndexLabel: "6"},
			Annotations:     map[string]string{"a": "1"},
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "apps/v1", Kind: "StatefulSet", Name: "web", UID: "web-uid", Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}},
		},
		Spec: *wantSpec,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("newPod (-want +got):\n%s", diff)
	}
	if !identityMatches(set, got) || !storageMatches(set, got) {
		t.Errorf("new pod does not match its own set: identity %v, storage %v", identityMatches(set, got), storageMatches(set, got))
	}
}

func TestIdentityAndStorageMatch(t *testing.T) {
	set := newSet(3, "v1", withClaims(appsv1.RetainPersistentVolumeClaimRetentionPolicyType, appsv1.RetainPersistentVolumeClaimRetentionPolicyType))
	tests := []struct {
		name                      string
		change                    func(*corev1.Pod)
		wantIdentity, wantStorage bool
	}{
		{name: "new pod", change: func(*corev1.Pod) {}, wantIdentity: true, wantStorage: true},
		{name: "pod-name label removed", change: func(p *corev1.Pod) { delete(p.Labels, appsv1.StatefulSetPodNameLabel) }, wantStorage: true},
		{name: "other namespace", change: func(p *corev1.Pod) { p.Namespace = "other" }, wantStorage: true},
		{name: "claim volume missing", change: func(p *corev1.Pod) { p.Spec.Volumes = nil }, wantIdentity: true},
		{name: "claim volume points elsewhere", change: func(p *corev1.Pod) { p.Spec.Volumes[0].PersistentVolumeClaim.ClaimName = "data-web-0" }, wantIdentity: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pod := newPod(set, 1)
			tc.change(pod)
			if got := identityMatches(set, pod); got != tc.wantIdentity {
				t.Errorf("identityMatches = %v, want %v", got, tc.wantIdentity)
			}
			if got := storageMatches(set, pod); got != tc.wantStorage {
				t.Errorf("storageMatches = %v, want %v", got, tc.wantStorage)
			}
			updateIdentity(set, pod)
			updateStorage(set, pod)
			if pod.Namespace == "ns" && (!identityMatches(set, pod) || !storageMatches(set, pod)) {
				t.Errorf("after updateIdentity and updateStorage: identity %v, storage %v", identityMatches(set, pod), storageMatches(set, pod))
			}
		})
	}
}

func TestScaledMaxUnavailable(t *testing.T) {
	tests := []struct {
		name     string
		value    *intstr.IntOrString
		replicas int
		want     int
	}{
		{name: "unset", replicas: 5, want: 1},
		{name: "absolute", value: ptr.To(intstr.FromInt32(3)), replicas: 5, want: 3},
		{name: "percent rounds down", value: ptr.To(intstr.FromString("50%")), replicas: 5, want: 2},
		{name: "never below one", value: ptr.To(intstr.FromString("10%")), replicas: 5, want: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := scaledMaxUnavailable(tc.value, tc.replicas)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("scaledMaxUnavailable = %d, want %d", got, tc.want)
			}
		})
	}
}
