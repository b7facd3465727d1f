package serviceaccount

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
)

func TestMountToken(t *testing.T) {
	no, yes := false, true
	tests := []struct {
		name      string
		sa        *bool
		pod       *bool
		mounts    []corev1.VolumeMount
		wantMount bool
	}{
		{name: "defaults mount", wantMount: true},
		{name: "service account opts out", sa: &no},
		{name: "pod opts in over the account", sa: &no, pod: &yes, wantMount: true},
		{name: "pod opts out", pod: &no},
		{name: "container mounts the path itself", mounts: []corev1.VolumeMount{{Name: "own", MountPath: DefaultAPITokenMountPath}}, wantMount: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sa := &corev1.ServiceAccount{AutomountServiceAccountToken: tt.sa}
			pod := &corev1.Pod{Spec: corev1.PodSpec{
				AutomountServiceAccountToken: tt.pod,
				InitContainers:               []corev1.Container{{Name: "i"}},
				Containers:                   []corev1.Container{{Name: "c", VolumeMounts: tt.mounts}},
			}}
			if automount(sa, pod) {
				mountToken(pod)
			}
			if got := len(pod.Spec.Volumes) == 1; got != tt.wantMount {
				t.Fatalf("volume added: got %v, want %v", got, tt.wantMount)
			}
			if !tt.wantMount {
				return
			}
			v := pod.Spec.Volumes[0]
			if !strings.HasPrefix(v.Name, "kube-api-access-") || len(v.Name) != len("kube-api-access-")+5 {
				t.Errorf("volume name %q", v.Name)
			}
			var paths []string
			for _, s := range v.Projected.Sources {
				switch {
				case s.ServiceAccountToken != nil:
					paths = append(paths, s.ServiceAccountToken.Path)
				case s.ConfigMap != nil:
					paths = append(paths, s.ConfigMap.Items[0].Path)
				case s.DownwardAPI != nil:
					paths = append(paths, s.DownwardAPI.Items[0].Path)
				}
			}
			if diff := cmp.Diff([]string{"token", "ca.crt", "namespace"}, paths); diff != "" {
				t.Errorf("projected paths (-want +got):\n%s", diff)
			}
			wantInit := []corev1.VolumeMount{{Name: v.Name, ReadOnly: true, MountPath: DefaultAPITokenMountPath}}
			if diff := cmp.Diff(wantInit, pod.Spec.InitContainers[0].VolumeMounts); diff != "" {
				t.Errorf("init container mounts (-want +got):\n%s", diff)
			}
			wantApp := wantInit
			if tt.mounts != nil {
				wantApp = tt.mounts
			}
			if diff := cmp.Diff(wantApp, pod.Spec.Containers[0].VolumeMounts); diff != "" {
				t.Errorf("container mounts (-want +got):\n%s", diff)
			}
			// Admitting twice adds nothing.
			mountToken(pod)
			if len(pod.Spec.Volumes) != 1 {
				t.Errorf("second admission added a volume: %d", len(pod.Spec.Volumes))
			}
		})
	}
}
