package scheduler

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/nodeagent/localpath"
	"github.com/kubeshim/kubeshim/scheduler/plugins/volumebinding"
)

// The volume binding tests run against the server's in-process PV
// controller, which completes the bindings the scheduler starts, and, where
// a volume is provisioned, the node agents' local-path provisioner run
// in-process for a node.

const noProvisioner = "kubernetes.io/no-provisioner"

// createClass creates a storage class named after the test's namespace and
// deletes it when the test ends.
func (e *env) createClass(name, provisioner string, mode storagev1.VolumeBindingMode, topologies ...corev1.TopologySelectorTerm) string {
	e.t.Helper()
	c := &storagev1.StorageClass{
		ObjectMeta:        metav1.ObjectMeta{Name: e.ns + "-" + name},
		Provisioner:       provisioner,
		VolumeBindingMode: &mode,
		AllowedTopologies: topologies,
	}
	if _, err := e.client.StorageV1().StorageClasses().Create(context.Background(), c, metav1.CreateOptions{}); err != nil {
		e.t.Fatalf("create storage class %s: %v", c.Name, err)
	}
	e.t.Cleanup(func() {
		e.client.StorageV1().StorageClasses().Delete(context.Background(), c.Name, metav1.DeleteOptions{})
	})
	return c.Name
}

// createClaim creates a claim of class (explicitly "" for none) for 1Gi.
func (e *env) createClaim(name, class string, mutate ...func(*corev1.PersistentVolumeClaim)) *corev1.PersistentVolumeClaim {
	e.t.Helper()
	c := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: corev1.PersistentVolumeClaimSpec{
			StorageClassName: ptr.To(class),
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
		},
	}
	for _, m := range mutate {
		m(c)
	}
	c, err := e.client.CoreV1().PersistentVolumeClaims(e.ns).Create(context.Background(), c, metav1.CreateOptions{})
	if err != nil {
		e.t.Fatalf("create claim %s: %v", name, err)
	}
	return c
}

// createVolume creates a 1Gi hostPath volume (never mounted: there is no
// agent) of class, usable only on the node whose hostname label is
// hostname, and deletes it when the test ends. Its name is prefixed with
// the namespace.
func (e *env) createVolume(name, class, hostname string, mutate ...func(*corev1.PersistentVolume)) string {
	e.t.Helper()
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: e.ns + "-" + name},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")},
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			StorageClassName:              class,
			PersistentVolumeSource:        corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/kubeshim-test/" + name}},
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: corev1.LabelHostname, Operator: corev1.NodeSelectorOpIn, Values: []string{hostname}}},
			}}}},
		},
	}
	for _, m := range mutate {
		m(pv)
	}
	if _, err := e.client.CoreV1().PersistentVolumes().Create(context.Background(), pv, metav1.CreateOptions{}); err != nil {
		e.t.Fatalf("create volume %s: %v", pv.Name, err)
	}
	e.t.Cleanup(func() {
		e.client.CoreV1().PersistentVolumes().Delete(context.Background(), pv.Name, metav1.DeleteOptions{})
	})
	return pv.Name
}

// claims has the pod use the claims, one volume each.
func claims(names ...string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		for _, n := range names {
			p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "v-" + n, VolumeSource: corev1.VolumeSource{
				PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: n}}})
		}
	}
}

// waitUnschedulableWith waits until the pod's PodScheduled condition says
// want (earlier messages may differ, while the PV controller catches up).
func (e *env) waitUnschedulableWith(name, want string) {
	e.t.Helper()
	var msg string
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		p, err := e.client.CoreV1().Pods(e.ns).Get(ctx, name, metav1.GetOptions{})
		if err != nil {
			return false, err
		}
		if p.Spec.NodeName != "" {
			return false, fmt.Errorf("pod %s was bound to %s", name, p.Spec.NodeName)
		}
		for _, c := range p.Status.Conditions {
			if c.Type == corev1.PodScheduled && c.Status == corev1.ConditionFalse && c.Reason == corev1.PodReasonUnschedulable {
				msg = c.Message
			}
		}
		return msg == want, nil
	})
	if err != nil {
		e.t.Fatalf("pod %s: %v\nlast message: %q\nwant:         %q", name, err, msg, want)
	}
}

// waitClaim waits until cond holds for the claim and returns it.
func (e *env) waitClaim(name, what string, cond func(*corev1.PersistentVolumeClaim) bool) *corev1.PersistentVolumeClaim {
	e.t.Helper()
	var c *corev1.PersistentVolumeClaim
	err := wait.PollUntilContextTimeout(context.Background(), 50*time.Millisecond, timeout, true, func(ctx context.Context) (bool, error) {
		var err error
		c, err = e.client.CoreV1().PersistentVolumeClaims(e.ns).Get(ctx, name, metav1.GetOptions{})
		return err == nil && cond(c), nil
	})
	if err != nil {
		e.t.Fatalf("claim %s: %s: %v; claim: %+v", name, what, err, c)
	}
	return c
}

// TestVolumeBindingUnschedulable: each reason VolumeBinding turns a pod
// down for, in kube-scheduler's words.
func TestVolumeBindingUnschedulable(t *testing.T) {
	const preemption = " preemption: 0/2 nodes are available: 2 Preemption is not helpful for scheduling."
	zone := func(z string) corev1.TopologySelectorTerm {
		return corev1.TopologySelectorTerm{MatchLabelExpressions: []corev1.TopologySelectorLabelRequirement{{Key: "zone", Values: []string{z}}}}
	}
	tests := []struct {
		name string
		// setup makes the claims and volumes and returns the pod's claims.
		setup func(e *env) []string
		want  string
	}{
		{
			name:  "a missing claim",
			setup: func(e *env) []string { return []string{"missing"} },
			want:  `0/2 nodes are available: persistentvolumeclaim "missing" not found.` + preemption,
		},
		{
			name: "an unbound claim of an Immediate class",
			setup: func(e *env) []string {
				e.createClaim("c", e.createClass("now", "example.com/nobody", storagev1.VolumeBindingImmediate))
				return []string{"c"}
			},
			want: "0/2 nodes are available: pod has unbound immediate PersistentVolumeClaims." + preemption,
		},
		{
			name: "a bound volume of another node",
			setup: func(e *env) []string {
				// Pre-bound both ways; the PV controller completes it.
				pv := e.createVolume("elsewhere", "", "elsewhere", func(pv *corev1.PersistentVolume) {
					pv.Spec.ClaimRef = &corev1.ObjectReference{Namespace: e.ns, Name: "c"}
				})
				e.createClaim("c", "", func(c *corev1.PersistentVolumeClaim) { c.Spec.VolumeName = pv })
				return []string{"c"}
			},
			want: "0/2 nodes are available: 2 node(s) didn't match PersistentVolume's node affinity." + preemption,
		},
		{
			name: "no volume to bind and no provisioner",
			setup: func(e *env) []string {
				class := e.createClass("static", noProvisioner, storagev1.VolumeBindingWaitForFirstConsumer)
				e.createVolume("elsewhere", class, "elsewhere")
				e.createClaim("c", class)
				return []string{"c"}
			},
			want: "0/2 nodes are available: 2 node(s) didn't find available persistent volumes to bind." + preemption,
		},
		{
			name: "a provisioner whose allowed topologies exclude every node",
			setup: func(e *env) []string {
				e.createClaim("c", e.createClass("zoned", "example.com/nobody", storagev1.VolumeBindingWaitForFirstConsumer, zone("z-none")))
				return []string{"c"}
			},
			want: "0/2 nodes are available: 2 node(s) didn't find available persistent volumes to bind." + preemption,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.createNode("a", func(n *corev1.Node) { n.Labels["zone"] = "z-a" })
			e.createNode("b", func(n *corev1.Node) { n.Labels["zone"] = "z-b" })
			e.startScheduler(nil, nil)
			e.createPod("p", claims(tt.setup(e)...))
			e.waitUnschedulableWith("p", tt.want)
		})
	}
}

// TestVolumeBindingBoundVolume: a pod whose claim is bound to a local
// volume goes to that volume's node.
func TestVolumeBindingBoundVolume(t *testing.T) {
	e := newEnv(t)
	for _, n := range []string{"a", "b", "c"} {
		e.createNode(n)
	}
	pv := e.createVolume("on-b", "", "b", func(pv *corev1.PersistentVolume) {
		pv.Spec.ClaimRef = &corev1.ObjectReference{Namespace: e.ns, Name: "c"}
	})
	e.createClaim("c", "", func(c *corev1.PersistentVolumeClaim) { c.Spec.VolumeName = pv })
	e.startScheduler(nil, nil)
	e.createPod("p", claims("c"))
	if got := e.waitBound("p"); got != e.node("b") {
		t.Errorf("pod bound to %s, want %s", got, e.node("b"))
	}
}

// TestVolumeBindingStaticVolume: a WaitForFirstConsumer claim gets the
// static volume of a node the pod fits: the scheduler pre-binds it, the PV
// controller completes the binding, then the pod is bound to that node.
func TestVolumeBindingStaticVolume(t *testing.T) {
	e := newEnv(t)
	e.createNode("a")
	e.createNode("b")
	// The volume on full is the smaller one, but the pod does not fit
	// there; a has no volume.
	e.createNode("full", func(n *corev1.Node) { n.Status.Allocatable = resources("cpu", "100m", "memory", "8Gi", "pods", "110") })
	class := e.createClass("static", noProvisioner, storagev1.VolumeBindingWaitForFirstConsumer)
	onB := e.createVolume("on-b", class, "b", func(pv *corev1.PersistentVolume) {
		pv.Spec.Capacity[corev1.ResourceStorage] = resource.MustParse("5Gi")
	})
	e.createVolume("on-full", class, "full")
	claim := e.createClaim("c", class)
	e.startScheduler(nil, nil)
	e.createPod("p", claims("c"), requests("cpu", "1"))
	if got := e.waitBound("p"); got != e.node("b") {
		t.Fatalf("pod bound to %s, want %s", got, e.node("b"))
	}
	c := e.waitClaim("c", "bound", func(c *corev1.PersistentVolumeClaim) bool { return c.Spec.VolumeName != "" })
	pv, err := e.client.CoreV1().PersistentVolumes().Get(context.Background(), onB, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	got := []string{c.Spec.VolumeName, string(pv.Spec.ClaimRef.UID), pv.Annotations[volumebinding.AnnBoundByController]}
	if diff := cmp.Diff([]string{onB, string(claim.UID), "yes"}, got); diff != "" {
		t.Errorf("claim's volume, volume's claim UID, bound-by-controller (-want +got):\n%s", diff)
	}
}

// startProvisioner runs a node agent's local-path provisioner for node
// (full name) in-process, its volumes under a temporary directory.
func (e *env) startProvisioner(node string) string {
	e.t.Helper()
	root := filepath.Join(e.t.TempDir(), "storage")
	p, err := localpath.New(localpath.Config{Client: e.client, NodeName: node, Root: root})
	if err != nil {
		e.t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	e.t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			e.t.Errorf("provisioner: %v", err)
		}
	})
	return root
}

// TestVolumeBindingProvisioning: a WaitForFirstConsumer claim of a class
// with a provisioner is annotated with the node chosen for its pod (among
// those its allowed topologies admit); the node's provisioner makes the
// volume there, the PV controller binds it, and only then is the pod bound.
func TestVolumeBindingProvisioning(t *testing.T) {
	e := newEnv(t)
	e.createNode("a", func(n *corev1.Node) { n.Labels["zone"] = "z-a" })
	e.createNode("b", func(n *corev1.Node) { n.Labels["zone"] = "z-b" })
	e.createNode("c", func(n *corev1.Node) { n.Labels["zone"] = "z-a" })
	class := e.createClass("lp", localpath.Name, storagev1.VolumeBindingWaitForFirstConsumer, corev1.TopologySelectorTerm{
		MatchLabelExpressions: []corev1.TopologySelectorLabelRequirement{{Key: "zone", Values: []string{"z-b"}}},
	})
	claim := e.createClaim("data", class)
	e.startScheduler(nil, nil)
	e.createPod("p", claims("data"))

	e.waitClaim("data", "selected-node set", func(c *corev1.PersistentVolumeClaim) bool {
		return c.Annotations[volumebinding.AnnSelectedNode] == e.node("b")
	})
	// Nobody provisions on b yet: the pod waits, unbound.
	e.stillPending("p", time.Second)

	root := e.startProvisioner(e.node("b"))
	if got := e.waitBound("p"); got != e.node("b") {
		t.Fatalf("pod bound to %s, want %s", got, e.node("b"))
	}
	c := e.waitClaim("data", "bound", func(c *corev1.PersistentVolumeClaim) bool { return c.Spec.VolumeName != "" })
	want := "pvc-" + string(claim.UID)
	if c.Spec.VolumeName != want {
		t.Errorf("claim bound to %q, want %q", c.Spec.VolumeName, want)
	}
	if _, err := os.Stat(filepath.Join(root, fmt.Sprintf("%s_%s_data", want, e.ns))); err != nil {
		t.Errorf("volume directory: %v", err)
	}
}

// TestVolumeBindingRequeue: a pod turned down for its volumes is retried
// when the claim it misses appears, or a volume it can take.
func TestVolumeBindingRequeue(t *testing.T) {
	t.Run("claim added", func(t *testing.T) {
		e := newEnv(t)
		e.createNode("a")
		e.startProvisioner(e.node("a"))
		e.startScheduler(nil, nil)
		e.createPod("p", claims("late"))
		e.waitUnschedulableWith("p", `0/1 nodes are available: persistentvolumeclaim "late" not found. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.`)
		e.createClaim("late", e.createClass("lp", localpath.Name, storagev1.VolumeBindingWaitForFirstConsumer))
		if got := e.waitBound("p"); got != e.node("a") {
			t.Errorf("pod bound to %s, want %s", got, e.node("a"))
		}
	})
	t.Run("volume added", func(t *testing.T) {
		e := newEnv(t)
		e.createNode("a")
		class := e.createClass("static", noProvisioner, storagev1.VolumeBindingWaitForFirstConsumer)
		e.createClaim("c", class)
		e.startScheduler(nil, nil)
		e.createPod("p", claims("c"))
		e.waitUnschedulableWith("p", "0/1 nodes are available: 1 node(s) didn't find available persistent volumes to bind. preemption: 0/1 nodes are available: 1 Preemption is not helpful for scheduling.")
		e.createVolume("late", class, "a")
		if got := e.waitBound("p"); got != e.node("a") {
			t.Errorf("pod bound to %s, want %s", got, e.node("a"))
		}
	})
}

// TestVolumeBindingOthersGoOn: while a pod waits for its volume to be
// provisioned, the scheduler binds other pods.
func TestVolumeBindingOthersGoOn(t *testing.T) {
	e := newEnv(t)
	e.createNode("a")
	class := e.createClass("lp", "example.com/nobody", storagev1.VolumeBindingWaitForFirstConsumer)
	e.createClaim("c", class)
	e.startScheduler(nil, nil)
	e.createPod("waiting", claims("c"))
	e.waitClaim("c", "selected-node set", func(c *corev1.PersistentVolumeClaim) bool {
		return c.Annotations[volumebinding.AnnSelectedNode] == e.node("a")
	})
	e.createPod("other")
	if got := e.waitBound("other"); got != e.node("a") {
		t.Errorf("pod bound to %s, want %s", got, e.node("a"))
	}
	e.stillPending("waiting", 100*time.Millisecond)
}
