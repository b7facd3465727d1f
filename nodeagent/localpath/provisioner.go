package localpath

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	typedcorev1 "k8s.io/client-go/kubernetes/typed/core/v1"
	corelisters "k8s.io/client-go/listers/core/v1"
	storagelisters "k8s.io/client-go/listers/storage/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/controllers/queue"
)

const (
	// Name is the provisioner's name, in StorageClasses' provisioner.
	Name = "kubeshim.io/local-path"

	// The annotations of the provisioning protocol.
	annSelectedNode           = "volume.kubernetes.io/selected-node"
	annStorageProvisioner     = "volume.kubernetes.io/storage-provisioner"
	annBetaStorageProvisioner = "volume.beta.kubernetes.io/storage-provisioner"
	annProvisionedBy          = "pv.kubernetes.io/provisioned-by"

	// Event reasons, as external provisioners give them.
	reasonProvisioning          = "Provisioning"
	reasonProvisioningSucceeded = "ProvisioningSucceeded"
	reasonProvisioningFailed    = "ProvisioningFailed"
	reasonVolumeFailedDelete    = "VolumeFailedDelete"

	// dirMode is what k3s's provisioner makes volume directories with:
	// any pod user may write.
	dirMode = 0o777

	claimPrefix  = "claim:"
	volumePrefix = "volume:"
)

// Config configures a Provisioner.
type Config struct {
	// Client reads claims, classes, nodes and volumes, creates and deletes
	// volumes, and writes events.
	Client kubernetes.Interface
	// NodeName is the node this agent runs.
	NodeName string
	// Root is where volume directories go: <data-dir>/storage.
	Root string
	// Recorder records the claims' events; nil records them through
	// Client as kubeshim.io/local-path_<node>.
	Recorder record.EventRecorder
}

// Provisioner provisions and deletes the node's local-path volumes.
type Provisioner struct {
	client   kubernetes.Interface
	node     string
	root     string
	recorder record.EventRecorder
	// broadcaster is set when the provisioner made its own recorder.
	broadcaster record.EventBroadcaster

	informers informers.SharedInformerFactory
	claims    corelisters.PersistentVolumeClaimLister
	volumes   corelisters.PersistentVolumeLister
	classes   storagelisters.StorageClassLister
	nodes     corelisters.NodeLister
	synced    []cache.InformerSynced
	queue     *queue.Queue
}

// New builds a provisioner; Run starts it.
func New(c Config) (*Provisioner, error) {
	if c.Client == nil || c.NodeName == "" || c.Root == "" {
		return nil, errors.New("local-path provisioner needs a client, a node name and a root directory")
	}
	root, err := filepath.Abs(c.Root)
	if err != nil {
		return nil, fmt.Errorf("local-path root: %w", err)
	}
	f := informers.NewSharedInformerFactory(c.Client, 0)
	p := &Provisioner{
		client:    c.Client,
		node:      c.NodeName,
		root:      filepath.Clean(root),
		recorder:  c.Recorder,
		informers: f,
		claims:    f.Core().V1().PersistentVolumeClaims().Lister(),
		volumes:   f.Core().V1().PersistentVolumes().Lister(),
		classes:   f.Storage().V1().StorageClasses().Lister(),
		nodes:     f.Core().V1().Nodes().Lister(),
	}
	if p.recorder == nil {
		p.broadcaster = record.NewBroadcaster()
		p.recorder = p.broadcaster.NewRecorder(scheme.Scheme, corev1.EventSource{Component: Name + "_" + c.NodeName})
	}
	p.queue = queue.New("local-path-provisioner", p.sync)
	enqueueClaim := func(obj any) {
		if c, ok := queue.Unwrap(obj).(*corev1.PersistentVolumeClaim); ok {
			p.queue.Add(claimPrefix + queue.Key(c.Namespace, c.Name))
		}
	}
	enqueueVolume := func(obj any) {
		if v, ok := queue.Unwrap(obj).(*corev1.PersistentVolume); ok {
			p.queue.Add(volumePrefix + v.Name)
		}
	}
	handlers := []struct {
		informer cache.SharedIndexInformer
		add      func(any)
	}{
		{f.Core().V1().PersistentVolumeClaims().Informer(), enqueueClaim},
		{f.Core().V1().PersistentVolumes().Informer(), enqueueVolume},
	}
	for _, h := range handlers {
		if _, err := h.informer.AddEventHandler(cache.ResourceEventHandlerFuncs{
			AddFunc:    h.add,
			UpdateFunc: func(_, obj any) { h.add(obj) },
		}); err != nil {
			return nil, err
		}
		p.synced = append(p.synced, h.informer.HasSynced)
	}
	for _, inf := range []cache.SharedIndexInformer{f.Storage().V1().StorageClasses().Informer(), f.Core().V1().Nodes().Informer()} {
		p.synced = append(p.synced, inf.HasSynced)
	}
	return p, nil
}

// Run provisions and deletes until ctx is done.
func (p *Provisioner) Run(ctx context.Context) error {
	logger := klog.FromContext(ctx).WithValues("provisioner", Name, "node", p.node)
	ctx = klog.NewContext(ctx, logger)
	if p.broadcaster != nil {
		p.broadcaster.StartRecordingToSink(&typedcorev1.EventSinkImpl{Interface: p.client.CoreV1().Events("")})
		defer p.broadcaster.Shutdown()
	}
	p.informers.Start(ctx.Done())
	defer p.informers.Shutdown()
	logger.Info("Starting local-path provisioner", "root", p.root)
	// One worker: a claim and its volume are never handled at once.
	p.queue.Run(ctx, 1, p.synced...)
	return nil
}

func (p *Provisioner) sync(ctx context.Context, key string) (time.Duration, error) {
	if name, ok := strings.CutPrefix(key, volumePrefix); ok {
		return 0, p.syncVolume(ctx, name)
	}
	ns, name, _ := strings.Cut(strings.TrimPrefix(key, claimPrefix), "/")
	return 0, p.syncClaim(ctx, ns, name)
}

// claimClass is the claim's class, the beta annotation first.
func claimClass(c *corev1.PersistentVolumeClaim) string {
	if class, ok := c.Annotations[corev1.BetaStorageClassAnnotation]; ok {
		return class
	}
	return ptr.Deref(c.Spec.StorageClassName, "")
}

// volumeName is the volume provisioned for a claim: named by its UID, so
// that finding it tells a provisioning done.
func volumeName(c *corev1.PersistentVolumeClaim) string { return "pvc-" + string(c.UID) }

// syncClaim provisions the claim if it is this provisioner's and this
// node's to provision and not done yet.
func (p *Provisioner) syncClaim(ctx context.Context, namespace, name string) error {
	logger := klog.FromContext(ctx)
	claim, err := p.claims.PersistentVolumeClaims(namespace).Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if claim.DeletionTimestamp != nil {
		return nil
	}
	if claim.Spec.VolumeName != "" {
		return p.syncResize(ctx, claim)
	}
	if prov, ok := claim.Annotations[annStorageProvisioner]; !ok || prov != Name {
		if claim.Annotations[annBetaStorageProvisioner] != Name {
			return nil
		}
	}
	className := claimClass(claim)
	class, err := p.classes.Get(className)
	if err != nil {
		// The PV controller annotated the claim from this class: it is
		// gone or not seen yet.
		p.recorder.Event(claim, corev1.EventTypeWarning, reasonProvisioningFailed, fmt.Sprintf("failed to get storageclass %q: %v", className, err))
		return fmt.Errorf("class of claim %s/%s: %w", namespace, name, err)
	}
	if class.Provisioner != Name {
		return nil
	}
	if ok, err := p.isMine(claim, class); !ok || err != nil {
		return err
	}
	if _, err := p.volumes.Get(volumeName(claim)); err == nil {
		return nil // provisioned already
	}
	if err := checkClaim(claim); err != nil {
		// The claim will not change: no retry.
		p.recorder.Event(claim, corev1.EventTypeWarning, reasonProvisioningFailed, fmt.Sprintf("failed to provision volume with StorageClass %q: %v", class.Name, err))
		return nil
	}
	p.recorder.Event(claim, corev1.EventTypeNormal, reasonProvisioning, fmt.Sprintf("External provisioner is provisioning volume for claim %q", namespace+"/"+name))
	pv, err := p.provision(ctx, claim, class)
	if err != nil {
		p.recorder.Event(claim, corev1.EventTypeWarning, reasonProvisioningFailed, fmt.Sprintf("failed to provision volume with StorageClass %q: %v", class.Name, err))
		return fmt.Errorf("provision claim %s/%s: %w", namespace, name, err)
	}
	logger.Info("Provisioned volume", "claim", klog.KObj(claim), "volume", pv.Name, "path", pv.Spec.Local.Path)
	p.recorder.Event(claim, corev1.EventTypeNormal, reasonProvisioningSucceeded, fmt.Sprintf("Successfully provisioned volume %s", pv.Name))
	return nil
}

// isMine reports whether this node provisions the claim: the node the
// scheduler selected, or, for an Immediate class, the only node. With more
// nodes an Immediate claim is reported once, by the node first by name.
func (p *Provisioner) isMine(claim *corev1.PersistentVolumeClaim, class *storagev1.StorageClass) (bool, error) {
	if selected, ok := claim.Annotations[annSelectedNode]; ok {
		return selected == p.node, nil
	}
	if class.VolumeBindingMode != nil && *class.VolumeBindingMode == storagev1.VolumeBindingWaitForFirstConsumer {
		return false, nil // the scheduler has not chosen yet
	}
	nodes, err := p.nodes.List(labels.Everything())
	if err != nil {
		return false, err
	}
	names := make([]string, 0, len(nodes))
	for _, n := range nodes {
		names = append(names, n.Name)
	}
	sort.Strings(names)
	if len(names) == 1 && names[0] == p.node {
		return true, nil
	}
	if len(names) > 0 && names[0] == p.node {
		p.recorder.Event(claim, corev1.EventTypeWarning, reasonProvisioningFailed, fmt.Sprintf(
			"failed to provision volume with StorageClass %q: %s provisions a directory on one node and the cluster has %d nodes, so it cannot tell where the claim's pod will run; use a StorageClass with volumeBindingMode WaitForFirstConsumer",
			class.Name, Name, len(names)))
	}
	return false, nil
}

// checkClaim reports what a directory cannot offer.
func checkClaim(c *corev1.PersistentVolumeClaim) error {
	if c.Spec.Selector != nil {
		return errors.New("claim Selector is not supported")
	}
	if ptr.Deref(c.Spec.VolumeMode, corev1.PersistentVolumeFilesystem) != corev1.PersistentVolumeFilesystem {
		return fmt.Errorf("volumeMode %s is not supported, only %s", *c.Spec.VolumeMode, corev1.PersistentVolumeFilesystem)
	}
	for _, m := range c.Spec.AccessModes {
		if m != corev1.ReadWriteOnce && m != corev1.ReadWriteOncePod {
			return errors.New("NodePath only supports ReadWriteOnce and ReadWriteOncePod access modes")
		}
	}
	return nil
}

// provision makes the claim's directory and volume; both steps may have
// been done before (a retry, a restart).
func (p *Provisioner) provision(ctx context.Context, claim *corev1.PersistentVolumeClaim, class *storagev1.StorageClass) (*corev1.PersistentVolume, error) {
	name := volumeName(claim)
	dir := filepath.Join(p.root, fmt.Sprintf("%s_%s_%s", name, claim.Namespace, claim.Name))
	if err := os.MkdirAll(p.root, 0o755); err != nil {
		return nil, fmt.Errorf("create %s: %w", p.root, err)
	}
	if err := os.Mkdir(dir, dirMode); err != nil && !errors.Is(err, os.ErrExist) {
		return nil, fmt.Errorf("create volume directory: %w", err)
	}
	// The umask took some bits off.
	if err := os.Chmod(dir, dirMode); err != nil {
		return nil, fmt.Errorf("create volume directory: %w", err)
	}
	hostname := p.node
	if n, err := p.nodes.Get(p.node); err == nil && n.Labels[corev1.LabelHostname] != "" {
		hostname = n.Labels[corev1.LabelHostname]
	}
	reclaim := corev1.PersistentVolumeReclaimDelete
	if class.ReclaimPolicy != nil {
		reclaim = *class.ReclaimPolicy
	}
	accessModes := claim.Spec.AccessModes
	if len(accessModes) == 0 {
		accessModes = []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce}
	}
	pv := &corev1.PersistentVolume{
		ObjectMeta: metav1.ObjectMeta{
			Name:        name,
			Annotations: map[string]string{annProvisionedBy: Name},
		},
		Spec: corev1.PersistentVolumeSpec{
			Capacity:                      corev1.ResourceList{corev1.ResourceStorage: claim.Spec.Resources.Requests[corev1.ResourceStorage]},
			AccessModes:                   accessModes,
			PersistentVolumeReclaimPolicy: reclaim,
			StorageClassName:              class.Name,
			MountOptions:                  class.MountOptions,
			VolumeMode:                    ptr.To(corev1.PersistentVolumeFilesystem),
			ClaimRef: &corev1.ObjectReference{
				Kind:            "PersistentVolumeClaim",
				APIVersion:      "v1",
				Namespace:       claim.Namespace,
				Name:            claim.Name,
				UID:             claim.UID,
				ResourceVersion: claim.ResourceVersion,
			},
			PersistentVolumeSource: corev1.PersistentVolumeSource{Local: &corev1.LocalVolumeSource{Path: dir}},
			NodeAffinity: &corev1.VolumeNodeAffinity{Required: &corev1.NodeSelector{NodeSelectorTerms: []corev1.NodeSelectorTerm{{
				MatchExpressions: []corev1.NodeSelectorRequirement{{Key: corev1.LabelHostname, Operator: corev1.NodeSelectorOpIn, Values: []string{hostname}}},
			}}}},
		},
	}
	created, err := p.client.CoreV1().PersistentVolumes().Create(ctx, pv, metav1.CreateOptions{})
	if apierrors.IsAlreadyExists(err) {
		existing, getErr := p.client.CoreV1().PersistentVolumes().Get(ctx, name, metav1.GetOptions{})
		if getErr != nil {
			return nil, getErr
		}
		if ref := existing.Spec.ClaimRef; ref == nil || ref.UID != claim.UID {
			return nil, fmt.Errorf("volume %s exists and is not the claim's", name)
		}
		return existing, nil
	}
	return created, err
}

// syncVolume deletes a volume this node provisioned once it is released
// with reclaim policy Delete: the directory first, so that a failure
// leaves the object to retry with.
func (p *Provisioner) syncVolume(ctx context.Context, name string) error {
	pv, err := p.volumes.Get(name)
	if apierrors.IsNotFound(err) {
		return nil
	}
	if err != nil {
		return err
	}
	if pv.Annotations[annProvisionedBy] != Name || pv.DeletionTimestamp != nil ||
		pv.Status.Phase != corev1.VolumeReleased || pv.Spec.PersistentVolumeReclaimPolicy != corev1.PersistentVolumeReclaimDelete {
		return nil
	}
	dir, ok := p.ownDirectory(pv)
	if !ok {
		return nil // another node's
	}
	if err := os.RemoveAll(dir); err != nil {
		p.recorder.Event(pv, corev1.EventTypeWarning, reasonVolumeFailedDelete, err.Error())
		return fmt.Errorf("delete volume %s: %w", pv.Name, err)
	}
	err = p.client.CoreV1().PersistentVolumes().Delete(ctx, pv.Name, metav1.DeleteOptions{Preconditions: metav1.NewUIDPreconditions(string(pv.UID))})
	if err != nil && !apierrors.IsNotFound(err) {
		p.recorder.Event(pv, corev1.EventTypeWarning, reasonVolumeFailedDelete, err.Error())
		return fmt.Errorf("delete volume %s: %w", pv.Name, err)
	}
	klog.FromContext(ctx).Info("Deleted volume", "volume", pv.Name, "path", dir)
	return nil
}

// ownDirectory returns the volume's directory if this node's provisioner
// made it: a local volume right under the root, named after the volume,
// whose node affinity is this node. Nothing else is ever removed.
func (p *Provisioner) ownDirectory(pv *corev1.PersistentVolume) (string, bool) {
	if pv.Spec.Local == nil || pv.Spec.NodeAffinity == nil || pv.Spec.NodeAffinity.Required == nil {
		return "", false
	}
	dir := filepath.Clean(pv.Spec.Local.Path)
	if filepath.Dir(dir) != p.root || !strings.HasPrefix(filepath.Base(dir), pv.Name+"_") {
		return "", false
	}
	hostname := p.node
	if n, err := p.nodes.Get(p.node); err == nil && n.Labels[corev1.LabelHostname] != "" {
		hostname = n.Labels[corev1.LabelHostname]
	}
	for _, t := range pv.Spec.NodeAffinity.Required.NodeSelectorTerms {
		for _, e := range t.MatchExpressions {
			if e.Key == corev1.LabelHostname && e.Operator == corev1.NodeSelectorOpIn && len(e.Values) == 1 && e.Values[0] == hostname {
				return dir, true
			}
		}
	}
	return "", false
}
