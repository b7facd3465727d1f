package volumebinding

import (
	"context"
	"errors"
	"fmt"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/klog/v2"
)

// Filter's reasons, kube-scheduler's words.
const (
	// ErrReasonBindConflict: an unbound claim has no volume to bind or
	// provision on the node.
	ErrReasonBindConflict = "node(s) didn't find available persistent volumes to bind"
	// ErrReasonNodeConflict: a bound claim's volume does not accept the
	// node.
	ErrReasonNodeConflict = "node(s) didn't match PersistentVolume's node affinity"
	// ErrReasonPVNotExist: a bound claim's volume is gone.
	ErrReasonPVNotExist = "node(s) unavailable due to one or more pvc(s) bound to non-existent pv(s)"
	// ErrReasonUnboundImmediate is PreFilter's: the PV controller, not the
	// scheduler, binds these claims, and the pod waits for it.
	ErrReasonUnboundImmediate = "pod has unbound immediate PersistentVolumeClaims"
)

// podClaims are a pod's claims sorted by PreFilter.
type podClaims struct {
	bound []*corev1.PersistentVolumeClaim
	// unboundDelay wait for a consumer: the scheduler binds them.
	unboundDelay []*corev1.PersistentVolumeClaim
	// unboundImmediate should already be bound by the PV controller.
	unboundImmediate []*corev1.PersistentVolumeClaim
	// volumesByClass are the volumes of the unboundDelay claims' classes.
	volumesByClass map[string][]*corev1.PersistentVolume
}

// binding is a static volume chosen for a claim.
type binding struct {
	pv  *corev1.PersistentVolume
	pvc *corev1.PersistentVolumeClaim
}

// podVolumes is what a node needs done for the pod's unbound claims.
type podVolumes struct {
	// static are volumes to pre-bind to claims.
	static []binding
	// provision are claims to provision on the node.
	provision []*corev1.PersistentVolumeClaim
}

// claimName is the claim a volume uses: its persistentVolumeClaim, or the
// one the ephemeral volume controller makes for a generic ephemeral volume
// (<pod>-<volume>); "" for other volumes.
func claimName(pod *corev1.Pod, vol *corev1.Volume) (name string, ephemeral bool) {
	switch {
	case vol.PersistentVolumeClaim != nil:
		return vol.PersistentVolumeClaim.ClaimName, false
	case vol.Ephemeral != nil:
		return pod.Name + "-" + vol.Name, true
	}
	return "", false
}

// checkClaims reports whether the pod has claims and the first reason one
// makes the pod unschedulable: missing, lost, being deleted, or an
// ephemeral one not the pod's.
func (pl *VolumeBinding) checkClaims(pod *corev1.Pod) (bool, error) {
	has := false
	for i := range pod.Spec.Volumes {
		name, ephemeral := claimName(pod, &pod.Spec.Volumes[i])
		if name == "" {
			continue
		}
		has = true
		if pl.pvcs == nil {
			return true, errors.New("VolumeBinding has no informers")
		}
		pvc, err := pl.pvcs.Get(pod.Namespace + "/" + name)
		if err != nil {
			// The lister's "persistentvolumeclaim "x" not found" is clear,
			// except right after a pod with an ephemeral volume is made.
			if ephemeral && apierrors.IsNotFound(err) {
				err = fmt.Errorf("waiting for ephemeral volume controller to create the persistentvolumeclaim %q", name)
			}
			return true, err
		}
		if pvc.Status.Phase == corev1.ClaimLost {
			return true, fmt.Errorf("persistentvolumeclaim %q bound to non-existent persistentvolume %q", pvc.Name, pvc.Spec.VolumeName)
		}
		if pvc.DeletionTimestamp != nil {
			return true, fmt.Errorf("persistentvolumeclaim %q is being deleted", pvc.Name)
		}
		if ephemeral && !metav1.IsControlledBy(pvc, pod) {
			return true, fmt.Errorf("PVC %s/%s was not created for pod %s/%s (pod is not owner)", pvc.Namespace, pvc.Name, pod.Namespace, pod.Name)
		}
	}
	return has, nil
}

// class returns the named class, nil if there is none (or no name).
func (pl *VolumeBinding) class(name string) (*storagev1.StorageClass, error) {
	if name == "" {
		return nil, nil
	}
	c, err := pl.classes.Get(name)
	if apierrors.IsNotFound(err) {
		return nil, nil
	}
	return c, err
}

// podClaims sorts the pod's claims and lists the volumes its
// WaitForFirstConsumer claims may take.
func (pl *VolumeBinding) podClaims(pod *corev1.Pod) (*podClaims, error) {
	out := &podClaims{volumesByClass: map[string][]*corev1.PersistentVolume{}}
	for i := range pod.Spec.Volumes {
		name, _ := claimName(pod, &pod.Spec.Volumes[i])
		if name == "" {
			continue
		}
		pvc, err := pl.pvcs.Get(pod.Namespace + "/" + name)
		if err != nil {
			return nil, fmt.Errorf("error getting PVC %q: %w", pod.Namespace+"/"+name, err)
		}
		if fullyBound(pvc) {
			out.bound = append(out.bound, pvc)
			continue
		}
		class, err := pl.class(claimClass(pvc))
		if err != nil {
			return nil, err
		}
		delay, err := delayBinding(class)
		if err != nil {
			return nil, err
		}
		// A claim pre-bound to a volume (spec.volumeName) is the PV
		// controller's to bind, whatever its class.
		if delay && pvc.Spec.VolumeName == "" {
			out.unboundDelay = append(out.unboundDelay, pvc)
		} else {
			out.unboundImmediate = append(out.unboundImmediate, pvc)
		}
	}
	if len(out.unboundDelay) == 0 {
		return out, nil
	}
	all, err := pl.pvLister.List(labels.Everything())
	if err != nil {
		return nil, err
	}
	for _, pvc := range out.unboundDelay {
		class := claimClass(pvc)
		if _, done := out.volumesByClass[class]; done {
			continue
		}
		var vols []*corev1.PersistentVolume
		for _, pv := range all {
			pv = pl.pvs.overlay(pv.Name, pv)
			if volumeClass(pv) == class {
				vols = append(vols, pv)
			}
		}
		out.volumesByClass[class] = vols
	}
	return out, nil
}

// findPodVolumes decides whether the node can take the pod's claims and
// what must be done there for the unbound ones; reasons say why not.
func (pl *VolumeBinding) findPodVolumes(logger klog.Logger, pod *corev1.Pod, claims *podClaims, node *corev1.Node) (*podVolumes, []string, error) {
	out := &podVolumes{}
	boundSatisfied, boundFound, unboundSatisfied := true, true, true
	reasons := func() []string {
		var r []string
		if !boundSatisfied {
			r = append(r, ErrReasonNodeConflict)
		}
		if !unboundSatisfied {
			r = append(r, ErrReasonBindConflict)
		}
		if !boundFound {
			r = append(r, ErrReasonPVNotExist)
		}
		return r
	}
	for _, pvc := range claims.bound {
		pv, err := pl.pvs.Get(pvc.Spec.VolumeName)
		if err != nil {
			if !apierrors.IsNotFound(err) {
				return nil, nil, err
			}
			boundFound = false
			break
		}
		if err := checkNodeAffinity(pv, node); err != nil {
			logger.V(5).Info("PersistentVolume and node mismatch for pod", "PV", klog.KObj(pv), "node", klog.KObj(node), "pod", klog.KObj(pod), "err", err)
			boundSatisfied = false
			break
		}
	}
	if len(claims.unboundDelay) == 0 {
		return out, reasons(), nil
	}
	var toMatch, toProvision []*corev1.PersistentVolumeClaim
	for _, pvc := range claims.unboundDelay {
		if selected, ok := pvc.Annotations[AnnSelectedNode]; ok {
			// Being provisioned for a node already: that one or none.
			if selected != node.Name {
				unboundSatisfied = false
				return out, reasons(), nil
			}
			toProvision = append(toProvision, pvc)
			continue
		}
		toMatch = append(toMatch, pvc)
	}
	if len(toMatch) > 0 {
		toMatch = append([]*corev1.PersistentVolumeClaim(nil), toMatch...)
		sortBySize(toMatch)
		chosen := map[string]bool{}
		for _, pvc := range toMatch {
			pv, err := findMatchingVolume(pvc, claims.volumesByClass[claimClass(pvc)], node, chosen)
			if err != nil {
				return nil, nil, err
			}
			if pv == nil {
				toProvision = append(toProvision, pvc)
				continue
			}
			chosen[pv.Name] = true
			out.static = append(out.static, binding{pv: pv, pvc: pvc})
		}
	}
	for _, pvc := range toProvision {
		name := claimClass(pvc)
		if name == "" {
			return nil, nil, fmt.Errorf("no class for claim %q", claimKey(pvc))
		}
		class, err := pl.classes.Get(name)
		if err != nil {
			return nil, nil, fmt.Errorf("failed to find storage class %q", name)
		}
		if class.Provisioner == "" || class.Provisioner == NotSupportedProvisioner {
			logger.V(5).Info("Storage class of claim does not support dynamic provisioning", "storageClassName", name, "PVC", klog.KObj(pvc))
			unboundSatisfied = false
			break
		}
		if !matchTopology(class.AllowedTopologies, node) {
			logger.V(5).Info("Node cannot satisfy provisioning topology requirements of claim", "node", klog.KObj(node), "PVC", klog.KObj(pvc))
			unboundSatisfied = false
			break
		}
		out.provision = append(out.provision, pvc)
	}
	if !unboundSatisfied {
		out.provision = nil
	}
	return out, reasons(), nil
}

// allBound reports whether every claim of the pod is bound now.
func (pl *VolumeBinding) allBound(pod *corev1.Pod) bool {
	for i := range pod.Spec.Volumes {
		name, _ := claimName(pod, &pod.Spec.Volumes[i])
		if name == "" {
			continue
		}
		pvc, err := pl.pvcs.Get(pod.Namespace + "/" + name)
		if err != nil || !fullyBound(pvc) {
			return false
		}
	}
	return true
}

// bindVolumeToClaim returns the volume pre-bound to the claim as a binder
// binds it (claimRef, and the bound-by-controller annotation unless the
// user pre-bound it), and whether that changed anything.
func bindVolumeToClaim(pv *corev1.PersistentVolume, pvc *corev1.PersistentVolumeClaim) (*corev1.PersistentVolume, bool) {
	userBound := boundToClaim(pv, pvc)
	out := pv.DeepCopy()
	dirty := false
	if ref := pv.Spec.ClaimRef; ref == nil || ref.Name != pvc.Name || ref.Namespace != pvc.Namespace || ref.UID != pvc.UID {
		out.Spec.ClaimRef = &corev1.ObjectReference{
			Kind:            "PersistentVolumeClaim",
			APIVersion:      "v1",
			Namespace:       pvc.Namespace,
			Name:            pvc.Name,
			UID:             pvc.UID,
			ResourceVersion: pvc.ResourceVersion,
		}
		dirty = true
	}
	if !userBound && !metav1.HasAnnotation(out.ObjectMeta, AnnBoundByController) {
		metav1.SetMetaDataAnnotation(&out.ObjectMeta, AnnBoundByController, "yes")
		dirty = true
	}
	return out, dirty
}

// assume records the node's choice in the caches and returns it with the
// assumed objects, or allBound when there is nothing left to do.
func (pl *VolumeBinding) assume(pod *corev1.Pod, node string, vols *podVolumes) (assumed *podVolumes, allBound bool, err error) {
	if pl.allBound(pod) {
		return vols, true, nil
	}
	assumed = &podVolumes{}
	defer func() {
		if err != nil {
			pl.revert(assumed)
		}
	}()
	for _, b := range vols.static {
		pv, dirty := bindVolumeToClaim(b.pv, b.pvc)
		if dirty {
			if err := pl.pvs.Assume(pv.Name, pv); err != nil {
				return nil, false, err
			}
		}
		assumed.static = append(assumed.static, binding{pv: pv, pvc: b.pvc})
	}
	for _, pvc := range vols.provision {
		c := pvc.DeepCopy()
		metav1.SetMetaDataAnnotation(&c.ObjectMeta, AnnSelectedNode, node)
		if err := pl.pvcs.Assume(claimKey(c), c); err != nil {
			return nil, false, err
		}
		assumed.provision = append(assumed.provision, c)
	}
	return assumed, false, nil
}

// revert forgets what assume recorded.
func (pl *VolumeBinding) revert(vols *podVolumes) {
	for _, b := range vols.static {
		pl.pvs.Restore(b.pv.Name)
	}
	for _, pvc := range vols.provision {
		pl.pvcs.Restore(claimKey(pvc))
	}
}

// bindAPIUpdate writes the choice: each static volume's claimRef, each
// claim's selected node. What it did not write is forgotten on failure;
// there is no undoing what it wrote (the PV controller takes it from
// there, and the pod's next attempt sees it).
func (pl *VolumeBinding) bindAPIUpdate(ctx context.Context, pod *corev1.Pod, vols *podVolumes) (err error) {
	logger := klog.FromContext(ctx)
	written := &podVolumes{}
	defer func() {
		if err == nil {
			return
		}
		for _, b := range vols.static[len(written.static):] {
			pl.pvs.Restore(b.pv.Name)
		}
		for _, pvc := range vols.provision[len(written.provision):] {
			pl.pvcs.Restore(claimKey(pvc))
		}
	}()
	for i, b := range vols.static {
		logger.V(5).Info("Updating PersistentVolume: binding to claim", "pod", klog.KObj(pod), "PV", klog.KObj(b.pv), "PVC", klog.KObj(b.pvc))
		pv, err := pl.client.CoreV1().PersistentVolumes().Update(ctx, b.pv, metav1.UpdateOptions{})
		if err != nil {
			return err
		}
		logger.V(2).Info("Updated PersistentVolume with claim. Waiting for binding to complete", "pod", klog.KObj(pod), "PV", klog.KObj(pv), "PVC", klog.KObj(b.pvc))
		vols.static[i].pv = pv
		written.static = append(written.static, vols.static[i])
	}
	for i, pvc := range vols.provision {
		logger.V(5).Info("Updating claims objects to trigger volume provisioning", "pod", klog.KObj(pod), "PVC", klog.KObj(pvc))
		c, err := pl.client.CoreV1().PersistentVolumeClaims(pvc.Namespace).Update(ctx, pvc, metav1.UpdateOptions{})
		if err != nil {
			return err
		}
		vols.provision[i] = c
		written.provision = append(written.provision, c)
	}
	return nil
}

// checkBindings reports whether every claim the pod's binding touched is
// bound now, reading what the API server has (not what is assumed: the
// caches may hold the next pods' choices). An error means binding failed
// and the pod must be scheduled again: it is gone, a volume lost its
// claimRef, a provisioner gave up (it drops the selected-node annotation),
// a volume does not accept the node.
func (pl *VolumeBinding) checkBindings(pod *corev1.Pod, vols *podVolumes) (bool, error) {
	node, err := pl.nodes.Get(pod.Spec.NodeName)
	if err != nil {
		return false, fmt.Errorf("failed to get node %q: %w", pod.Spec.NodeName, err)
	}
	if _, err := pl.pods.Pods(pod.Namespace).Get(pod.Name); apierrors.IsNotFound(err) {
		return false, fmt.Errorf("pod does not exist any more: %w", err)
	}
	for _, b := range vols.static {
		pv, err := pl.pvs.GetAPIObj(b.pv.Name)
		if err != nil {
			return false, fmt.Errorf("failed to check binding: %w", err)
		}
		pvc, err := pl.pvcs.GetAPIObj(claimKey(b.pvc))
		if err != nil {
			return false, fmt.Errorf("failed to check binding: %w", err)
		}
		// Our own write has not come back yet.
		if version(b.pv) > version(pv) {
			return false, nil
		}
		if err := checkNodeAffinity(pv, node); err != nil {
			return false, fmt.Errorf("pv %q node affinity doesn't match node %q: %w", pv.Name, node.Name, err)
		}
		if pv.Spec.ClaimRef == nil || pv.Spec.ClaimRef.UID == "" {
			return false, fmt.Errorf("ClaimRef got reset for pv %q", pv.Name)
		}
		if !fullyBound(pvc) {
			return false, nil
		}
	}
	for _, claim := range vols.provision {
		pvc, err := pl.pvcs.GetAPIObj(claimKey(claim))
		if err != nil {
			return false, fmt.Errorf("failed to check provisioning pvc: %w", err)
		}
		if version(claim) > version(pvc) {
			return false, nil
		}
		selected, ok := pvc.Annotations[AnnSelectedNode]
		if !ok && len(pvc.Annotations) == 0 {
			return false, fmt.Errorf("selectedNode annotation reset for PVC %q", pvc.Name)
		}
		if selected != pod.Spec.NodeName {
			return false, fmt.Errorf("provisioning failed for PVC %q", pvc.Name)
		}
		if pvc.Spec.VolumeName != "" {
			pv, err := pl.pvs.GetAPIObj(pvc.Spec.VolumeName)
			if err != nil {
				if apierrors.IsNotFound(err) {
					// Not seen yet; or deleted, and then the claim
					// will be unbound.
					return false, nil
				}
				return false, fmt.Errorf("failed to get pv %q from cache: %w", pvc.Spec.VolumeName, err)
			}
			if err := checkNodeAffinity(pv, node); err != nil {
				return false, fmt.Errorf("pv %q node affinity doesn't match node %q: %w", pv.Name, node.Name, err)
			}
		}
		if !fullyBound(pvc) {
			return false, nil
		}
	}
	return true, nil
}
