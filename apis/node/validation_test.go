package node

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	nodev1 "k8s.io/api/node/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/kubeshim/kubeshim/apis/internal/fielderrors"
)

func TestValidateRuntimeClass(t *testing.T) {
	valid := func() *nodev1.RuntimeClass {
		return &nodev1.RuntimeClass{ObjectMeta: metav1.ObjectMeta{Name: "gvisor", ResourceVersion: "1"}, Handler: "runsc",
			Overhead:   &nodev1.Overhead{PodFixed: corev1.ResourceList{corev1.ResourceMemory: resource.MustParse("64Mi")}},
			Scheduling: &nodev1.Scheduling{NodeSelector: map[string]string{"runtime": "gvisor"}}}
	}
	cases := []struct {
		name   string
		mutate func(*nodev1.RuntimeClass)
		want   []string
	}{
		{name: "valid", mutate: func(*nodev1.RuntimeClass) {}},
		{
			name:   "handler not a DNS label",
			mutate: func(rc *nodev1.RuntimeClass) { rc.Handler = "run.sc" },
			want:   []string{`handler: Invalid value: "run.sc": must not contain dots`},
		},
		{
			name: "negative overhead, duplicate toleration",
			mutate: func(rc *nodev1.RuntimeClass) {
				rc.Overhead.PodFixed[corev1.ResourceMemory] = resource.MustParse("-1")
				tol := corev1.Toleration{Key: "k", Operator: corev1.TolerationOpExists}
				rc.Scheduling.Tolerations = []corev1.Toleration{tol, tol}
			},
			want: []string{
				`overhead.limits[memory]: Invalid value: "-1": must be greater than or equal to 0`,
				`scheduling.tolerations[1]: Duplicate value: {"Key":"k","Operator":"Exists","Value":"","Effect":"","TolerationSeconds":null}`,
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rc := valid()
			tc.mutate(rc)
			fielderrors.Want(t, tc.want, ValidateRuntimeClass(rc))
		})
	}

	t.Run("handler is immutable", func(t *testing.T) {
		old, rc := valid(), valid()
		rc.Handler = "kata"
		fielderrors.Want(t, []string{`handler: Invalid value: "kata": field is immutable`}, ValidateRuntimeClassUpdate(rc, old))
	})
}
