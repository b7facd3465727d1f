package volumebinding

import (
	"context"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stypes "k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/scheduler/framework"
)

const ns = "ns"

type testHandle struct {
	f      informers.SharedInformerFactory
	client kubernetes.Interface
}

func (h testHandle) SharedInformerFactory() informers.SharedInformerFactory { return h.f }
func (h testHandle) ClientSet() kubernetes.Interface                        { return h.client }

// newPlugin builds the plugin on a fake clientset holding objects, with
// its informers synced.
func newPlugin(t *testing.T, objects ...runtime.Object) (*VolumeBinding, *fake.Clientset) {
	t.Helper()
	client := fake.NewClientset(objects...)
	// The fake keeps resourceVersions as given: number writes as the API
	// server does, since PreBind tells its own writes by them.
	var rv atomic.Int64
	rv.Store(100)
	for _, verb := range []string{"create", "update"} {
		client.PrependReactor(verb, "*", func(a clienttesting.Action) (bool, runtime.Object, error) {
			obj := a.(interface{ GetObject() runtime.Object }).GetObject().DeepCopyObject()
			m, err := meta.Accessor(obj)
			if err != nil {
				return false, nil, err
			}
			m.SetResourceVersion(strconv.FormatInt(rv.Add(1), 10))
			if verb == "create" {
				err = client.Tracker().Create(a.GetResource(), obj, a.GetNamespace())
			} else {
				err = client.Tracker().Update(a.GetResource(), obj, a.GetNamespace())
			}
			return true, obj, err
		})
	}
	f := informers.NewSharedInformerFactory(client, 0)
	p, err := New(testHandle{f: f, client: client})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		f.Shutdown()
	})
	f.Start(ctx.Done())
	for typ, ok := range f.WaitForCacheSync(ctx.Done()) {
		if !ok {
			t.Fatalf("%v informer did not sync", typ)
		}
	}
	return p.(*VolumeBinding), client
}

func node(name string, labels ...string) *corev1.Node {
	n := &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{corev1.LabelHostname: name}}}
	for i := 0; i+1 < len(labels); i += 2 {
		n.Labels[labels[i]] = labels[i+1]
	}
	return n
}

func class(name, provisioner string, mode storagev1.VolumeBindingMode, topologies ...corev1.TopologySelectorTerm) *storagev1.StorageClass {
	return &storagev1.StorageClass{
		ObjectMeta:        metav1.ObjectMeta{Name: name},
		Provisioner:       provisioner,
		VolumeBindingMode: &mode,
		AllowedTopologies: topologies,
	}
}

type claimOpt func(*corev1.PersistentVolumeClaim)

func claim(name, className, size string, opts ...claimOpt) *corev1.PersistentVolumeClaim {
	c := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: k8stypes.UID("uid-" + name), ResourceVersion: "1"},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)}},
		},
		Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending},
	}
	if className != "" {
		c.Spec.StorageClassName = ptr.To(className)
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

func boundTo(pv string) claimOpt {
	return func(c *corev1.PersistentVolumeClaim) {
		c.Spec.VolumeName = pv
		c.Annotations = map[string]string{AnnBindCompleted: "yes"}
		c.Status.Phase = corev1.ClaimBound
	}
}

func selectedNode(n string) claimOpt {
	return func(c *corev1.PersistentVolumeClaim) {
		metav1.SetMetaDataAnnotation(&c.ObjectMeta, AnnSelectedNode, n)
	}
}

type volumeOpt func(*corev1.PersistentVolume)

func volume(name, className, size string, opts ...volumeOpt) *corev1.PersistentVolume {
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name, ResourceVersion: "1"},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:         corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)},
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			StorageClassName: className,
			PersistentVolumeSource: corev1.PersistentVolumeSource{
				Local: &corev1.LocalVolumeSource{Path: "/data/" + name},
			},
		},
		Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeAvailable},
	}
	for _, o := range opts {
		o(pv)
	}
	return pv
}

func onNode(n string) volumeOpt {
	return func(pv *corev1.PersistentVolume) {
		pv.Spec.NodeAffinity = &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
			MatchExpressions: []corev1.NodeSelectorRequirement{{Key: corev1.LabelHostname, Operator: corev1.NodeSelectorOpIn, Values: []string{n}}},
		}}}}
	}
}

func claimedBy(c string) volumeOpt {
	return func(pv *corev1.PersistentVolume) {
		pv.Spec.ClaimRef = &corev1.ObjectReference{Namespace: ns, Name: c, UID: k8stypes.UID("uid-" + c)}
		pv.Status.Phase = corev1.VolumeBound
	}
}

func pod(name string, claims ...string) *corev1.Pod {
	p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: k8stypes.UID("uid-" + name)}}
	p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "config", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}})
	for i, c := range claims {
		p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{
			Name:         "v" + string(rune('0'+i)),
			VolumeSource: corev1.VolumeSource{PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: c}},
		})
	}
	return p
}

func ephemeralPod(name string) *corev1.Pod {
	p := pod(name)
	p.Spec.Volumes = append(p.Spec.Volumes, corev1.Volume{Name: "scratch", VolumeSource: corev1.VolumeSource{Ephemeral: &corev1.EphemeralVolumeSource{}}})
	return p
}

var (
	wffc      = storagev1.VolumeBindingWaitForFirstConsumer
	immediate = storagev1.VolumeBindingImmediate
)

func TestPreFilter(t *testing.T) {
	deleting := claim("deleting", "wait", "1Gi")
	deleting.DeletionTimestamp = &metav1.Time{Time: time.Now()}
	deleting.Finalizers = []string{"kubernetes.io/pvc-protection"}
	lost := claim("lost", "wait", "1Gi", boundTo("gone"))
	lost.Status.Phase = corev1.ClaimLost
	foreign := claim("eph-scratch", "wait", "1Gi")
	owned := claim("owned-scratch", "wait", "1Gi")
	owned.OwnerReferences = []metav1.OwnerReference{{APIVersion: "v1", Kind: "Pod", Name: "owned", UID: "uid-owned", Controller: ptr.To(true)}}
	objects := []runtime.Object{
		class("wait", "example.com/p", wffc), class("now", "example.com/p", immediate),
		claim("wffc", "wait", "1Gi"), claim("imm", "now", "1Gi"), claim("classless", "", "1Gi"),
		claim("no-such-class", "nope", "1Gi"),
		claim("prebound", "wait", "1Gi", func(c *corev1.PersistentVolumeClaim) { c.Spec.VolumeName = "pv-1" }),
		claim("bound", "now", "1Gi", boundTo("pv-bound")), volume("pv-bound", "now", "1Gi", claimedBy("bound")),
		deleting, lost, foreign, owned,
	}
	tests := []struct {
		name     string
		pod      *corev1.Pod
		wantCode framework.Code
		wantMsg  string
	}{
		{name: "no claims", pod: pod("p"), wantCode: framework.Skip},
		{name: "a waiting claim", pod: pod("p", "wffc")},
		{name: "a bound claim", pod: pod("p", "bound")},
		{name: "missing claim", pod: pod("p", "wffc", "missing"), wantCode: framework.UnschedulableAndUnresolvable,
			wantMsg: `persistentvolumeclaim "missing" not found`},
		{name: "claim being deleted", pod: pod("p", "deleting"), wantCode: framework.UnschedulableAndUnresolvable,
			wantMsg: `persistentvolumeclaim "deleting" is being deleted`},
		{name: "lost claim", pod: pod("p", "lost"), wantCode: framework.UnschedulableAndUnresolvable,
			wantMsg: `persistentvolumeclaim "lost" bound to non-existent persistentvolume "gone"`},
		{name: "ephemeral claim not made yet", pod: ephemeralPod("new"), wantCode: framework.UnschedulableAndUnresolvable,
			wantMsg: `waiting for ephemeral volume controller to create the persistentvolumeclaim "new-scratch"`},
		{name: "ephemeral claim of someone else", pod: ephemeralPod("eph"), wantCode: framework.UnschedulableAndUnresolvable,
			wantMsg: "PVC ns/eph-scratch was not created for pod ns/eph (pod is not owner)"},
		{name: "ephemeral claim of the pod", pod: func() *corev1.Pod { p := ephemeralPod("owned"); p.UID = "uid-owned"; return p }()},
		{name: "unbound immediate claim", pod: pod("p", "wffc", "imm"), wantCode: framework.UnschedulableAndUnresolvable,
			wantMsg: ErrReasonUnboundImmediate},
		{name: "claim without a class binds at once", pod: pod("p", "classless"), wantCode: framework.UnschedulableAndUnresolvable,
			wantMsg: ErrReasonUnboundImmediate},
		{name: "claim of a class that does not exist binds at once", pod: pod("p", "no-such-class"), wantCode: framework.UnschedulableAndUnresolvable,
			wantMsg: ErrReasonUnboundImmediate},
		{name: "pre-bound claim is the PV controller's", pod: pod("p", "prebound"), wantCode: framework.UnschedulableAndUnresolvable,
			wantMsg: ErrReasonUnboundImmediate},
	}
	pl, _ := newPlugin(t, objects...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, s := pl.PreFilter(context.Background(), framework.NewCycleState(), tt.pod, nil)
			if s.Code() != tt.wantCode || s.Message() != tt.wantMsg {
				t.Errorf("PreFilter = %v, want %v: %q", s, tt.wantCode, tt.wantMsg)
			}
		})
	}
}

func TestPreFilterWithoutInformers(t *testing.T) {
	p, err := New(nil)
	if err != nil {
		t.Fatal(err)
	}
	pl := p.(*VolumeBinding)
	if _, s := pl.PreFilter(context.Background(), framework.NewCycleState(), pod("p"), nil); !s.IsSkip() {
		t.Errorf("pod without claims: %v, want Skip", s)
	}
	if _, s := pl.PreFilter(context.Background(), framework.NewCycleState(), pod("p", "c"), nil); s.Code() != framework.UnschedulableAndUnresolvable {
		t.Errorf("pod with a claim: %v, want UnschedulableAndUnresolvable", s)
	}
}

// decision summarizes Filter's verdict on a node.
type decision struct {
	Reasons []string
	// Static are "claim=volume" pairs; Provision the claims to provision.
	Static    []string
	Provision []string
}

func filter(t *testing.T, pl *VolumeBinding, p *corev1.Pod, n *corev1.Node) (*framework.CycleState, decision) {
	t.Helper()
	state := framework.NewCycleState()
	if _, s := pl.PreFilter(context.Background(), state, p, nil); !s.IsSuccess() {
		t.Fatalf("PreFilter: %v", s)
	}
	s := pl.Filter(context.Background(), state, p, framework.NewNodeInfo(n))
	if s.Code() == framework.Error {
		t.Fatalf("Filter: %v", s)
	}
	var d decision
	if !s.IsSuccess() {
		if s.Code() != framework.UnschedulableAndUnresolvable {
			t.Errorf("Filter code = %v, want UnschedulableAndUnresolvable", s.Code())
		}
		d.Reasons = s.Reasons()
		return state, d
	}
	sd, _ := getState(state)
	for _, b := range sd.byNode[n.Name].static {
		d.Static = append(d.Static, b.pvc.Name+"="+b.pv.Name)
	}
	for _, c := range sd.byNode[n.Name].provision {
		d.Provision = append(d.Provision, c.Name)
	}
	return state, d
}

func TestFilter(t *testing.T) {
	zone := func(z string) corev1.TopologySelectorTerm {
		return corev1.TopologySelectorTerm{MatchLabelExpressions: []corev1.TopologySelectorLabelRequirement{{Key: "zone", Values: []string{z}}}}
	}
	rwx := func(c *corev1.PersistentVolumeClaim) {
		c.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}
	}
	block := func(c *corev1.PersistentVolumeClaim) { c.Spec.VolumeMode = ptr.To(corev1.PersistentVolumeBlock) }
	fast := func(c *corev1.PersistentVolumeClaim) {
		c.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"speed": "fast"}}
	}
	labelled := func(pv *corev1.PersistentVolume) { pv.Labels = map[string]string{"speed": "fast"} }
	tests := []struct {
		name    string
		objects []runtime.Object
		pod     *corev1.Pod
		node    *corev1.Node
		want    decision
	}{
		{
			name:    "bound volume on the node",
			objects: []runtime.Object{claim("c", "", "1Gi", boundTo("pv")), volume("pv", "", "1Gi", claimedBy("c"), onNode("a"))},
			pod:     pod("p", "c"), node: node("a"),
		},
		{
			name:    "bound volume on another node",
			objects: []runtime.Object{claim("c", "", "1Gi", boundTo("pv")), volume("pv", "", "1Gi", claimedBy("c"), onNode("b"))},
			pod:     pod("p", "c"), node: node("a"),
			want: decision{Reasons: []string{ErrReasonNodeConflict}},
		},
		{
			name:    "bound volume without node affinity",
			objects: []runtime.Object{claim("c", "", "1Gi", boundTo("pv")), volume("pv", "", "1Gi", claimedBy("c"))},
			pod:     pod("p", "c"), node: node("a"),
		},
		{
			name:    "bound volume gone",
			objects: []runtime.Object{claim("c", "", "1Gi", boundTo("pv"))},
			pod:     pod("p", "c"), node: node("a"),
			want: decision{Reasons: []string{ErrReasonPVNotExist}},
		},
		{
			name:    "static volume on the node",
			objects: []runtime.Object{class("local", NotSupportedProvisioner, wffc), claim("c", "local", "1Gi"), volume("pv", "local", "2Gi", onNode("a"))},
			pod:     pod("p", "c"), node: node("a"),
			want: decision{Static: []string{"c=pv"}},
		},
		{
			name:    "static volume on another node and no provisioner",
			objects: []runtime.Object{class("local", NotSupportedProvisioner, wffc), claim("c", "local", "1Gi"), volume("pv", "local", "2Gi", onNode("b"))},
			pod:     pod("p", "c"), node: node("a"),
			want: decision{Reasons: []string{ErrReasonBindConflict}},
		},
		{
			name: "the smallest volume that fits, one per claim",
			objects: []runtime.Object{class("local", NotSupportedProvisioner, wffc),
				claim("big", "local", "3Gi"), claim("small", "local", "1Gi"),
				volume("pv-1", "local", "1Gi"), volume("pv-2", "local", "2Gi"), volume("pv-5", "local", "5Gi"), volume("pv-9", "local", "9Gi")},
			pod: pod("p", "big", "small"), node: node("a"),
			want: decision{Static: []string{"small=pv-1", "big=pv-5"}},
		},
		{
			name: "a volume of another class, too small, not available, of other access modes, volume mode or labels",
			objects: []runtime.Object{class("local", NotSupportedProvisioner, wffc),
				claim("c", "local", "2Gi", rwx, block, fast),
				volume("other-class", "other", "5Gi"), volume("too-small", "local", "1Gi"),
				volume("released", "local", "5Gi", func(pv *corev1.PersistentVolume) { pv.Status.Phase = corev1.VolumeReleased }),
				volume("rwo", "local", "5Gi", labelled, func(pv *corev1.PersistentVolume) { pv.Spec.VolumeMode = ptr.To(corev1.PersistentVolumeBlock) }),
				volume("filesystem", "local", "5Gi", labelled, func(pv *corev1.PersistentVolume) {
					pv.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}
				}),
				volume("unlabelled", "local", "5Gi", func(pv *corev1.PersistentVolume) {
					pv.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}
					pv.Spec.VolumeMode = ptr.To(corev1.PersistentVolumeBlock)
				}),
				volume("taken", "local", "5Gi", claimedBy("someone")),
			},
			pod: pod("p", "c"), node: node("a"),
			want: decision{Reasons: []string{ErrReasonBindConflict}},
		},
		{
			name: "a volume pre-bound to the claim even if not Available",
			objects: []runtime.Object{class("local", NotSupportedProvisioner, wffc), claim("c", "local", "1Gi"),
				volume("mine", "local", "1Gi", claimedBy("c"), onNode("a")), volume("pv", "local", "1Gi", onNode("a"))},
			pod: pod("p", "c"), node: node("a"),
			want: decision{Static: []string{"c=mine"}},
		},
		{
			name: "a volume pre-bound to the claim on another node: none",
			objects: []runtime.Object{class("local", NotSupportedProvisioner, wffc), claim("c", "local", "1Gi"),
				volume("mine", "local", "1Gi", claimedBy("c"), onNode("b")), volume("pv", "local", "1Gi", onNode("a"))},
			pod: pod("p", "c"), node: node("a"),
			want: decision{Reasons: []string{ErrReasonBindConflict}},
		},
		{
			name:    "provisioned",
			objects: []runtime.Object{class("lp", "example.com/lp", wffc), claim("c", "lp", "1Gi")},
			pod:     pod("p", "c"), node: node("a"),
			want: decision{Provision: []string{"c"}},
		},
		{
			name:    "provisioned where a static volume does not fit",
			objects: []runtime.Object{class("lp", "example.com/lp", wffc), claim("c", "lp", "5Gi"), volume("pv", "lp", "1Gi")},
			pod:     pod("p", "c"), node: node("a"),
			want: decision{Provision: []string{"c"}},
		},
		{
			name:    "allowed topologies admit the node",
			objects: []runtime.Object{class("lp", "example.com/lp", wffc, zone("x"), zone("y")), claim("c", "lp", "1Gi")},
			pod:     pod("p", "c"), node: node("a", "zone", "y"),
			want: decision{Provision: []string{"c"}},
		},
		{
			name:    "allowed topologies exclude the node",
			objects: []runtime.Object{class("lp", "example.com/lp", wffc, zone("x")), claim("c", "lp", "1Gi")},
			pod:     pod("p", "c"), node: node("a", "zone", "y"),
			want: decision{Reasons: []string{ErrReasonBindConflict}},
		},
		{
			name:    "being provisioned for this node",
			objects: []runtime.Object{class("lp", "example.com/lp", wffc), claim("c", "lp", "1Gi", selectedNode("a"))},
			pod:     pod("p", "c"), node: node("a"),
			want: decision{Provision: []string{"c"}},
		},
		{
			name:    "being provisioned for another node",
			objects: []runtime.Object{class("lp", "example.com/lp", wffc), claim("c", "lp", "1Gi", selectedNode("b"))},
			pod:     pod("p", "c"), node: node("a"),
			want: decision{Reasons: []string{ErrReasonBindConflict}},
		},
		{
			name: "a bound volume elsewhere and nothing to bind: both reasons",
			objects: []runtime.Object{class("local", NotSupportedProvisioner, wffc),
				claim("b", "", "1Gi", boundTo("pv")), volume("pv", "", "1Gi", claimedBy("b"), onNode("b")), claim("c", "local", "1Gi")},
			pod: pod("p", "b", "c"), node: node("a"),
			want: decision{Reasons: []string{ErrReasonNodeConflict, ErrReasonBindConflict}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			pl, _ := newPlugin(t, tt.objects...)
			_, got := filter(t, pl, tt.pod, tt.node)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("decision (-want +got):\n%s", diff)
			}
		})
	}
}

// eventually polls cond (informers catch up asynchronously).
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(context.Background(), 5*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		return cond(), nil
	}); err != nil {
		t.Fatalf("%s: %v", what, err)
	}
}

// reserve runs PreFilter, Filter on n, Reserve and the preflight.
func reserve(t *testing.T, pl *VolumeBinding, p *corev1.Pod, n *corev1.Node) *framework.CycleState {
	t.Helper()
	state, d := filter(t, pl, p, n)
	if len(d.Reasons) > 0 {
		t.Fatalf("Filter rejected %s: %v", n.Name, d.Reasons)
	}
	if s := pl.Reserve(context.Background(), state, p, n.Name); !s.IsSuccess() {
		t.Fatalf("Reserve: %v", s)
	}
	return state
}

// preBind runs PreBind in the background, the pod assumed on n.
func preBind(pl *VolumeBinding, state *framework.CycleState, p *corev1.Pod, n string) <-chan *framework.Status {
	done := make(chan *framework.Status, 1)
	assumed := p.DeepCopy()
	assumed.Spec.NodeName = n
	go func() { done <- pl.PreBind(context.Background(), state, assumed, n) }()
	return done
}

func TestProvisioningFlow(t *testing.T) {
	p := pod("p", "c")
	pl, client := newPlugin(t, class("lp", "example.com/lp", wffc), claim("c", "lp", "1Gi"), node("a"), node("b"), p)
	ctx := context.Background()
	state := reserve(t, pl, p, node("a"))
	if s := pl.PreBindPreFlight(ctx, state, p, "a"); !s.IsSuccess() {
		t.Fatalf("PreBindPreFlight = %v, want Success", s)
	}
	// The next pod using the claim sees the choice before it is written.
	if _, d := filter(t, pl, pod("q", "c"), node("b")); len(d.Reasons) == 0 {
		t.Errorf("node b accepted a claim assumed for node a")
	}

	done := preBind(pl, state, p, "a")
	eventually(t, "selected-node written", func() bool {
		c, err := client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, "c", metav1.GetOptions{})
		return err == nil && c.Annotations[AnnSelectedNode] == "a"
	})
	select {
	case s := <-done:
		t.Fatalf("PreBind returned %v before the claim was bound", s)
	default:
	}
	// The provisioner and the PV controller do their part.
	pv := volume("pvc-uid-c", "lp", "1Gi", claimedBy("c"), onNode("a"))
	if _, err := client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	c, _ := client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, "c", metav1.GetOptions{})
	boundTo(pv.Name)(c)
	c.Annotations[AnnSelectedNode] = "a"
	c.ResourceVersion = "2"
	if _, err := client.CoreV1().PersistentVolumeClaims(ns).Update(ctx, c, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if s := <-done; !s.IsSuccess() {
		t.Fatalf("PreBind = %v", s)
	}
}

func TestStaticBindingFlow(t *testing.T) {
	p := pod("p", "c")
	pl, client := newPlugin(t, class("local", NotSupportedProvisioner, wffc), claim("c", "local", "1Gi"), claim("d", "local", "1Gi"),
		volume("pv", "local", "1Gi", onNode("a")), node("a"), p)
	ctx := context.Background()
	state := reserve(t, pl, p, node("a"))
	// Another claim does not get the volume assumed for this one.
	if _, d := filter(t, pl, pod("q", "d"), node("a")); len(d.Reasons) == 0 {
		t.Errorf("an assumed volume was offered to another claim: %+v", d)
	}
	// Unreserve gives it back; Reserve takes it again.
	pl.Unreserve(ctx, state, p, "a")
	if _, d := filter(t, pl, pod("q", "d"), node("a")); len(d.Reasons) > 0 {
		t.Errorf("an unreserved volume was not offered: %v", d.Reasons)
	}
	state = reserve(t, pl, p, node("a"))

	done := preBind(pl, state, p, "a")
	eventually(t, "claimRef written", func() bool {
		pv, err := client.CoreV1().PersistentVolumes().Get(ctx, "pv", metav1.GetOptions{})
		return err == nil && pv.Spec.ClaimRef != nil && pv.Spec.ClaimRef.UID == "uid-c" && pv.Annotations[AnnBoundByController] == "yes"
	})
	c, _ := client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, "c", metav1.GetOptions{})
	boundTo("pv")(c)
	c.ResourceVersion = "2"
	if _, err := client.CoreV1().PersistentVolumeClaims(ns).Update(ctx, c, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	if s := <-done; !s.IsSuccess() {
		t.Fatalf("PreBind = %v", s)
	}
}

func TestPreBindFailures(t *testing.T) {
	tests := []struct {
		name string
		// act is what goes wrong once the claim is annotated.
		act     func(ctx context.Context, client kubernetes.Interface) error
		timeout time.Duration
		want    string
	}{
		{
			name: "the provisioner gives up",
			act: func(ctx context.Context, client kubernetes.Interface) error {
				c, err := client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, "c", metav1.GetOptions{})
				if err != nil {
					return err
				}
				delete(c.Annotations, AnnSelectedNode)
				c.Annotations["x"] = "y"
				c.ResourceVersion = "3"
				_, err = client.CoreV1().PersistentVolumeClaims(ns).Update(ctx, c, metav1.UpdateOptions{})
				return err
			},
			want: `binding volumes: provisioning failed for PVC "c"`,
		},
		{
			name: "the pod is deleted",
			act: func(ctx context.Context, client kubernetes.Interface) error {
				return client.CoreV1().Pods(ns).Delete(ctx, "p", metav1.DeleteOptions{})
			},
			want: `binding volumes: pod does not exist any more: pod "p" not found`,
		},
		{
			name:    "nobody binds the claim",
			timeout: 50 * time.Millisecond,
			want:    "binding volumes: context deadline exceeded",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p := pod("p", "c")
			pl, client := newPlugin(t, class("lp", "example.com/lp", wffc), claim("c", "lp", "1Gi"), node("a"), p)
			if tt.timeout > 0 {
				pl.bindTimeout = tt.timeout
			}
			ctx := context.Background()
			state := reserve(t, pl, p, node("a"))
			done := preBind(pl, state, p, "a")
			if tt.act != nil {
				eventually(t, "selected-node written", func() bool {
					c, _ := pl.pvcs.GetAPIObj(ns + "/c")
					return c != nil && c.Annotations[AnnSelectedNode] == "a"
				})
				if err := tt.act(ctx, client); err != nil {
					t.Fatal(err)
				}
			}
			s := <-done
			if s.Code() != framework.Error || s.Message() != tt.want {
				t.Errorf("PreBind = %v, want Error: %q", s, tt.want)
			}
		})
	}
}

func TestReserveAllBound(t *testing.T) {
	p := pod("p", "c")
	pl, _ := newPlugin(t, claim("c", "", "1Gi", boundTo("pv")), volume("pv", "", "1Gi", claimedBy("c")), node("a"))
	state := reserve(t, pl, p, node("a"))
	if s := pl.PreBindPreFlight(context.Background(), state, p, "a"); !s.IsSkip() {
		t.Errorf("PreBindPreFlight = %v, want Skip", s)
	}
}

func TestQueueingHints(t *testing.T) {
	logger := klog.Background()
	p := pod("p", "c")
	tests := []struct {
		name     string
		fn       framework.QueueingHintFn
		old, new any
		want     framework.QueueingHint
	}{
		{name: "the pod's claim", fn: isSchedulableAfterClaimChange, new: claim("c", "", "1Gi"), want: framework.Queue},
		{name: "another claim", fn: isSchedulableAfterClaimChange, new: claim("d", "", "1Gi"), want: framework.QueueSkip},
		{name: "a claim of that name elsewhere", fn: isSchedulableAfterClaimChange,
			new: func() *corev1.PersistentVolumeClaim { c := claim("c", "", "1Gi"); c.Namespace = "other"; return c }(), want: framework.QueueSkip},
		{name: "a new class", fn: isSchedulableAfterStorageClassChange, new: class("x", "p", wffc), want: framework.Queue},
		{name: "a class's topologies changed", fn: isSchedulableAfterStorageClassChange, old: class("x", "p", wffc),
			new: class("x", "p", wffc, corev1.TopologySelectorTerm{}), want: framework.Queue},
		{name: "a class's parameters changed", fn: isSchedulableAfterStorageClassChange, old: class("x", "p", wffc),
			new: func() *storagev1.StorageClass {
				c := class("x", "p", wffc)
				c.Parameters = map[string]string{"a": "b"}
				return c
			}(), want: framework.QueueSkip},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := tt.fn(logger, p, tt.old, tt.new)
			if err != nil {
				t.Fatal(err)
			}
			if got != tt.want {
				t.Errorf("hint = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestAssumeCache(t *testing.T) {
	store := map[string]*corev1.PersistentVolume{"pv": volume("pv", "", "1Gi")}
	c := newAssumeCache(func(key string) (*corev1.PersistentVolume, error) {
		if pv, ok := store[key]; ok {
			return pv, nil
		}
		return nil, errNotFound(key)
	})
	assumed := store["pv"].DeepCopy()
	assumed.Spec.StorageClassName = "assumed"
	if err := c.Assume("pv", assumed); err != nil {
		t.Fatal(err)
	}
	class := func() string {
		pv, err := c.Get("pv")
		if err != nil {
			return "error: " + err.Error()
		}
		return pv.Spec.StorageClassName
	}
	var got []string
	got = append(got, class())
	// The informer sees a newer version: it wins.
	newer := store["pv"].DeepCopy()
	newer.ResourceVersion = "2"
	store["pv"] = newer
	got = append(got, class())
	// Assuming from a version older than the informer's fails.
	err := c.Assume("pv", assumed)
	got = append(got, strings.SplitN(errString(err), ":", 2)[0])
	assumed = newer.DeepCopy()
	assumed.Spec.StorageClassName = "again"
	if err := c.Assume("pv", assumed); err != nil {
		t.Fatal(err)
	}
	got = append(got, class())
	c.Restore("pv")
	got = append(got, class())
	if diff := cmp.Diff([]string{"assumed", "", `"pv" is out of sync with the cache`, "again", ""}, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

type errNotFound string

func (e errNotFound) Error() string { return string(e) + " not found" }

func errString(err error) string {
	if err == nil {
		return "<nil>"
	}
	return err.Error()
}
