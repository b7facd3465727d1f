package volumebinding

import (
	"errors"
	"fmt"
	"sort"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/selection"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/scheduler/plugins/nodeaffinity"
)

// The annotations of the binding protocol between the scheduler, the PV
// controller and provisioners (k8s.io/component-helpers/storage/volume).
const (
	// AnnSelectedNode on a claim: the node the scheduler chose for the
	// pod using it; the claim's provisioner provisions there.
	AnnSelectedNode = "volume.kubernetes.io/selected-node"
	// AnnBindCompleted on a claim: the PV controller finished binding it.
	AnnBindCompleted = "pv.kubernetes.io/bind-completed"
	// AnnBoundByController on a volume: the binding was made by a binder,
	// not pre-bound by the user.
	AnnBoundByController = "pv.kubernetes.io/bound-by-controller"
	// NotSupportedProvisioner is the provisioner of classes that cannot
	// provision.
	NotSupportedProvisioner = "kubernetes.io/no-provisioner"
)

// claimClass is the claim's class, the beta annotation first, as upstream.
func claimClass(c *corev1.PersistentVolumeClaim) string {
	if class, ok := c.Annotations[corev1.BetaStorageClassAnnotation]; ok {
		return class
	}
	return ptr.Deref(c.Spec.StorageClassName, "")
}

// volumeClass is the volume's class, the beta annotation first.
func volumeClass(pv *corev1.PersistentVolume) string {
	if class, ok := pv.Annotations[corev1.BetaStorageClassAnnotation]; ok {
		return class
	}
	return pv.Spec.StorageClassName
}

// claimKey is how claims are named in caches and messages: ns/name.
func claimKey(c *corev1.PersistentVolumeClaim) string { return c.Namespace + "/" + c.Name }

// fullyBound reports a claim the PV controller has finished binding.
func fullyBound(c *corev1.PersistentVolumeClaim) bool {
	return c.Spec.VolumeName != "" && metav1.HasAnnotation(c.ObjectMeta, AnnBindCompleted)
}

// boundToClaim reports a volume pre-bound or bound to the claim: its
// claimRef names the claim, and the claim's UID if it has one.
func boundToClaim(pv *corev1.PersistentVolume, c *corev1.PersistentVolumeClaim) bool {
	ref := pv.Spec.ClaimRef
	if ref == nil || ref.Name != c.Name || ref.Namespace != c.Namespace {
		return false
	}
	return ref.UID == "" || ref.UID == c.UID
}

// checkNodeAffinity reports why the volume cannot be used on node, or nil.
func checkNodeAffinity(pv *corev1.PersistentVolume, node *corev1.Node) error {
	if pv.Spec.NodeAffinity == nil || pv.Spec.NodeAffinity.Required == nil {
		return nil
	}
	ok, err := nodeaffinity.NewNodeSelector(pv.Spec.NodeAffinity.Required).Match(node)
	if err != nil {
		return err
	}
	if !ok {
		return errors.New("no matching NodeSelectorTerms")
	}
	return nil
}

// volumeModeMismatch reports different volume modes, unset meaning
// Filesystem on either side.
func volumeModeMismatch(c *corev1.PersistentVolumeClaim, pv *corev1.PersistentVolume) bool {
	return ptr.Deref(c.Spec.VolumeMode, corev1.PersistentVolumeFilesystem) != ptr.Deref(pv.Spec.VolumeMode, corev1.PersistentVolumeFilesystem)
}

// hasAccessModes reports whether the volume offers every mode the claim
// asks for.
func hasAccessModes(c *corev1.PersistentVolumeClaim, pv *corev1.PersistentVolume) bool {
	for _, want := range c.Spec.AccessModes {
		found := false
		for _, m := range pv.Spec.AccessModes {
			if m == want {
				found = true
				break
			}
		}
		if !found {
			return false
		}
	}
	return true
}

// findMatchingVolume is the scheduler's side of upstream's
// FindMatchingVolume: the volume pre-bound to the claim if there is one
// (nil if it does not accept the node), else the smallest available volume
// of the claim's class that is big enough, of its volume mode, access modes
// and volume attributes class, matches its selector and accepts the node.
// Volumes in excluded are taken by the pod's other claims.
func findMatchingVolume(c *corev1.PersistentVolumeClaim, volumes []*corev1.PersistentVolume, node *corev1.Node, excluded map[string]bool) (*corev1.PersistentVolume, error) {
	requested := c.Spec.Resources.Requests[corev1.ResourceStorage]
	class := claimClass(c)
	var selector labels.Selector
	if c.Spec.Selector != nil {
		s, err := metav1.LabelSelectorAsSelector(c.Spec.Selector)
		if err != nil {
			return nil, fmt.Errorf("error creating internal label selector for claim: %v: %w", claimKey(c), err)
		}
		selector = s
	}
	var smallest *corev1.PersistentVolume
	var smallestQty resource.Quantity
	for _, pv := range volumes {
		if excluded[pv.Name] {
			continue
		}
		if pv.Spec.ClaimRef != nil && !boundToClaim(pv, c) {
			continue
		}
		qty := pv.Spec.Capacity[corev1.ResourceStorage]
		if qty.Cmp(requested) < 0 || volumeModeMismatch(c, pv) {
			continue
		}
		if ptr.Deref(c.Spec.VolumeAttributesClassName, "") != ptr.Deref(pv.Spec.VolumeAttributesClassName, "") {
			continue
		}
		if pv.DeletionTimestamp != nil {
			continue
		}
		affinityOK := checkNodeAffinity(pv, node) == nil
		if boundToClaim(pv, c) {
			// Pre-bound by the user or provisioned for this claim: this
			// one or none.
			if !affinityOK {
				return nil, nil
			}
			return pv, nil
		}
		// Volumes not yet Available may be mid-update by the PV
		// controller: binding them would likely conflict.
		if pv.Status.Phase != corev1.VolumeAvailable {
			continue
		}
		if selector != nil && !selector.Matches(labels.Set(pv.Labels)) {
			continue
		}
		if volumeClass(pv) != class || !affinityOK || !hasAccessModes(c, pv) {
			continue
		}
		if smallest == nil || smallestQty.Cmp(qty) > 0 {
			smallest, smallestQty = pv, qty
		}
	}
	return smallest, nil
}

// sortBySize orders claims by increasing request, so each takes the
// smallest volume that fits it.
func sortBySize(claims []*corev1.PersistentVolumeClaim) {
	sort.SliceStable(claims, func(i, j int) bool {
		a := claims[i].Spec.Resources.Requests[corev1.ResourceStorage]
		b := claims[j].Spec.Resources.Requests[corev1.ResourceStorage]
		return a.Cmp(b) < 0
	})
}

// matchTopology reports whether node's labels satisfy one of the class's
// allowedTopologies terms (each a list of key In values); no terms allow
// every node, an empty or unparsable term none.
func matchTopology(terms []corev1.TopologySelectorTerm, node *corev1.Node) bool {
	if len(terms) == 0 {
		return true
	}
	set := labels.Set(node.Labels)
	for _, t := range terms {
		if len(t.MatchLabelExpressions) == 0 {
			continue
		}
		sel := labels.NewSelector()
		ok := true
		for _, e := range t.MatchLabelExpressions {
			r, err := labels.NewRequirement(e.Key, selection.In, e.Values)
			if err != nil {
				ok = false
				break
			}
			sel = sel.Add(*r)
		}
		if ok && sel.Matches(set) {
			return true
		}
	}
	return false
}

// delayBinding reports whether the claim's class waits for a consumer; a
// claim without a class, or whose class does not exist, binds at once.
func delayBinding(class *storagev1.StorageClass) (bool, error) {
	if class == nil {
		return false, nil
	}
	if class.VolumeBindingMode == nil {
		return false, fmt.Errorf("VolumeBindingMode not set for StorageClass %q", class.Name)
	}
	return *class.VolumeBindingMode == storagev1.VolumeBindingWaitForFirstConsumer, nil
}
