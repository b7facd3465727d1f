package persistentvolume

import (
	"context"
	"fmt"
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	"k8s.io/client-go/tools/record"
	storagehelpers "k8s.io/component-helpers/storage/volume"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

// The harness runs one sync against a fake API: the informers hold the
// initial objects, the controller's caches are initialized from them as in
// Run, and the test compares what the fake API holds afterwards.

const ns = "default"

type world struct {
	volumes []*corev1.PersistentVolume
	claims  []*corev1.PersistentVolumeClaim
	classes []*storagev1.StorageClass
	pods    []*corev1.Pod
}

type harness struct {
	t        *testing.T
	client   *fake.Clientset
	factory  informers.SharedInformerFactory
	ctrl     *Controller
	recorder *record.FakeRecorder
}

func newHarness(t *testing.T, w world) *harness {
	t.Helper()
	var objs []runtime.Object
	for _, o := range w.volumes {
		objs = append(objs, o)
	}
	for _, o := range w.claims {
		objs = append(objs, o)
	}
	for _, o := range w.classes {
		objs = append(objs, o)
	}
	for _, o := range w.pods {
		objs = append(objs, o)
	}
	client := fake.NewClientset(objs...)
	factory := informers.NewSharedInformerFactory(client, 0)
	recorder := record.NewFakeRecorder(100)
	ctrl, err := newController(client, factory.Core().V1().PersistentVolumes(), factory.Core().V1().PersistentVolumeClaims(),
		factory.Storage().V1().StorageClasses(), factory.Core().V1().Pods(), recorder, DefaultResyncPeriod)
	if err != nil {
		t.Fatal(err)
	}
	add := func(indexer interface{ Add(any) error }, obj any) {
		if err := indexer.Add(obj); err != nil {
			t.Fatal(err)
		}
	}
	for _, o := range w.volumes {
		add(factory.Core().V1().PersistentVolumes().Informer().GetIndexer(), o)
	}
	for _, o := range w.claims {
		add(factory.Core().V1().PersistentVolumeClaims().Informer().GetIndexer(), o)
	}
	for _, o := range w.classes {
		add(factory.Storage().V1().StorageClasses().Informer().GetIndexer(), o)
	}
	for _, o := range w.pods {
		add(factory.Core().V1().Pods().Informer().GetIndexer(), o)
	}
	ctrl.initializeCaches(klog.Background())
	return &harness{t: t, client: client, factory: factory, ctrl: ctrl, recorder: recorder}
}

func (h *harness) syncClaim(name string) error {
	_, err := h.ctrl.syncClaimKey(context.Background(), ns+"/"+name)
	return err
}

func (h *harness) syncVolume(name string) error {
	_, err := h.ctrl.syncVolumeKey(context.Background(), name)
	return err
}

// events drains the recorded events as "Type Reason Message".
func (h *harness) events() []string {
	var out []string
	for {
		select {
		case e := <-h.recorder.Events:
			out = append(out, e)
		default:
			return out
		}
	}
}

// volumeState and claimState are what a test compares.
type volumeState struct {
	Phase       corev1.PersistentVolumePhase
	Message     string
	ClaimRef    string
	Annotations map[string]string
}

type claimState struct {
	Phase       corev1.PersistentVolumeClaimPhase
	VolumeName  string
	Class       string
	Capacity    string
	AccessModes []corev1.PersistentVolumeAccessMode
	Annotations map[string]string
}

func (h *harness) volumes() map[string]volumeState {
	list, err := h.client.CoreV1().PersistentVolumes().List(context.Background(), metav1.ListOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[string]volumeState{}
	for _, v := range list.Items {
		ref := ""
		if r := v.Spec.ClaimRef; r != nil {
			ref = fmt.Sprintf("%s/%s/%s", r.Namespace, r.Name, r.UID)
		}
		out[v.Name] = volumeState{Phase: v.Status.Phase, Message: v.Status.Message, ClaimRef: ref, Annotations: v.Annotations}
	}
	return out
}

func (h *harness) claims() map[string]claimState {
	list, err := h.client.CoreV1().PersistentVolumeClaims(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		h.t.Fatal(err)
	}
	out := map[string]claimState{}
	for _, c := range list.Items {
		s := claimState{Phase: c.Status.Phase, VolumeName: c.Spec.VolumeName, Class: ptr.Deref(c.Spec.StorageClassName, "<nil>"),
			AccessModes: c.Status.AccessModes, Annotations: c.Annotations}
		if q, ok := c.Status.Capacity[corev1.ResourceStorage]; ok {
			s.Capacity = q.String()
		}
		out[c.Name] = s
	}
	return out
}

// Builders.

type volumeOpt func(*corev1.PersistentVolume)

func volume(name, size string, opts ...volumeOpt) *corev1.PersistentVolume {
	v := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{Name: name, ResourceVersion: "1"},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)},
			AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
			VolumeMode:                    ptr.To(corev1.PersistentVolumeFilesystem),
			PersistentVolumeSource:        corev1.PersistentVolumeSource{Local: &corev1.LocalVolumeSource{Path: "/mnt/" + name}},
		},
		Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeAvailable},
	}
	for _, o := range opts {
		o(v)
	}
	return v
}

func volumeModes(modes ...corev1.PersistentVolumeAccessMode) volumeOpt {
	return func(v *corev1.PersistentVolume) { v.Spec.AccessModes = modes }
}

func volumeClass(class string) volumeOpt {
	return func(v *corev1.PersistentVolume) { v.Spec.StorageClassName = class }
}

func volumeLabels(l map[string]string) volumeOpt {
	return func(v *corev1.PersistentVolume) { v.Labels = l }
}

func volumePhase(p corev1.PersistentVolumePhase) volumeOpt {
	return func(v *corev1.PersistentVolume) { v.Status.Phase = p }
}

func volumeBlock(v *corev1.PersistentVolume) {
	v.Spec.VolumeMode = ptr.To(corev1.PersistentVolumeBlock)
}

func reclaim(p corev1.PersistentVolumeReclaimPolicy) volumeOpt {
	return func(v *corev1.PersistentVolume) { v.Spec.PersistentVolumeReclaimPolicy = p }
}

func hostPath(path string) volumeOpt {
	return func(v *corev1.PersistentVolume) {
		v.Spec.PersistentVolumeSource = corev1.PersistentVolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: path}}
	}
}

func volumeAnnotations(kv ...string) volumeOpt {
	return func(v *corev1.PersistentVolume) { v.Annotations = pairs(kv...) }
}

// claimRef points the volume at a claim; uid "" is a pre-binding.
func claimRef(name, uid string) volumeOpt {
	return func(v *corev1.PersistentVolume) {
		v.Spec.ClaimRef = &corev1.ObjectReference{Kind: "PersistentVolumeClaim", APIVersion: "v1", Namespace: ns, Name: name, UID: types.UID(uid)}
	}
}

type claimOpt func(*corev1.PersistentVolumeClaim)

func claim(name, size string, opts ...claimOpt) *corev1.PersistentVolumeClaim {
	c := &corev1.PersistentVolumeClaim{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, UID: types.UID("uid-" + name), ResourceVersion: "1"},
		Spec: corev1.PersistentVolumeClaimSpec{
			AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
			Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse(size)}},
			VolumeMode:  ptr.To(corev1.PersistentVolumeFilesystem),
			// The tests' claims ask for "no class" unless they say.
			StorageClassName: ptr.To(""),
		},
		Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending},
	}
	for _, o := range opts {
		o(c)
	}
	return c
}

func claimModes(modes ...corev1.PersistentVolumeAccessMode) claimOpt {
	return func(c *corev1.PersistentVolumeClaim) { c.Spec.AccessModes = modes }
}

func claimClass(class string) claimOpt {
	return func(c *corev1.PersistentVolumeClaim) { c.Spec.StorageClassName = &class }
}

func noClass(c *corev1.PersistentVolumeClaim) { c.Spec.StorageClassName = nil }

func claimBlock(c *corev1.PersistentVolumeClaim) {
	c.Spec.VolumeMode = ptr.To(corev1.PersistentVolumeBlock)
}

func selector(l map[string]string) claimOpt {
	return func(c *corev1.PersistentVolumeClaim) { c.Spec.Selector = &metav1.LabelSelector{MatchLabels: l} }
}

func volumeName(name string) claimOpt {
	return func(c *corev1.PersistentVolumeClaim) { c.Spec.VolumeName = name }
}

func claimAnnotations(kv ...string) claimOpt {
	return func(c *corev1.PersistentVolumeClaim) { c.Annotations = pairs(kv...) }
}

// bound makes a claim that completed binding to volume.
func bound(volume string) claimOpt {
	return func(c *corev1.PersistentVolumeClaim) {
		c.Spec.VolumeName = volume
		c.Annotations = pairs(storagehelpers.AnnBindCompleted, "yes", storagehelpers.AnnBoundByController, "yes")
		c.Status.Phase = corev1.ClaimBound
	}
}

func class(name, provisioner string, mode storagev1.VolumeBindingMode, annotations ...string) *storagev1.StorageClass {
	return &storagev1.StorageClass{
		ObjectMeta:        metav1.ObjectMeta{Name: name, ResourceVersion: "1", Annotations: pairs(annotations...)},
		Provisioner:       provisioner,
		ReclaimPolicy:     ptr.To(corev1.PersistentVolumeReclaimDelete),
		VolumeBindingMode: &mode,
	}
}

func pod(name, claimName, node string) *corev1.Pod {
	return &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: ns, ResourceVersion: "1"},
		Spec: corev1.PodSpec{NodeName: node, Volumes: []corev1.Volume{{Name: "data", VolumeSource: corev1.VolumeSource{
			PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: claimName}}}}},
	}
}

func pairs(kv ...string) map[string]string {
	if len(kv) == 0 {
		return nil
	}
	m := map[string]string{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[kv[i]] = kv[i+1]
	}
	return m
}

// modes abbreviates a list of access modes for readable wants.
func modes(m ...corev1.PersistentVolumeAccessMode) []corev1.PersistentVolumeAccessMode { return m }

var rwo = corev1.ReadWriteOnce
