package statefulset

import (
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// podClaim is the claim a pod gets from one of its set's claim templates.
type podClaim struct {
	template string
	claim    *corev1.PersistentVolumeClaim
}

// claimsFor returns pod's claims, in template order: each template with the
// pod's claim name, and the set's selector's matchLabels added to its labels.
func claimsFor(set *appsv1.StatefulSet, pod *corev1.Pod) []podClaim {
	o := ordinal(pod)
	out := make([]podClaim, 0, len(set.Spec.VolumeClaimTemplates))
	for i := range set.Spec.VolumeClaimTemplates {
		t := &set.Spec.VolumeClaimTemplates[i]
		claim := t.DeepCopy()
		claim.Name = claimName(set, t, o)
		claim.Namespace = set.Namespace
		if claim.Labels == nil {
			claim.Labels = map[string]string{}
		}
		if set.Spec.Selector != nil {
			for k, v := range set.Spec.Selector.MatchLabels {
				claim.Labels[k] = v
			}
		}
		out = append(out, podClaim{template: t.Name, claim: claim})
	}
	return out
}

// retentionPolicy is set's claim retention policy, Retain for what is unset.
func retentionPolicy(set *appsv1.StatefulSet) appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy {
	p := appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
		WhenDeleted: appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
		WhenScaled:  appsv1.RetainPersistentVolumeClaimRetentionPolicyType,
	}
	if set.Spec.PersistentVolumeClaimRetentionPolicy != nil {
		p = *set.Spec.PersistentVolumeClaimRetentionPolicy
	}
	return p
}

// Claim ownership. The retention policy is carried out by the garbage
// collector through the claims' ownerReferences, as upstream does:
//
//	whenScaled  whenDeleted  owner of a claim
//	Retain      Retain       none
//	Retain      Delete       the set
//	Delete      Retain       the pod, once it is scaled away
//	Delete      Delete       the set; the pod instead, once it is scaled away
//
// Both owners are controller references. References by the same name and
// kind but another UID are stale (a previous set or pod of that name) and
// leave a claim alone, as does another controller when the policy is not
// all Retain: the garbage collector, or that controller, decides then.

func matchesRef(ref *metav1.OwnerReference, obj metav1.Object, gvk schema.GroupVersionKind) bool {
	return ref.APIVersion == gvk.GroupVersion().String() && ref.Kind == gvk.Kind && ref.Name == obj.GetName()
}

func hasOwnerRef(target, owner metav1.Object) bool {
	for _, ref := range target.GetOwnerReferences() {
		if ref.UID == owner.GetUID() {
			return true
		}
	}
	return false
}

// hasStaleOwnerRef reports whether claim's first reference to obj's name
// and kind names another UID.
func hasStaleOwnerRef(claim *corev1.PersistentVolumeClaim, obj metav1.Object, gvk schema.GroupVersionKind) bool {
	for i := range claim.OwnerReferences {
		if ref := &claim.OwnerReferences[i]; matchesRef(ref, obj, gvk) {
			return ref.UID != obj.GetUID()
		}
	}
	return false
}

// hasUnexpectedController reports whether claim has a controller other than
// set and pod, or stale references to either, under a policy that deletes.
func hasUnexpectedController(claim *corev1.PersistentVolumeClaim, set *appsv1.StatefulSet, pod *corev1.Pod) bool {
	p := retentionPolicy(set)
	if p.WhenScaled == appsv1.RetainPersistentVolumeClaimRetentionPolicyType && p.WhenDeleted == appsv1.RetainPersistentVolumeClaimRetentionPolicyType {
		return false
	}
	for i := range claim.OwnerReferences {
		ref := &claim.OwnerReferences[i]
		switch {
		case matchesRef(ref, set, controllerKind):
			if ref.UID != set.UID {
				return true
			}
		case matchesRef(ref, pod, podKind):
			if ref.UID != pod.UID {
				return true
			}
		case ref.Controller != nil && *ref.Controller:
			return true
		}
	}
	return false
}

// hasNonControllerOwner reports whether set or pod owns claim without being
// its controller, which the policy never asks for.
func hasNonControllerOwner(claim *corev1.PersistentVolumeClaim, set *appsv1.StatefulSet, pod *corev1.Pod) bool {
	for _, ref := range claim.OwnerReferences {
		if (ref.UID == set.UID || ref.UID == pod.UID) && (ref.Controller == nil || !*ref.Controller) {
			return true
		}
	}
	return false
}

// claimOwnerUpToDate reports whether claim's ownerReferences already say
// what set's retention policy asks for pod's claim.
func claimOwnerUpToDate(claim *corev1.PersistentVolumeClaim, set *appsv1.StatefulSet, pod *corev1.Pod) bool {
	if hasStaleOwnerRef(claim, set, controllerKind) || hasStaleOwnerRef(claim, pod, podKind) {
		// An earlier set or pod of the same name still owns it: leave it to
		// the garbage collector.
		return true
	}
	if hasUnexpectedController(claim, set, pod) {
		// Our own references must go; nothing is added beside the other
		// controller.
		return !hasOwnerRef(claim, set) && !hasOwnerRef(claim, pod)
	}
	if hasNonControllerOwner(claim, set, pod) {
		return false
	}
	wantSet, wantPod := wantedClaimOwners(set, pod)
	return hasOwnerRef(claim, set) == wantSet && hasOwnerRef(claim, pod) == wantPod
}

// wantedClaimOwners says whether set, and whether pod, should own pod's
// claims under set's retention policy. An unknown policy counts as Retain.
func wantedClaimOwners(set *appsv1.StatefulSet, pod *corev1.Pod) (bool, bool) {
	p := retentionPolicy(set)
	const del = appsv1.DeletePersistentVolumeClaimRetentionPolicyType
	scaledDown := !inOrdinalRange(pod, set)
	switch {
	case p.WhenScaled == del && p.WhenDeleted == del:
		return !scaledDown, scaledDown
	case p.WhenScaled == del && p.WhenDeleted == appsv1.RetainPersistentVolumeClaimRetentionPolicyType:
		return false, scaledDown
	case p.WhenScaled == appsv1.RetainPersistentVolumeClaimRetentionPolicyType && p.WhenDeleted == del:
		return true, false
	}
	return false, false
}

// setClaimOwners rewrites claim's references to set and pod as the policy
// asks, keeping every other reference.
func setClaimOwners(claim *corev1.PersistentVolumeClaim, set *appsv1.StatefulSet, pod *corev1.Pod) {
	unexpected := hasUnexpectedController(claim, set, pod)
	refs := []metav1.OwnerReference{}
	for _, ref := range claim.OwnerReferences {
		if !matchesRef(&ref, set, controllerKind) && !matchesRef(&ref, pod, podKind) {
			refs = append(refs, ref)
		}
	}
	if !unexpected {
		wantSet, wantPod := wantedClaimOwners(set, pod)
		if wantPod {
			refs = addControllerRef(refs, pod, podKind)
		}
		if wantSet {
			refs = addControllerRef(refs, set, controllerKind)
		}
	}
	claim.OwnerReferences = refs
}

func addControllerRef(refs []metav1.OwnerReference, owner metav1.Object, gvk schema.GroupVersionKind) []metav1.OwnerReference {
	for _, ref := range refs {
		if ref.UID == owner.GetUID() {
			return refs
		}
	}
	return append(refs, *metav1.NewControllerRef(owner, gvk))
}
