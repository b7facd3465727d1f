package daemonset

import (
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/scheduler/plugins/nodeaffinity"
	"github.com/kubeshim/kubeshim/scheduler/plugins/tainttoleration"
)

// daemonTolerations are the tolerations upstream gives every daemon pod, so
// that node problems the node lifecycle controller reports as taints neither
// evict daemon pods nor keep them off a node: daemons are often what fixes
// the node.
var daemonTolerations = []corev1.Toleration{
	{Key: corev1.TaintNodeNotReady, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
	{Key: corev1.TaintNodeUnreachable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoExecute},
	{Key: corev1.TaintNodeDiskPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodeMemoryPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodePIDPressure, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
	{Key: corev1.TaintNodeUnschedulable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule},
}

// hostNetworkToleration is added for hostNetwork pods only: they need no pod
// network, so a node without one can still run them (CNI plugins are
// themselves such daemons).
var hostNetworkToleration = corev1.Toleration{Key: corev1.TaintNodeNetworkUnavailable, Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}

// addDaemonTolerations adds the daemon tolerations to spec. A toleration of
// the template with the same key, operator, value and effect is replaced in
// place (losing a tolerationSeconds: a daemon pod is never evicted for these
// taints), as upstream's AddOrUpdateTolerationInPodSpec does.
func addDaemonTolerations(spec *corev1.PodSpec) {
	add := daemonTolerations
	if spec.HostNetwork {
		add = append(append([]corev1.Toleration(nil), daemonTolerations...), hostNetworkToleration)
	}
	for i := range add {
		t := add[i]
		replaced := false
		for j := range spec.Tolerations {
			if t.MatchToleration(&spec.Tolerations[j]) {
				spec.Tolerations[j] = t
				replaced = true
			}
		}
		if !replaced {
			spec.Tolerations = append(spec.Tolerations, t)
		}
	}
}

// placement decides which nodes a DaemonSet's pods belong on. It is built
// once per DaemonSet and sync: parsing the node affinity dominates the cost
// of checking a node.
type placement struct {
	nodeName    string
	tolerations []corev1.Toleration
	affinity    nodeaffinity.RequiredNodeAffinity
}

func newPlacement(ds *appsv1.DaemonSet) placement {
	spec := ds.Spec.Template.Spec.DeepCopy()
	addDaemonTolerations(spec)
	return placement{
		nodeName:    spec.NodeName,
		tolerations: spec.Tolerations,
		affinity:    nodeaffinity.GetRequiredNodeAffinity(&corev1.Pod{Spec: *spec}),
	}
}

// check is upstream's NodeShouldRunDaemonPod. shouldRun: a pod should be
// created on node if it has none. shouldContinueRunning: a pod already there
// may stay. They differ for a node with a NoSchedule taint the pod does not
// tolerate (and no such NoExecute one): no new pod, but the old one keeps
// running, as the scheduler and the taint manager would have it.
func (p placement) check(logger klog.Logger, node *corev1.Node) (shouldRun, shouldContinueRunning bool) {
	if p.nodeName != "" && p.nodeName != node.Name {
		return false, false
	}
	// A term that does not parse matches nothing; validation refuses
	// such templates, so there is nothing more to report.
	if fits, _ := p.affinity.Match(node); !fits {
		return false, false
	}
	if _, untolerated := tainttoleration.FindUntoleratedTaint(logger, node.Spec.Taints, p.tolerations, noScheduleOrExecute); !untolerated {
		return true, true
	}
	_, evicting := tainttoleration.FindUntoleratedTaint(logger, node.Spec.Taints, p.tolerations, noExecute)
	return false, !evicting
}

func noScheduleOrExecute(t *corev1.Taint) bool {
	return t.Effect == corev1.TaintEffectNoSchedule || t.Effect == corev1.TaintEffectNoExecute
}

func noExecute(t *corev1.Taint) bool { return t.Effect == corev1.TaintEffectNoExecute }

// targetNode is the node a daemon pod is for: its spec.nodeName once bound,
// before that the metadata.name of the node affinity the controller gave it
// (upstream's GetTargetNodeName).
func targetNode(pod *corev1.Pod) (string, error) {
	if pod.Spec.NodeName != "" {
		return pod.Spec.NodeName, nil
	}
	a := pod.Spec.Affinity
	if a == nil || a.NodeAffinity == nil || a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution == nil {
		return "", fmt.Errorf("pod %s/%s has no required node affinity", pod.Namespace, pod.Name)
	}
	for _, term := range a.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution.NodeSelectorTerms {
		for _, req := range term.MatchFields {
			if req.Key != metav1.ObjectNameField || req.Operator != corev1.NodeSelectorOpIn {
				continue
			}
			if len(req.Values) != 1 {
				return "", fmt.Errorf("pod %s/%s: matchFields %s has %d values, want one", pod.Namespace, pod.Name, metav1.ObjectNameField, len(req.Values))
			}
			return req.Values[0], nil
		}
	}
	return "", fmt.Errorf("pod %s/%s has no node name in its node affinity", pod.Namespace, pod.Name)
}

// withNodeAffinity makes affinity require the node named node, and nothing
// else: the other terms of the template were checked against that node
// already, and terms are ORed, so keeping them would let the scheduler pick
// another node. Preferred terms and pod (anti-)affinity stay. affinity is
// the controller's own copy.
func withNodeAffinity(affinity *corev1.Affinity, node string) *corev1.Affinity {
	required := &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
		MatchFields: []corev1.NodeSelectorRequirement{{Key: metav1.ObjectNameField, Operator: corev1.NodeSelectorOpIn, Values: []string{node}}},
	}}}
	if affinity == nil {
		affinity = &corev1.Affinity{}
	}
	if affinity.NodeAffinity == nil {
		affinity.NodeAffinity = &corev1.NodeAffinity{}
	}
	affinity.NodeAffinity.RequiredDuringSchedulingIgnoredDuringExecution = required
	return affinity
}
