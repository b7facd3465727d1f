package daemonset

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

func TestPlacement(t *testing.T) {
	type verdict struct{ ShouldRun, ShouldContinueRunning bool }
	run, stay, out := verdict{true, true}, verdict{false, true}, verdict{false, false}
	blue := nodeSelector("color", "blue")
	affinity := func(op corev1.NodeSelectorOperator, values ...string) func(*appsv1.DaemonSet) {
		return func(ds *appsv1.DaemonSet) {
			ds.Spec.Template.Spec.Affinity = &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
				RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
					MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "color", Operator: op, Values: values}},
				}}},
			}}
		}
	}
	tolerate := func(key string, effect corev1.TaintEffect) func(*appsv1.DaemonSet) {
		return func(ds *appsv1.DaemonSet) {
			ds.Spec.Template.Spec.Tolerations = append(ds.Spec.Template.Spec.Tolerations,
				corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists, Effect: effect})
		}
	}
	hostNetwork := func(ds *appsv1.DaemonSet) { ds.Spec.Template.Spec.HostNetwork = true }
	tests := []struct {
		name string
		ds   *appsv1.DaemonSet
		node *corev1.Node
		want verdict
	}{
		{"plain node", newDS(), node("n"), run},
		{"nodeSelector matches", newDS(blue), node("n", labelled("color", "blue")), run},
		{"nodeSelector does not match", newDS(blue), node("n", labelled("color", "green")), out},
		{"required node affinity matches", newDS(affinity(corev1.NodeSelectorOpIn, "blue")), node("n", labelled("color", "blue")), run},
		{"required node affinity does not match", newDS(affinity(corev1.NodeSelectorOpNotIn, "blue")), node("n", labelled("color", "blue")), out},
		{"template names another node", newDS(func(ds *appsv1.DaemonSet) { ds.Spec.Template.Spec.NodeName = "other" }), node("n"), out},
		{"template names this node", newDS(func(ds *appsv1.DaemonSet) { ds.Spec.Template.Spec.NodeName = "n" }), node("n"), run},
		{"untolerated NoSchedule: no new pod, the old one stays", newDS(), node("n", tainted("dedicated", corev1.TaintEffectNoSchedule)), stay},
		{"untolerated NoExecute: out", newDS(), node("n", tainted("dedicated", corev1.TaintEffectNoExecute)), out},
		{"untolerated NoSchedule and NoExecute: out", newDS(),
			node("n", tainted("a", corev1.TaintEffectNoSchedule), tainted("b", corev1.TaintEffectNoExecute)), out},
		{"untolerated PreferNoSchedule: run", newDS(), node("n", tainted("dedicated", corev1.TaintEffectPreferNoSchedule)), run},
		{"tolerated NoSchedule", newDS(tolerate("dedicated", corev1.TaintEffectNoSchedule)), node("n", tainted("dedicated", corev1.TaintEffectNoSchedule)), run},
		{"tolerated NoExecute", newDS(tolerate("dedicated", "")), node("n", tainted("dedicated", corev1.TaintEffectNoExecute)), run},
		{"unschedulable node: tolerated automatically", newDS(),
			node("n", tainted(corev1.TaintNodeUnschedulable, corev1.TaintEffectNoSchedule), func(n *corev1.Node) { n.Spec.Unschedulable = true }), run},
		{"not-ready node: tolerated automatically", newDS(), node("n", tainted(corev1.TaintNodeNotReady, corev1.TaintEffectNoExecute)), run},
		{"unreachable node: tolerated automatically", newDS(), node("n", tainted(corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute)), run},
		{"disk pressure: tolerated automatically", newDS(), node("n", tainted(corev1.TaintNodeDiskPressure, corev1.TaintEffectNoSchedule)), run},
		{"memory pressure: tolerated automatically", newDS(), node("n", tainted(corev1.TaintNodeMemoryPressure, corev1.TaintEffectNoSchedule)), run},
		{"pid pressure: tolerated automatically", newDS(), node("n", tainted(corev1.TaintNodePIDPressure, corev1.TaintEffectNoSchedule)), run},
		{"network unavailable, pod network", newDS(), node("n", tainted(corev1.TaintNodeNetworkUnavailable, corev1.TaintEffectNoSchedule)), stay},
		{"network unavailable, host network", newDS(hostNetwork), node("n", tainted(corev1.TaintNodeNetworkUnavailable, corev1.TaintEffectNoSchedule)), run},
		{"selector match does not help against a taint", newDS(blue),
			node("n", labelled("color", "blue"), tainted("dedicated", corev1.TaintEffectNoExecute)), out},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			shouldRun, shouldContinueRunning := newPlacement(tc.ds).check(klog.Background(), tc.node)
			if diff := cmp.Diff(tc.want, verdict{shouldRun, shouldContinueRunning}); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestAddDaemonTolerations(t *testing.T) {
	exists := func(key string, effect corev1.TaintEffect) corev1.Toleration {
		return corev1.Toleration{Key: key, Operator: corev1.TolerationOpExists, Effect: effect}
	}
	defaults := []corev1.Toleration{
		exists(corev1.TaintNodeNotReady, corev1.TaintEffectNoExecute),
		exists(corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute),
		exists(corev1.TaintNodeDiskPressure, corev1.TaintEffectNoSchedule),
		exists(corev1.TaintNodeMemoryPressure, corev1.TaintEffectNoSchedule),
		exists(corev1.TaintNodePIDPressure, corev1.TaintEffectNoSchedule),
		exists(corev1.TaintNodeUnschedulable, corev1.TaintEffectNoSchedule),
	}
	own := corev1.Toleration{Key: "dedicated", Operator: corev1.TolerationOpEqual, Value: "infra", Effect: corev1.TaintEffectNoSchedule}
	tests := []struct {
		name string
		spec corev1.PodSpec
		want []corev1.Toleration
	}{{
		name: "none of its own",
		want: defaults,
	}, {
		name: "its own come first",
		spec: corev1.PodSpec{Tolerations: []corev1.Toleration{own}},
		want: append([]corev1.Toleration{own}, defaults...),
	}, {
		name: "a matching one is replaced in place, losing its tolerationSeconds",
		spec: corev1.PodSpec{Tolerations: []corev1.Toleration{
			{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute, TolerationSeconds: ptr.To[int64](300)},
			own,
		}},
		want: []corev1.Toleration{
			exists(corev1.TaintNodeUnreachable, corev1.TaintEffectNoExecute), own,
			exists(corev1.TaintNodeNotReady, corev1.TaintEffectNoExecute),
			exists(corev1.TaintNodeDiskPressure, corev1.TaintEffectNoSchedule),
			exists(corev1.TaintNodeMemoryPressure, corev1.TaintEffectNoSchedule),
			exists(corev1.TaintNodePIDPressure, corev1.TaintEffectNoSchedule),
			exists(corev1.TaintNodeUnschedulable, corev1.TaintEffectNoSchedule),
		},
	}, {
		name: "host network tolerates a missing pod network",
		spec: corev1.PodSpec{HostNetwork: true},
		want: append(append([]corev1.Toleration(nil), defaults...), exists(corev1.TaintNodeNetworkUnavailable, corev1.TaintEffectNoSchedule)),
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			spec := tc.spec.DeepCopy()
			addDaemonTolerations(spec)
			if diff := cmp.Diff(tc.want, spec.Tolerations); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			// Adding them twice changes nothing: a pod's template is
			// hashed with them.
			again := spec.DeepCopy()
			addDaemonTolerations(again)
			if diff := cmp.Diff(spec.Tolerations, again.Tolerations); diff != "" {
				t.Errorf("second add (-first +second):\n%s", diff)
			}
		})
	}
}

func TestNodeAffinity(t *testing.T) {
	nameIs := func(values ...string) corev1.NodeSelectorTerm {
		return corev1.NodeSelectorTerm{MatchFields: []corev1.NodeSelectorRequirement{{Key: metav1.ObjectNameField, Operator: corev1.NodeSelectorOpIn, Values: values}}}
	}
	colorBlue := corev1.NodeSelectorTerm{MatchExpressions: []corev1.NodeSelectorRequirement{{Key: "color", Operator: corev1.NodeSelectorOpIn, Values: []string{"blue"}}}}
	preferred := []corev1.PreferredSchedulingTerm{{Weight: 1, Preference: colorBlue}}
	podAffinity := &corev1.PodAffinity{RequiredDuringSchedulingIgnoredDuringExecution: []corev1.PodAffinityTerm{{TopologyKey: "zone"}}}
	tests := []struct {
		name string
		in   *corev1.Affinity
		want *corev1.Affinity
	}{{
		name: "none",
		want: &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{nameIs("n1")}}}},
	}, {
		name: "required terms replaced, preferred and pod affinity kept",
		in: &corev1.Affinity{PodAffinity: podAffinity, NodeAffinity: &corev1.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution:  &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{colorBlue}},
			PreferredDuringSchedulingIgnoredDuringExecution: preferred,
		}},
		want: &corev1.Affinity{PodAffinity: podAffinity, NodeAffinity: &corev1.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution:  &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{nameIs("n1")}},
			PreferredDuringSchedulingIgnoredDuringExecution: preferred,
		}},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := withNodeAffinity(tc.in.DeepCopy(), "n1")
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("affinity (-want +got):\n%s", diff)
			}
			name, err := targetNode(&corev1.Pod{Spec: corev1.PodSpec{Affinity: got}})
			if err != nil || name != "n1" {
				t.Errorf("targetNode = %q, %v; want n1", name, err)
			}
		})
	}

	targets := []struct {
		name    string
		pod     corev1.PodSpec
		want    string
		wantErr bool
	}{
		{name: "bound: spec.nodeName wins", pod: corev1.PodSpec{NodeName: "bound", Affinity: withNodeAffinity(nil, "n1")}, want: "bound"},
		{name: "no affinity", wantErr: true},
		{name: "affinity without a node name", pod: corev1.PodSpec{Affinity: &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{colorBlue}}}}}, wantErr: true},
		{name: "two node names", pod: corev1.PodSpec{Affinity: &corev1.Affinity{NodeAffinity: &corev1.NodeAffinity{
			RequiredDuringSchedulingIgnoredDuringExecution: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{nameIs("a", "b")}}}}}, wantErr: true},
	}
	for _, tc := range targets {
		t.Run(tc.name, func(t *testing.T) {
			got, err := targetNode(&corev1.Pod{Spec: tc.pod})
			if (err != nil) != tc.wantErr || got != tc.want {
				t.Errorf("targetNode = %q, %v; want %q, error %v", got, err, tc.want, tc.wantErr)
			}
		})
	}
}
