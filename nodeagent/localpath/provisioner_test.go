package localpath

import (
	"context"
	"os"
	"path/filepath"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	k8stypes "k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"
	"k8s.io/utils/ptr"
)

const (
	ns       = "ns"
	thisNode = "node-a"
)

type env struct {
	p        *Provisioner
	client   *fake.Clientset
	recorder *record.FakeRecorder
	root     string
}

// newEnv builds a provisioner for thisNode over a fake clientset holding
// objects, its informers synced, its root a temporary directory.
func newEnv(t *testing.T, objects ...runtime.Object) *env {
	t.Helper()
	client := fake.NewClientset(objects...)
	recorder := record.NewFakeRecorder(100)
	root := filepath.Join(t.TempDir(), "storage")
	p, err := New(Config{Client: client, NodeName: thisNode, Root: root, Recorder: recorder})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(func() {
		cancel()
		p.informers.Shutdown()
	})
	p.informers.Start(ctx.Done())
	for typ, ok := range p.informers.WaitForCacheSync(ctx.Done()) {
		if !ok {
			t.Fatalf("%v informer did not sync", typ)
		}
	}
	return &env{p: p, client: client, recorder: recorder, root: root}
}

func (e *env) events() []string {
	var out []string
	for {
		select {
		case ev := <-e.recorder.Events:
			out = append(out, ev)
		default:
			return out
		}
	}
}

func (e *env) volumes(t *testing.T) []corev1.PersistentVolume {
	t.Helper()
	l, err := e.client.CoreV1().PersistentVolumes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for i := range l.Items {
		// The fake's bookkeeping.
		l.Items[i].ManagedFields = nil
		l.Items[i].TypeMeta = metav1.TypeMeta{}
	}
	return l.Items
}

func node(name string) *corev1.Node {
	return &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: name, Labels: map[string]string{corev1.LabelHostname: name + "-host"}}}
}

func class(name, provisioner string, mode storagev1.VolumeBindingMode) *storagev1.StorageClass {
	return &storagev1.StorageClass{
		ObjectMeta:        metav1.ObjectMeta{Name: name},
		Provisioner:       provisioner,
		VolumeBindingMode: &mode,
		ReclaimPolicy:     ptr.To(corev1.PersistentVolumeReclaimDelete),
	}
}

type claimOpt func(*corev1.PersistentVolumeClaim)

// claim is a claim of class "lp" the PV controller handed to provisioner
// for a pod the scheduler put on selected ("" for none).
func claim(name, provisioner, selected string, opts ...claimOpt) *corev1.PersistentVolumeClaim {
	c := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, UID: k8stypes.UID("uid-" + name), ResourceVersion: "7", Annotations: map[string]string{}},
		Spec: corev1.PersistentVolumeClaimSpec{
			StorageClassName: ptr.To("lp"),
			AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:        corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("2Gi")}},
		},
	}
	if provisioner != "" {
		c.Annotations[annStorageProvisioner] = provisioner
		c.Annotations[annBetaStorageProvisioner] = provisioner
	}
	if selected != "" {
		c.Annotations[annSelectedNode] = selected
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

var (
	wffc      = class("lp", Name, storagev1.VolumeBindingWaitForFirstConsumer)
	immediate = class("lp", Name, storagev1.VolumeBindingImmediate)
)

func TestProvision(t *testing.T) {
	retain := class("lp", Name, storagev1.VolumeBindingWaitForFirstConsumer)
	retain.ReclaimPolicy = ptr.To(corev1.PersistentVolumeReclaimRetain)
	retain.MountOptions = []string{"noatime"}
	tests := []struct {
		name    string
		objects []runtime.Object
		claim   *corev1.PersistentVolumeClaim
		// wantVolume: the claim gets a volume; wantEvents are the claim's.
		wantVolume  bool
		wantReclaim corev1.PersistentVolumeReclaimPolicy
		wantMount   []string
		wantEvents  []string
	}{
		{
			name:        "selected for this node",
			objects:     []runtime.Object{wffc, node(thisNode), node("node-b")},
			claim:       claim("c", Name, thisNode),
			wantVolume:  true,
			wantReclaim: corev1.PersistentVolumeReclaimDelete,
			wantEvents: []string{
				`Normal Provisioning External provisioner is provisioning volume for claim "ns/c"`,
				"Normal ProvisioningSucceeded Successfully provisioned volume pvc-uid-c",
			},
		},
		{
			name:        "the class's reclaim policy and mount options",
			objects:     []runtime.Object{retain, node(thisNode)},
			claim:       claim("c", Name, thisNode),
			wantVolume:  true,
			wantReclaim: corev1.PersistentVolumeReclaimRetain,
			wantMount:   []string{"noatime"},
			wantEvents: []string{
				`Normal Provisioning External provisioner is provisioning volume for claim "ns/c"`,
				"Normal ProvisioningSucceeded Successfully provisioned volume pvc-uid-c",
			},
		},
		{
			name:    "selected for another node",
			objects: []runtime.Object{wffc, node(thisNode), node("node-b")},
			claim:   claim("c", Name, "node-b"),
		},
		{
			name:    "not handed to a provisioner yet",
			objects: []runtime.Object{wffc, node(thisNode)},
			claim:   claim("c", "", thisNode),
		},
		{
			name:    "handed to another provisioner",
			objects: []runtime.Object{wffc, node(thisNode)},
			claim:   claim("c", "example.com/other", thisNode),
		},
		{
			name:    "waiting for the scheduler",
			objects: []runtime.Object{wffc, node(thisNode)},
			claim:   claim("c", Name, ""),
		},
		{
			name:    "bound already",
			objects: []runtime.Object{wffc, node(thisNode)},
			claim:   claim("c", Name, thisNode, func(c *corev1.PersistentVolumeClaim) { c.Spec.VolumeName = "pv-x" }),
		},
		{
			name:        "immediate on the only node",
			objects:     []runtime.Object{immediate, node(thisNode)},
			claim:       claim("c", Name, ""),
			wantVolume:  true,
			wantReclaim: corev1.PersistentVolumeReclaimDelete,
			wantEvents: []string{
				`Normal Provisioning External provisioner is provisioning volume for claim "ns/c"`,
				"Normal ProvisioningSucceeded Successfully provisioned volume pvc-uid-c",
			},
		},
		{
			name:    "immediate with several nodes, reported by the first",
			objects: []runtime.Object{immediate, node(thisNode), node("node-b")},
			claim:   claim("c", Name, ""),
			wantEvents: []string{
				`Warning ProvisioningFailed failed to provision volume with StorageClass "lp": kubeshim.io/local-path provisions a directory on one node and the cluster has 2 nodes, so it cannot tell where the claim's pod will run; use a StorageClass with volumeBindingMode WaitForFirstConsumer`,
			},
		},
		{
			name:    "immediate with several nodes, not the first",
			objects: []runtime.Object{immediate, node(thisNode), node("node-0")},
			claim:   claim("c", Name, ""),
		},
		{
			name:    "a selector",
			objects: []runtime.Object{wffc, node(thisNode)},
			claim: claim("c", Name, thisNode, func(c *corev1.PersistentVolumeClaim) {
				c.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"a": "b"}}
			}),
			wantEvents: []string{`Warning ProvisioningFailed failed to provision volume with StorageClass "lp": claim Selector is not supported`},
		},
		{
			name:    "ReadWriteMany",
			objects: []runtime.Object{wffc, node(thisNode)},
			claim: claim("c", Name, thisNode, func(c *corev1.PersistentVolumeClaim) {
				c.Spec.AccessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany}
			}),
			wantEvents: []string{`Warning ProvisioningFailed failed to provision volume with StorageClass "lp": NodePath only supports ReadWriteOnce and ReadWriteOncePod access modes`},
		},
		{
			name:    "a block volume",
			objects: []runtime.Object{wffc, node(thisNode)},
			claim: claim("c", Name, thisNode, func(c *corev1.PersistentVolumeClaim) {
				c.Spec.VolumeMode = ptr.To(corev1.PersistentVolumeBlock)
			}),
			wantEvents: []string{`Warning ProvisioningFailed failed to provision volume with StorageClass "lp": volumeMode Block is not supported, only Filesystem`},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, append(tt.objects, tt.claim)...)
			if err := e.p.syncClaim(context.Background(), ns, tt.claim.Name); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantEvents, e.events()); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			vols := e.volumes(t)
			if !tt.wantVolume {
				if len(vols) > 0 {
					t.Errorf("volumes made: %v", vols)
				}
				return
			}
			dir := filepath.Join(e.root, "pvc-uid-c_ns_c")
			want := corev1.PersistentVolume{
				ObjectMeta: metav1.ObjectMeta{Name: "pvc-uid-c", Annotations: map[string]string{annProvisionedBy: Name}},
				Spec: corev1.PersistentVolumeSpec{
					Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("2Gi")},
					AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
					PersistentVolumeReclaimPolicy: tt.wantReclaim,
					StorageClassName:              "lp",
					MountOptions:                  tt.wantMount,
					VolumeMode:                    ptr.To(corev1.PersistentVolumeFilesystem),
					ClaimRef:                      &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: ns, Name: "c", UID: "uid-c", ResourceVersion: "7"},
					PersistentVolumeSource:        corev1.PersistentVolumeSource{Local: &corev1.LocalVolumeSource{Path: dir}},
					NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
						MatchExpressions: []corev1.NodeSelectorRequirement{{Key: corev1.LabelHostname, Operator: corev1.NodeSelectorOpIn, Values: []string{"node-a-host"}}},
					}}}},
				},
			}
			if diff := cmp.Diff([]corev1.PersistentVolume{want}, vols); diff != "" {
				t.Errorf("volumes (-want +got):\n%s", diff)
			}
			fi, err := os.Stat(dir)
			if err != nil {
				t.Fatal(err)
			}
			if !fi.IsDir() || fi.Mode().Perm() != 0o777 {
				t.Errorf("%s: mode %v, want a directory with mode 0777", dir, fi.Mode())
			}
		})
	}
}

// TestProvisionIsIdempotent: a sync that runs again, or after a restart
// that interrupted it, finishes the job once.
func TestProvisionIsIdempotent(t *testing.T) {
	tests := []struct {
		name   string
		before func(e *env)
		// wantEvents of the second sync.
		wantEvents []string
	}{
		{name: "synced twice"},
		{
			name: "directory made, volume not",
			before: func(e *env) {
				if err := e.client.CoreV1().PersistentVolumes().Delete(context.Background(), "pvc-uid-c", metav1.DeleteOptions{}); err != nil {
					panic(err)
				}
			},
			wantEvents: []string{
				`Normal Provisioning External provisioner is provisioning volume for claim "ns/c"`,
				"Normal ProvisioningSucceeded Successfully provisioned volume pvc-uid-c",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, wffc, node(thisNode), claim("c", Name, thisNode))
			ctx := context.Background()
			if err := e.p.syncClaim(ctx, ns, "c"); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(filepath.Join(e.root, "pvc-uid-c_ns_c", "data"), []byte("kept"), 0o644); err != nil {
				t.Fatal(err)
			}
			// The informer sees the volume (or its deletion).
			if tt.before != nil {
				tt.before(e)
			}
			waitFor(t, func() bool {
				_, err := e.p.volumes.Get("pvc-uid-c")
				return (err == nil) == (tt.before == nil)
			})
			e.events()
			if err := e.p.syncClaim(ctx, ns, "c"); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantEvents, e.events()); diff != "" {
				t.Errorf("events (-want +got):\n%s", diff)
			}
			if n := len(e.volumes(t)); n != 1 {
				t.Errorf("%d volumes, want 1", n)
			}
			if b, err := os.ReadFile(filepath.Join(e.root, "pvc-uid-c_ns_c", "data")); err != nil || string(b) != "kept" {
				t.Errorf("the volume's data: %q, %v; want it kept", b, err)
			}
		})
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	if err := wait.PollUntilContextTimeout(context.Background(), 5*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		return cond(), nil
	}); err != nil {
		t.Fatal(err)
	}
}

func TestDelete(t *testing.T) {
	type volumeOpt func(*corev1.PersistentVolume)
	tests := []struct {
		name        string
		opt         volumeOpt
		wantDeleted bool
	}{
		{name: "released, reclaim Delete", wantDeleted: true},
		{name: "released, reclaim Retain", opt: func(pv *corev1.PersistentVolume) {
			pv.Spec.PersistentVolumeReclaimPolicy = corev1.PersistentVolumeReclaimRetain
		}},
		{name: "bound", opt: func(pv *corev1.PersistentVolume) { pv.Status.Phase = corev1.VolumeBound }},
		{name: "another node's", opt: func(pv *corev1.PersistentVolume) {
			pv.Spec.NodeAffinity.Required.NodeSelectorTerms[0].MatchExpressions[0].Values = []string{"node-b-host"}
		}},
		{name: "another provisioner's", opt: func(pv *corev1.PersistentVolume) { pv.Annotations[annProvisionedBy] = "example.com/other" }},
		{name: "a path outside the root", opt: func(pv *corev1.PersistentVolume) {
			pv.Spec.Local.Path = filepath.Dir(filepath.Dir(pv.Spec.Local.Path)) + "/pvc-uid-c_ns_c"
		}},
		{name: "a path not named after the volume", opt: func(pv *corev1.PersistentVolume) {
			pv.Spec.Local.Path = filepath.Dir(pv.Spec.Local.Path) + "/other"
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t, wffc, node(thisNode), claim("c", Name, thisNode))
			ctx := context.Background()
			if err := e.p.syncClaim(ctx, ns, "c"); err != nil {
				t.Fatal(err)
			}
			pv, err := e.client.CoreV1().PersistentVolumes().Get(ctx, "pvc-uid-c", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			// Every candidate path exists, so that removing the wrong
			// one shows.
			pv.Status.Phase = corev1.VolumeReleased
			if tt.opt != nil {
				tt.opt(pv)
			}
			dir := pv.Spec.Local.Path
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			if _, err := e.client.CoreV1().PersistentVolumes().Update(ctx, pv, metav1.UpdateOptions{}); err != nil {
				t.Fatal(err)
			}
			waitFor(t, func() bool {
				got, err := e.p.volumes.Get(pv.Name)
				return err == nil && got.Status.Phase == pv.Status.Phase && got.Spec.Local.Path == dir
			})
			if err := e.p.syncVolume(ctx, pv.Name); err != nil {
				t.Fatal(err)
			}
			_, err = e.client.CoreV1().PersistentVolumes().Get(ctx, pv.Name, metav1.GetOptions{})
			gone := apierrors.IsNotFound(err)
			_, statErr := os.Stat(dir)
			dirGone := os.IsNotExist(statErr)
			if gone != tt.wantDeleted || dirGone != tt.wantDeleted {
				t.Errorf("volume deleted: %v, directory removed: %v; want %v", gone, dirGone, tt.wantDeleted)
			}
		})
	}
}

// TestRun: the running provisioner picks up a claim as the PV controller
// hands it over, and deletes its volume once released.
func TestRun(t *testing.T) {
	client := fake.NewClientset(wffc, node(thisNode))
	root := t.TempDir()
	p, err := New(Config{Client: client, NodeName: thisNode, Root: root, Recorder: record.NewFakeRecorder(100)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- p.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	c := claim("c", "", thisNode)
	if _, err := client.CoreV1().PersistentVolumeClaims(ns).Create(ctx, c, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	c.Annotations[annStorageProvisioner] = Name
	if _, err := client.CoreV1().PersistentVolumeClaims(ns).Update(ctx, c, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	var pv *corev1.PersistentVolume
	waitFor(t, func() bool {
		pv, err = client.CoreV1().PersistentVolumes().Get(ctx, "pvc-uid-c", metav1.GetOptions{})
		return err == nil
	})
	entries, _ := os.ReadDir(root)
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	sort.Strings(names)
	if diff := cmp.Diff([]string{"pvc-uid-c_ns_c"}, names); diff != "" {
		t.Errorf("directories (-want +got):\n%s", diff)
	}
	pv.Status.Phase = corev1.VolumeReleased
	if _, err := client.CoreV1().PersistentVolumes().UpdateStatus(ctx, pv, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, func() bool {
		_, err := client.CoreV1().PersistentVolumes().Get(ctx, "pvc-uid-c", metav1.GetOptions{})
		_, statErr := os.Stat(pv.Spec.Local.Path)
		return apierrors.IsNotFound(err) && os.IsNotExist(statErr)
	})
}
