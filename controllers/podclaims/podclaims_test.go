package podclaims

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
)

func TestPods(t *testing.T) {
	pod := func(ns, name string, volumes ...corev1.Volume) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: corev1.PodSpec{Volumes: volumes}}
	}
	claim := func(vol, claim string) corev1.Volume {
		return corev1.Volume{Name: vol, VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claim}}}
	}
	eph := corev1.Volume{Name: "scratch", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{}}}
	empty := corev1.Volume{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}

	factory := informers.NewSharedInformerFactory(fake.NewClientset(), 0)
	informer := factory.Core().V1().Pods().Informer()
	if err := AddIndex(informer); err != nil {
		t.Fatal(err)
	}
	// A second controller on the same informer adds nothing.
	if err := AddIndex(informer); err != nil {
		t.Fatalf("second AddIndex: %v", err)
	}
	for _, p := range []*corev1.Pod{
		pod("a", "one", claim("data", "shared"), empty),
		pod("a", "two", claim("data", "shared"), eph),
		pod("b", "three", claim("data", "shared")),
	} {
		if err := informer.GetIndexer().Add(p); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		ns, claim string
		want      []string
	}{
		{"a", "shared", []string{"one", "two"}},
		{"b", "shared", []string{"three"}},
		{"a", "two-scratch", []string{"two"}},
		{"a", "none", nil},
	}
	for _, tc := range tests {
		pods, err := Pods(informer.GetIndexer(), tc.ns, tc.claim)
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, p := range pods {
			got = append(got, p.Name)
		}
		if diff := cmp.Diff(tc.want, got, cmpSorted); diff != "" {
			t.Errorf("pods using %s/%s (-want +got):\n%s", tc.ns, tc.claim, diff)
		}
	}
}

var cmpSorted = cmpopts.SortSlices(func(a, b string) bool { return a < b })

func TestTerminated(t *testing.T) {
	deleted := &metav1.Time{Time: time.Unix(1, 0)}
	running := corev1.ContainerStatus{State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}
	exited := corev1.ContainerStatus{State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{}}}
	tests := []struct {
		name string
		pod  corev1.Pod
		want bool
	}{
		{"running", corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{running}}}, false},
		{"succeeded", corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodSucceeded}}, true},
		{"failed", corev1.Pod{Status: corev1.PodStatus{Phase: corev1.PodFailed}}, true},
		{"deleted with a running container", corev1.Pod{ObjectMeta: metav1.ObjectMeta{DeletionTimestamp: deleted},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{exited, running}}}, false},
		{"deleted with its containers exited", corev1.Pod{ObjectMeta: metav1.ObjectMeta{DeletionTimestamp: deleted},
			Status: corev1.PodStatus{Phase: corev1.PodRunning, ContainerStatuses: []corev1.ContainerStatus{exited}}}, true},
		{"deleted before it started", corev1.Pod{ObjectMeta: metav1.ObjectMeta{DeletionTimestamp: deleted}}, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := Terminated(&tc.pod); got != tc.want {
				t.Errorf("Terminated = %v, want %v", got, tc.want)
			}
		})
	}
}
