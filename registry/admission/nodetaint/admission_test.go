package nodetaint

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apiserver/pkg/admission"
)

func TestAdmit(t *testing.T) {
	gpu := corev1.Taint{Key: "gpu", Value: "true", Effect: corev1.TaintEffectNoSchedule}
	tests := []struct {
		name     string
		resource string
		sub      string
		obj      runtime.Object
		want     []corev1.Taint
	}{
		{name: "a new node is tainted", resource: "nodes", obj: &corev1.Node{}, want: []corev1.Taint{notReady}},
		{name: "other taints stay", resource: "nodes", obj: &corev1.Node{Spec: corev1.NodeSpec{Taints: []corev1.Taint{gpu}}}, want: []corev1.Taint{gpu, notReady}},
		{name: "already tainted: once", resource: "nodes", obj: &corev1.Node{Spec: corev1.NodeSpec{Taints: []corev1.Taint{{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoSchedule, Value: "x"}}}},
			want: []corev1.Taint{{Key: corev1.TaintNodeNotReady, Effect: corev1.TaintEffectNoSchedule, Value: "x"}}},
		{name: "status is not the plugin's", resource: "nodes", sub: "status", obj: &corev1.Node{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := admission.NewAttributesRecord(tt.obj, nil, corev1.SchemeGroupVersion.WithKind("Node"), "", "n", corev1.SchemeGroupVersion.WithResource(tt.resource),
				tt.sub, admission.Create, &metav1.CreateOptions{}, false, nil)
			if err := New().Admit(context.Background(), a, nil); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, tt.obj.(*corev1.Node).Spec.Taints); diff != "" {
				t.Errorf("taints (-want +got):\n%s", diff)
			}
		})
	}
}
