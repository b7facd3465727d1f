package daemonset

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func ds(image string, annotations map[string]string) *appsv1.DaemonSet {
	return &appsv1.DaemonSet{
		ObjectMeta: metav1.ObjectMeta{Annotations: annotations},
		Spec: appsv1.DaemonSetSpec{Template: corev1.PodTemplateSpec{
			Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: image}}},
		}},
	}
}

func gen(v string) map[string]string {
	return map[string]string{appsv1.DeprecatedTemplateGeneration: v}
}

func TestTemplateGeneration(t *testing.T) {
	other := func() map[string]string { return map[string]string{"a": "b"} }
	withOther := func(m map[string]string) map[string]string {
		m["a"] = "b"
		return m
	}
	tests := []struct {
		name    string
		prepare func(obj, old *appsv1.DaemonSet)
		obj     *appsv1.DaemonSet
		old     *appsv1.DaemonSet
		want    map[string]string
	}{
		{"create starts at 1", func(obj, _ *appsv1.DaemonSet) { prepareForCreate(obj) }, ds("v1", other()), nil, withOther(gen("1"))},
		{"create keeps a given generation", func(obj, _ *appsv1.DaemonSet) { prepareForCreate(obj) }, ds("v1", gen("7")), nil, gen("7")},
		{"create replaces an invalid one", func(obj, _ *appsv1.DaemonSet) { prepareForCreate(obj) }, ds("v1", gen("x")), nil, gen("1")},
		{"a template change counts", prepareForUpdate, ds("v2", nil), ds("v1", gen("3")), gen("4")},
		{"other changes do not", prepareForUpdate, ds("v1", other()), ds("v1", gen("3")), withOther(gen("3"))},
		{"clients cannot set it", prepareForUpdate, ds("v1", gen("9")), ds("v1", gen("3")), gen("3")},
		{"status writes keep it", keepTemplateGeneration, ds("v1", nil), ds("v1", gen("3")), gen("3")},
		{"status writes do not add it", keepTemplateGeneration, ds("v1", gen("3")), ds("v1", nil), map[string]string{}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.prepare(tc.obj, tc.old)
			if diff := cmp.Diff(tc.want, tc.obj.Annotations); diff != "" {
				t.Errorf("annotations (-want +got):\n%s", diff)
			}
		})
	}
}
