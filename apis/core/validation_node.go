package core

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	netutils "k8s.io/utils/net"
)

// Nodes. Anyone may update a node's status, so status fields are validated
// on every write but none is required.

var nodeDeclaredFeatureRegexp = regexp.MustCompile(`^[A-Z][a-zA-Z0-9]*(\/[a-zA-Z][a-zA-Z0-9]*)*$`)

// ValidateNode validates a node on create.
func ValidateNode(node *corev1.Node) field.ErrorList {
	metaPath := field.NewPath("metadata")
	allErrs := ValidateObjectMeta(&node.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, metaPath)
	allErrs = append(allErrs, validateNodeAnnotations(node.Annotations, metaPath.Child("annotations"))...)
	// Upstream reports spec.taints at metadata.taints.
	allErrs = append(allErrs, validateNodeTaints(node.Spec.Taints, metaPath.Child("taints"))...)
	allErrs = append(allErrs, validateNodeResources(node)...)
	if swap := node.Status.NodeInfo.Swap; swap != nil && swap.Capacity != nil {
		// Upstream's path for the swap capacity.
		allErrs = append(allErrs, ValidatePositiveField(*swap.Capacity, metaPath.Child("nodeSwapStatus", "capacity"))...)
	}
	allErrs = append(allErrs, validateNodeDeclaredFeatures(node.Status.DeclaredFeatures, field.NewPath("status", "declaredFeatures"))...)
	if cidrs := node.Spec.PodCIDRs; len(cidrs) > 0 {
		p := field.NewPath("spec", "podCIDRs")
		for i, c := range cidrs {
			allErrs = append(allErrs, IsValidCIDRForLegacyField(p.Index(i), c, nil)...)
		}
		if len(cidrs) > 1 {
			dualStack, err := netutils.IsDualStackCIDRStrings(cidrs)
			if err != nil {
				allErrs = append(allErrs, field.InternalError(p, fmt.Errorf("invalid PodCIDRs. failed to check with dual stack with error:%v", err)))
			}
			if !dualStack || len(cidrs) > 2 {
				allErrs = append(allErrs, field.Invalid(p, cidrs, "may specify no more than one CIDR for each IP family"))
			}
		}
	}
	return allErrs
}

// ValidateNodeUpdate validates an update of a node: pod CIDRs and the
// provider ID may be set once, and externalID never changes.
func ValidateNodeUpdate(node, old *corev1.Node) field.ErrorList {
	allErrs := ValidateNode(node)
	return append(allErrs, validateNodeUpdate(node, old)...)
}

// ValidateNodeStatusUpdate validates an update through the status
// subresource; upstream applies the update rules only.
func ValidateNodeStatusUpdate(node, old *corev1.Node) field.ErrorList {
	return validateNodeUpdate(node, old)
}

func validateNodeUpdate(node, old *corev1.Node) field.ErrorList {
	metaPath := field.NewPath("metadata")
	allErrs := ValidateObjectMetaUpdate(&node.ObjectMeta, &old.ObjectMeta, metaPath)
	allErrs = append(allErrs, validateNodeAnnotations(node.Annotations, metaPath.Child("annotations"))...)
	allErrs = append(allErrs, validateNodeResources(node)...)
	allErrs = append(allErrs, validateNodeDeclaredFeatures(node.Status.DeclaredFeatures, field.NewPath("status", "declaredFeatures"))...)
	seen := map[corev1.NodeAddress]bool{}
	for i, addr := range node.Status.Addresses {
		if seen[addr] {
			allErrs = append(allErrs, field.Duplicate(field.NewPath("status", "addresses").Index(i), AsInternal(addr)))
		}
		seen[addr] = true
	}
	// The node IPAM controller may assign CIDRs to a node without them.
	if len(old.Spec.PodCIDRs) > 0 {
		forbidden := field.Forbidden(field.NewPath("spec", "podCIDRs"), "node updates may not change podCIDR except from \"\" to valid")
		if len(old.Spec.PodCIDRs) != len(node.Spec.PodCIDRs) {
			allErrs = append(allErrs, forbidden)
		} else {
			for i, c := range old.Spec.PodCIDRs {
				if c != node.Spec.PodCIDRs[i] {
					allErrs = append(allErrs, forbidden)
				}
			}
		}
	}
	// Cloud providers may set the provider ID once.
	if old.Spec.ProviderID != "" {
		if node.Spec.ProviderID == "" {
			allErrs = append(allErrs, field.Invalid(field.NewPath("spec", "providerID"), nil, "field cannot be cleared once set"))
		} else if node.Spec.ProviderID != old.Spec.ProviderID {
			allErrs = append(allErrs, field.Invalid(field.NewPath("spec", "providerID"), nil, "field cannot be modified once set"))
		}
	}
	if cs := node.Spec.ConfigSource; cs != nil {
		p := field.NewPath("spec", "configSource")
		if cs.ConfigMap == nil {
			allErrs = append(allErrs, field.Invalid(p, AsInternal(cs), "exactly one reference subfield must be non-nil"))
		} else {
			allErrs = append(allErrs, validateConfigMapNodeConfigSource(cs.ConfigMap, p.Child("configMap"))...)
		}
	}
	allErrs = append(allErrs, validateNodeTaints(node.Spec.Taints, metaPath.Child("taints"))...)
	if node.Spec.DoNotUseExternalID != old.Spec.DoNotUseExternalID {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("spec", "externalID"), "may not be updated"))
	}
	return allErrs
}

// validateConfigMapNodeConfigSource validates the deprecated dynamic kubelet
// config reference in a spec: uid and resourceVersion belong to status.
func validateConfigMapNodeConfigSource(cm *corev1.ConfigMapNodeConfigSource, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	if cm.UID != "" {
		allErrs = append(allErrs, field.Forbidden(p.Child("uid"), "uid must not be set in spec"))
	}
	if cm.ResourceVersion != "" {
		allErrs = append(allErrs, field.Forbidden(p.Child("resourceVersion"), "resourceVersion must not be set in spec"))
	}
	if cm.Namespace == "" {
		allErrs = append(allErrs, field.Required(p.Child("namespace"), ""))
	} else {
		allErrs = append(allErrs, ValidateNameFunc(apimachineryvalidation.ValidateNamespaceName, cm.Namespace, p.Child("namespace"))...)
	}
	if cm.Name == "" {
		allErrs = append(allErrs, field.Required(p.Child("name"), ""))
	} else {
		allErrs = append(allErrs, ValidateNameFunc(apimachineryvalidation.NameIsDNSSubdomain, cm.Name, p.Child("name"))...)
	}
	if cm.KubeletConfigKey == "" {
		allErrs = append(allErrs, field.Required(p.Child("kubeletConfigKey"), ""))
	} else {
		allErrs = append(allErrs, messages(p.Child("kubeletConfigKey"), cm.KubeletConfigKey, validation.IsConfigMapKey(cm.KubeletConfigKey))...)
	}
	return allErrs
}

func validateNodeResources(node *corev1.Node) field.ErrorList {
	var allErrs field.ErrorList
	// Upstream names the resource as a path segment, not a key.
	for _, k := range sortedResourceNames(node.Status.Capacity) {
		allErrs = append(allErrs, ValidateResourceQuantityValue(k, node.Status.Capacity[k], field.NewPath("status", "capacity", string(k)))...)
	}
	for _, k := range sortedResourceNames(node.Status.Allocatable) {
		allErrs = append(allErrs, ValidateResourceQuantityValue(k, node.Status.Allocatable[k], field.NewPath("status", "allocatable", string(k)))...)
	}
	return allErrs
}

// validateNodeDeclaredFeatures requires sorted, unique, UpperCamelCase names.
func validateNodeDeclaredFeatures(features []string, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	for i, f := range features {
		if len(f) > validation.DNS1123SubdomainMaxLength {
			allErrs = append(allErrs, field.Invalid(p.Index(i), f, fmt.Sprintf("invalid feature name %q: must be no more than %d characters", f, validation.DNS1123SubdomainMaxLength)))
		} else if !nodeDeclaredFeatureRegexp.MatchString(f) {
			allErrs = append(allErrs, field.Invalid(p.Index(i), f, fmt.Sprintf("invalid feature name %q: must start with an UpperCamelCase segment, with subsequent segments separated by '/' (e.g., MyFeature or MyFeature/mySubFeature), and contain only alphanumeric characters and slashes", f)))
		}
		if i+1 < len(features) {
			next := features[i+1]
			if f == next {
				allErrs = append(allErrs, field.Duplicate(p.Index(i+1), next))
			} else if f > next {
				allErrs = append(allErrs, field.Invalid(p.Index(i+1), next, "list must be sorted alphabetically"))
			}
		}
	}
	return allErrs
}

func validateNodeTaints(taints []corev1.Taint, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	unique := map[corev1.TaintEffect]sets.Set[string]{}
	for i, t := range taints {
		idxPath := p.Index(i)
		allErrs = append(allErrs, metav1validation.ValidateLabelName(t.Key, idxPath.Child("key"))...)
		if errs := validation.IsValidLabelValue(t.Value); len(errs) != 0 {
			allErrs = append(allErrs, field.Invalid(idxPath.Child("value"), t.Value, strings.Join(errs, ";")))
		}
		allErrs = append(allErrs, validateTaintEffect(t.Effect, false, idxPath.Child("effect"))...)
		if unique[t.Effect].Has(t.Key) {
			dup := field.Duplicate(idxPath, AsInternal(t))
			dup.Detail = "taints must be unique by key and effect pair"
			allErrs = append(allErrs, dup)
			continue
		}
		if unique[t.Effect] == nil {
			unique[t.Effect] = sets.New[string]()
		}
		unique[t.Effect].Insert(t.Key)
	}
	return allErrs
}

// validateNodeAnnotations checks the taints annotation, which older clients
// used before spec.taints existed.
func validateNodeAnnotations(annotations map[string]string, p *field.Path) field.ErrorList {
	raw := annotations[corev1.TaintsAnnotationKey]
	if raw == "" {
		return nil
	}
	var taints []corev1.Taint
	if err := json.Unmarshal([]byte(raw), &taints); err != nil {
		return field.ErrorList{field.Invalid(p, corev1.TaintsAnnotationKey, err.Error())}
	}
	return validateNodeTaints(taints, p.Child(corev1.TaintsAnnotationKey))
}
