package defaulttolerationseconds

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apiserver/pkg/admission"
	"k8s.io/utils/ptr"
)

func TestAdmit(t *testing.T) {
	notReady := func(s int64) corev1.Toleration {
		return corev1.Toleration{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To(s)}
	}
	unreachable := func(s int64) corev1.Toleration {
		return corev1.Toleration{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To(s)}
	}
	user := corev1.Toleration{Key: "example.com/gpu", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}
	tests := []struct {
		name   string
		config Config
		have   []corev1.Toleration
		want   []corev1.Toleration
	}{{
		name: "a pod without tolerations gets both for 300s",
		want: []corev1.Toleration{notReady(300), unreachable(300)},
	}, {
		name: "other tolerations are kept",
		have: []corev1.Toleration{user},
		want: []corev1.Toleration{user, notReady(300), unreachable(300)},
	}, {
		name: "a pod's own toleration of one is kept and the other added",
		have: []corev1.Toleration{notReady(0)},
		want: []corev1.Toleration{notReady(0), unreachable(300)},
	}, {
		name: "a toleration of every effect counts",
		have: []corev1.Toleration{{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists}},
		want: []corev1.Toleration{{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists}, notReady(300)},
	}, {
		name: "a toleration of every key counts for both",
		have: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
		want: []corev1.Toleration{{Operator: corev1.TolerationOpExists}},
	}, {
		name: "a NoSchedule toleration of the key does not count",
		have: []corev1.Toleration{{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}},
		want: []corev1.Toleration{{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}, notReady(300), unreachable(300)},
	}, {
		name:   "configured seconds",
		config: Config{NotReadySeconds: 60, UnreachableSeconds: 120},
		want:   []corev1.Toleration{notReady(60), unreachable(120)},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := tc.config
			if c == (Config{}) {
				c = NewConfig()
			}
			pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}, Spec: corev1.PodSpec{Tolerations: tc.have}}
			a := admission.NewAttributesRecord(pod, nil, corev1.SchemeGroupVersion.WithKind("Pod"), "ns", "p",
				corev1.SchemeGroupVersion.WithResource("pods"), "", admission.Create, &metav1.CreateOptions{}, false, nil)
			if err := New(c).Admit(context.Background(), a, nil); err != nil {
				t.Fatalf("Admit: %v", err)
			}
			if diff := cmp.Diff(tc.want, pod.Spec.Tolerations); diff != "" {
				t.Errorf("tolerations (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAdmitLeavesOthersAlone(t *testing.T) {
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "p", Namespace: "ns"}}
	for _, a := range []admission.Attributes{
		admission.NewAttributesRecord(pod, nil, corev1.SchemeGroupVersion.WithKind("Pod"), "ns", "p",
			corev1.SchemeGroupVersion.WithResource("pods"), "status", admission.Update, &metav1.UpdateOptions{}, false, nil),
		admission.NewAttributesRecord(&corev1.ConfigMap{}, nil, corev1.SchemeGroupVersion.WithKind("ConfigMap"), "ns", "p",
			corev1.SchemeGroupVersion.WithResource("configmaps"), "", admission.Create, &metav1.CreateOptions{}, false, nil),
	} {
		if err := New(NewConfig()).Admit(context.Background(), a, nil); err != nil {
			t.Fatalf("Admit: %v", err)
		}
	}
	if len(pod.Spec.Tolerations) != 0 {
		t.Errorf("status update got tolerations %v", pod.Spec.Tolerations)
	}
}
