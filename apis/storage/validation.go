package storage

import (
	"fmt"
	"math"
	"reflect"
	"strings"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1validation "k8s.io/apimachinery/pkg/apis/meta/v1/validation"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubeshim/kubeshim/apis/core"
)

// Validation of the storage.k8s.io/v1 kinds, with upstream's paths and
// messages. Feature gates are at their 1.37 defaults (SELinuxMount and
// VolumeLimitScaling on, so CSIDriver's seLinuxMount and
// preventPodSchedulingIfMissing are required; they are defaulted).

const (
	maxProvisionerParameterSize   = 256 * (1 << 10)
	maxProvisionerParameterLen    = 512
	maxAttachedVolumeMetadataSize = 256 * (1 << 10)
	maxVolumeErrorMessageSize     = 1024
	csiNodeIDMaxLength            = 256
	maxStorageHealthConditions    = 16
)

var (
	metaPath = field.NewPath("metadata")
	specPath = field.NewPath("spec")
)

// StorageClass.

// ValidateStorageClass validates a storage class on create.
func ValidateStorageClass(sc *storagev1.StorageClass) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&sc.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, metaPath)
	allErrs = append(allErrs, validateProvisioner(sc.Provisioner, field.NewPath("provisioner"))...)
	allErrs = append(allErrs, validateParameters(sc.Parameters, true, field.NewPath("parameters"))...)
	if rp := sc.ReclaimPolicy; rp != nil && *rp != "" && *rp != corev1.PersistentVolumeReclaimDelete && *rp != corev1.PersistentVolumeReclaimRetain {
		allErrs = append(allErrs, field.NotSupported(field.NewPath("reclaimPolicy"), *rp, []corev1.PersistentVolumeReclaimPolicy{corev1.PersistentVolumeReclaimDelete, corev1.PersistentVolumeReclaimRetain}))
	}
	modePath := field.NewPath("volumeBindingMode")
	if m := sc.VolumeBindingMode; m == nil {
		allErrs = append(allErrs, field.Required(modePath, ""))
	} else if *m != storagev1.VolumeBindingImmediate && *m != storagev1.VolumeBindingWaitForFirstConsumer {
		allErrs = append(allErrs, field.NotSupported(modePath, *m, []storagev1.VolumeBindingMode{storagev1.VolumeBindingImmediate, storagev1.VolumeBindingWaitForFirstConsumer}))
	}
	topoPath := field.NewPath("allowedTopologies")
	var seen []map[string]sets.Set[string]
	for i, term := range sc.AllowedTopologies {
		exprs, errs := core.ValidateTopologySelectorTerm(term, topoPath.Index(i))
		allErrs = append(allErrs, errs...)
		for _, other := range seen {
			if reflect.DeepEqual(exprs, other) {
				allErrs = append(allErrs, field.Duplicate(topoPath.Index(i).Child("matchLabelExpressions"), ""))
			}
		}
		seen = append(seen, exprs)
	}
	return allErrs
}

// ValidateStorageClassUpdate validates an update of a storage class: what
// provisions volumes is fixed.
func ValidateStorageClassUpdate(sc, old *storagev1.StorageClass) field.ErrorList {
	allErrs := ValidateStorageClass(sc)
	allErrs = append(allErrs, core.ValidateObjectMetaUpdate(&sc.ObjectMeta, &old.ObjectMeta, metaPath)...)
	allErrs = append(allErrs, core.ValidateImmutableField(sc.Parameters, old.Parameters, field.NewPath("parameters"))...)
	allErrs = append(allErrs, core.ValidateImmutableField(sc.Provisioner, old.Provisioner, field.NewPath("provisioner"))...)
	allErrs = append(allErrs, core.ValidateImmutableField(sc.ReclaimPolicy, old.ReclaimPolicy, field.NewPath("reclaimPolicy"))...)
	return append(allErrs, core.ValidateImmutableField(sc.VolumeBindingMode, old.VolumeBindingMode, field.NewPath("volumeBindingMode"))...)
}

func validateProvisioner(provisioner string, p *field.Path) field.ErrorList {
	if provisioner == "" {
		return field.ErrorList{field.Required(p, provisioner)}
	}
	return core.ValidateQualifiedName(strings.ToLower(provisioner), p)
}

func validateParameters(params map[string]string, allowEmpty bool, p *field.Path) field.ErrorList {
	if len(params) > maxProvisionerParameterLen {
		return field.ErrorList{field.TooLong(p, "", maxProvisionerParameterLen)}
	}
	var allErrs field.ErrorList
	var size int64
	for _, k := range sets.List(sets.KeySet(params)) {
		if k == "" {
			allErrs = append(allErrs, field.Invalid(p, k, "field can not be empty."))
		}
		size += int64(len(k)) + int64(len(params[k]))
	}
	if size > maxProvisionerParameterSize {
		allErrs = append(allErrs, field.TooLong(p, "", maxProvisionerParameterSize))
	}
	if !allowEmpty && len(params) == 0 {
		allErrs = append(allErrs, field.Required(p, "must contain at least one key/value pair"))
	}
	return allErrs
}

// VolumeAttachment.

// ValidateVolumeAttachment validates a volume attachment on create.
func ValidateVolumeAttachment(va *storagev1.VolumeAttachment) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&va.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, metaPath)
	allErrs = append(allErrs, core.ValidateCSIDriverName(va.Spec.Attacher, specPath.Child("attacher"))...)
	src, sp := &va.Spec.Source, specPath.Child("source")
	const exactlyOne = "must specify exactly one of inlineVolumeSpec and persistentVolumeName"
	switch {
	case src.InlineVolumeSpec == nil && src.PersistentVolumeName == nil:
		allErrs = append(allErrs, field.Required(sp, exactlyOne))
	case src.InlineVolumeSpec != nil && src.PersistentVolumeName != nil:
		allErrs = append(allErrs, field.Forbidden(sp, exactlyOne))
	case src.PersistentVolumeName != nil:
		if *src.PersistentVolumeName == "" {
			allErrs = append(allErrs, field.Required(sp.Child("persistentVolumeName"), "must specify non empty persistentVolumeName"))
		}
	default:
		allErrs = append(allErrs, core.ValidateInlinePersistentVolumeSpec(src.InlineVolumeSpec, sp.Child("inlineVolumeSpec"))...)
	}
	allErrs = append(allErrs, core.ValidateNameFunc(apimachineryvalidation.NameIsDNSSubdomain, va.Spec.NodeName, specPath.Child("nodeName"))...)

	st := field.NewPath("status")
	var size int64
	for k, v := range va.Status.AttachmentMetadata {
		size += int64(len(k)) + int64(len(v))
	}
	if size > maxAttachedVolumeMetadataSize {
		allErrs = append(allErrs, field.TooLong(st.Child("attachmentMetadata"), "", maxAttachedVolumeMetadataSize))
	}
	allErrs = append(allErrs, validateVolumeError(va.Status.AttachError, st.Child("attachError"))...)
	allErrs = append(allErrs, validateVolumeError(va.Status.DetachError, st.Child("detachError"))...)
	if name := src.PersistentVolumeName; name != nil {
		// Upstream's path is one segment with dots.
		allErrs = append(allErrs, core.ValidateNameFunc(apimachineryvalidation.NameIsDNSSubdomain, *name, field.NewPath("spec.source.persistentVolumeName"))...)
	}
	return allErrs
}

// ValidateVolumeAttachmentUpdate validates an update of a volume attachment:
// its spec is fixed.
func ValidateVolumeAttachmentUpdate(va, old *storagev1.VolumeAttachment) field.ErrorList {
	allErrs := ValidateVolumeAttachment(va)
	allErrs = append(allErrs, core.ValidateObjectMetaUpdate(&va.ObjectMeta, &old.ObjectMeta, metaPath)...)
	return append(allErrs, core.ValidateImmutableStruct(va.Spec, old.Spec, specPath)...)
}

// ValidateVolumeAttachmentStatusUpdate validates an update through the
// status subresource, with the same rules as any update.
func ValidateVolumeAttachmentStatusUpdate(va, old *storagev1.VolumeAttachment) field.ErrorList {
	return ValidateVolumeAttachmentUpdate(va, old)
}

func validateVolumeError(e *storagev1.VolumeError, p *field.Path) field.ErrorList {
	if e == nil {
		return nil
	}
	var allErrs field.ErrorList
	if len(e.Message) > maxVolumeErrorMessageSize {
		allErrs = append(allErrs, field.TooLong(p.Child("message"), "", maxVolumeErrorMessageSize))
	}
	if e.ErrorCode != nil && *e.ErrorCode < 0 {
		allErrs = append(allErrs, field.Invalid(p.Child("errorCode"), *e.ErrorCode, validation.InclusiveRangeError(0, math.MaxInt32)))
	}
	return allErrs
}

// CSINode.

// ValidateCSINode validates a CSI node on create; it is named after its node.
func ValidateCSINode(n *storagev1.CSINode) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&n.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, metaPath)
	names := sets.New[string]()
	for i, d := range n.Spec.Drivers {
		p := specPath.Child("drivers").Index(i)
		allErrs = append(allErrs, core.ValidateCSIDriverName(d.Name, p.Child("name"))...)
		idPath := p.Child("nodeID")
		if d.NodeID == "" {
			allErrs = append(allErrs, field.Required(idPath, d.NodeID))
		}
		if len(d.NodeID) > csiNodeIDMaxLength {
			allErrs = append(allErrs, field.Invalid(idPath, d.NodeID, fmt.Sprintf("must be %d characters or less", csiNodeIDMaxLength)))
		}
		if a := d.Allocatable; a != nil && a.Count != nil {
			allErrs = append(allErrs, core.ValidateNonnegativeField(int64(*a.Count), p.Child("allocatable", "count"))...)
		}
		if names.Has(d.Name) {
			allErrs = append(allErrs, field.Duplicate(p.Child("name"), d.Name))
		}
		names.Insert(d.Name)
		keys := sets.New[string]()
		for _, key := range d.TopologyKeys {
			// Upstream reports topology keys at the driver's path.
			if key == "" {
				allErrs = append(allErrs, field.Required(p, key))
			}
			if keys.Has(key) {
				allErrs = append(allErrs, field.Duplicate(p, key))
			}
			keys.Insert(key)
			allErrs = append(allErrs, core.ValidateQualifiedName(key, p)...)
		}
	}
	return allErrs
}

// ValidateCSINodeUpdate validates an update of a CSI node: a registered
// driver may only change its allocatable count.
func ValidateCSINodeUpdate(n, old *storagev1.CSINode) field.ErrorList {
	allErrs := ValidateCSINode(n)
	allErrs = append(allErrs, core.ValidateObjectMetaUpdate(&n.ObjectMeta, &old.ObjectMeta, metaPath)...)
	for _, od := range old.Spec.Drivers {
		for _, nd := range n.Spec.Drivers {
			if od.Name != nd.Name {
				continue
			}
			od, nd := od.DeepCopy(), nd.DeepCopy()
			od.Allocatable, nd.Allocatable = nil, nil
			allErrs = append(allErrs, core.ValidateImmutableStruct(*nd, *od, specPath.Child("drivers"))...)
		}
	}
	return allErrs
}

// ValidateCSINodeStatusUpdate validates an update of a CSI node's status.
func ValidateCSINodeStatusUpdate(n, old *storagev1.CSINode) field.ErrorList {
	allErrs := core.ValidateObjectMetaUpdate(&n.ObjectMeta, &old.ObjectMeta, metaPath)
	p := field.NewPath("status", "storageHealth")
	seen := sets.New[string]()
	for i, h := range n.Status.StorageHealth {
		hp := p.Index(i)
		if seen.Has(h.Name) {
			allErrs = append(allErrs, field.Duplicate(hp, h.Name))
		}
		seen.Insert(h.Name)
		if h.Name == "" {
			allErrs = append(allErrs, field.Required(hp.Child("name"), ""))
		} else {
			allErrs = append(allErrs, core.ValidateCSIDriverName(h.Name, hp.Child("name"))...)
		}
		if len(h.HealthConditions) > maxStorageHealthConditions {
			allErrs = append(allErrs, field.TooMany(hp.Child("healthConditions"), len(h.HealthConditions), maxStorageHealthConditions))
			continue
		}
		for j, c := range h.HealthConditions {
			allErrs = append(allErrs, validateStorageHealthCondition(c, hp.Child("healthConditions").Index(j))...)
		}
	}
	return allErrs
}

func validateStorageHealthCondition(c storagev1.StorageHealthCondition, p *field.Path) field.ErrorList {
	var allErrs field.ErrorList
	statuses := []storagev1.StorageHealthStatusType{storagev1.StorageDegraded, storagev1.StorageUnreachable}
	if c.Status != storagev1.StorageDegraded && c.Status != storagev1.StorageUnreachable {
		allErrs = append(allErrs, field.NotSupported(p.Child("status"), c.Status, statuses))
	}
	if c.Reason == "" {
		allErrs = append(allErrs, field.Required(p.Child("reason"), ""))
	} else {
		for _, msg := range metav1validation.IsValidConditionReason(c.Reason) {
			allErrs = append(allErrs, field.Invalid(p.Child("reason"), c.Reason, msg))
		}
		if len(c.Reason) > 256 {
			allErrs = append(allErrs, field.TooLong(p.Child("reason"), c.Reason, 256))
		}
	}
	if len(c.Message) > 1024 {
		allErrs = append(allErrs, field.TooLong(p.Child("message"), c.Message, 1024))
	}
	modes := []corev1.PersistentVolumeAccessMode{corev1.ReadOnlyMany, corev1.ReadWriteMany, corev1.ReadWriteOnce, corev1.ReadWriteOncePod}
	if m := c.AccessMode; m != nil && !sets.New(modes...).Has(*m) {
		allErrs = append(allErrs, field.NotSupported(p.Child("accessMode"), *m, modes))
	}
	if m := c.VolumeMode; m != nil && *m != corev1.PersistentVolumeFilesystem && *m != corev1.PersistentVolumeBlock {
		allErrs = append(allErrs, field.NotSupported(p.Child("volumeMode"), *m, []corev1.PersistentVolumeMode{corev1.PersistentVolumeFilesystem, corev1.PersistentVolumeBlock}))
	}
	return allErrs
}

// CSIDriver.

// ValidateCSIDriver validates a CSI driver on create.
func ValidateCSIDriver(d *storagev1.CSIDriver) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&d.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, metaPath)
	return append(allErrs, validateCSIDriverSpec(&d.Spec)...)
}

// ValidateCSIDriverUpdate validates an update of a CSI driver: whether it
// attaches and which lifecycle modes it supports are fixed.
func ValidateCSIDriverUpdate(d, old *storagev1.CSIDriver) field.ErrorList {
	allErrs := core.ValidateObjectMetaUpdate(&d.ObjectMeta, &old.ObjectMeta, metaPath)
	allErrs = append(allErrs, core.ValidateObjectMeta(&d.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, metaPath)...)
	allErrs = append(allErrs, validateCSIDriverSpec(&d.Spec)...)
	// Upstream's path spells the field "attachedRequired".
	allErrs = append(allErrs, core.ValidateImmutableField(d.Spec.AttachRequired, old.Spec.AttachRequired, specPath.Child("attachedRequired"))...)
	return append(allErrs, core.ValidateImmutableField(d.Spec.VolumeLifecycleModes, old.Spec.VolumeLifecycleModes, specPath.Child("volumeLifecycleModes"))...)
}

func validateCSIDriverSpec(spec *storagev1.CSIDriverSpec) field.ErrorList {
	var allErrs field.ErrorList
	p := specPath
	required := func(set bool, name string) {
		if !set {
			allErrs = append(allErrs, field.Required(p.Child(name), ""))
		}
	}
	required(spec.AttachRequired != nil, "attachedRequired")
	required(spec.PodInfoOnMount != nil, "podInfoOnMount")
	required(spec.StorageCapacity != nil, "storageCapacity")
	if pol := spec.FSGroupPolicy; pol != nil && *pol != storagev1.FileFSGroupPolicy && *pol != storagev1.NoneFSGroupPolicy && *pol != storagev1.ReadWriteOnceWithFSTypeFSGroupPolicy {
		allErrs = append(allErrs, field.NotSupported(p.Child("fsGroupPolicy"), *pol,
			[]storagev1.FSGroupPolicy{storagev1.FileFSGroupPolicy, storagev1.NoneFSGroupPolicy, storagev1.ReadWriteOnceWithFSTypeFSGroupPolicy}))
	}
	audiences := sets.New[string]()
	for i, tr := range spec.TokenRequests {
		tp := p.Child("tokenRequests").Index(i)
		if audiences.Has(tr.Audience) {
			allErrs = append(allErrs, field.Duplicate(tp.Child("audience"), tr.Audience))
			continue
		}
		audiences.Insert(tr.Audience)
		if exp := tr.ExpirationSeconds; exp != nil {
			if *exp < 600 {
				allErrs = append(allErrs, field.Invalid(tp.Child("expirationSeconds"), *exp, "may not specify a duration less than 10 minutes"))
			}
			if *exp > 1<<32 {
				allErrs = append(allErrs, field.Invalid(tp.Child("expirationSeconds"), *exp, "may not specify a duration larger than 2^32 seconds"))
			}
		}
	}
	for _, m := range spec.VolumeLifecycleModes {
		if m != storagev1.VolumeLifecyclePersistent && m != storagev1.VolumeLifecycleEphemeral {
			allErrs = append(allErrs, field.NotSupported(p.Child("volumeLifecycleModes"), m,
				[]storagev1.VolumeLifecycleMode{storagev1.VolumeLifecyclePersistent, storagev1.VolumeLifecycleEphemeral}))
		}
	}
	required(spec.SELinuxMount != nil, "seLinuxMount")
	if period := spec.NodeAllocatableUpdatePeriodSeconds; period != nil && *period < 10 {
		allErrs = append(allErrs, field.Invalid(p.Child("nodeAllocatableUpdatePeriodSeconds"), *period, "must be greater than or equal to 10 seconds"))
	}
	if spec.ServiceAccountTokenInSecrets != nil && len(spec.TokenRequests) == 0 {
		allErrs = append(allErrs, field.Invalid(p.Child("serviceAccountTokenInSecrets"), spec.ServiceAccountTokenInSecrets, "serviceAccountTokenInSecrets is set but no tokenRequests are specified"))
	}
	required(spec.PreventPodSchedulingIfMissing != nil, "preventPodSchedulingIfMissing")
	return allErrs
}

// CSIStorageCapacity.

// ValidateCSIStorageCapacity validates a CSI storage capacity on create.
// Only capacity must not be negative: upstream does not check
// maximumVolumeSize.
func ValidateCSIStorageCapacity(c *storagev1.CSIStorageCapacity) field.ErrorList {
	return validateCSIStorageCapacity(c, metav1validation.LabelSelectorValidationOptions{})
}

func validateCSIStorageCapacity(c *storagev1.CSIStorageCapacity, opts metav1validation.LabelSelectorValidationOptions) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&c.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, metaPath)
	allErrs = append(allErrs, metav1validation.ValidateLabelSelector(c.NodeTopology, opts, field.NewPath("nodeTopology"))...)
	// An empty class name fails as an invalid DNS subdomain, not as a
	// missing field, as upstream reports it.
	allErrs = append(allErrs, core.ValidateNameFunc(apimachineryvalidation.NameIsDNSSubdomain, c.StorageClassName, field.NewPath("storageClassName"))...)
	if c.Capacity != nil && c.Capacity.Sign() < 0 {
		allErrs = append(allErrs, field.Invalid(field.NewPath("capacity"), c.Capacity.String(), apimachineryvalidation.IsNegativeErrorMsg))
	}
	return allErrs
}

// ValidateCSIStorageCapacityUpdate validates an update of a CSI storage
// capacity. The topology and the class are what the driver's GetCapacity
// call was asked about, so they are fixed; the capacities may change. A
// topology stored before label values were validated stays updatable.
func ValidateCSIStorageCapacityUpdate(c, old *storagev1.CSIStorageCapacity) field.ErrorList {
	opts := metav1validation.LabelSelectorValidationOptions{
		AllowInvalidLabelValueInSelector: len(metav1validation.ValidateLabelSelector(old.NodeTopology, metav1validation.LabelSelectorValidationOptions{}, nil)) > 0,
	}
	allErrs := validateCSIStorageCapacity(c, opts)
	allErrs = append(allErrs, core.ValidateObjectMetaUpdate(&c.ObjectMeta, &old.ObjectMeta, metaPath)...)
	allErrs = append(allErrs, core.ValidateImmutableField(c.NodeTopology, old.NodeTopology, field.NewPath("nodeTopology"))...)
	return append(allErrs, core.ValidateImmutableField(c.StorageClassName, old.StorageClassName, field.NewPath("storageClassName"))...)
}

// VolumeAttributesClass.

// ValidateVolumeAttributesClass validates a volume attributes class on
// create: like a storage class, it names a driver and gives it at least one
// parameter.
func ValidateVolumeAttributesClass(vac *storagev1.VolumeAttributesClass) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&vac.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, metaPath)
	allErrs = append(allErrs, validateProvisioner(vac.DriverName, field.NewPath("driverName"))...)
	return append(allErrs, validateParameters(vac.Parameters, false, field.NewPath("parameters"))...)
}

// ValidateVolumeAttributesClassUpdate validates an update of a volume
// attributes class: claims already modified to it must keep meaning the
// same attributes, so its driver and parameters are fixed.
func ValidateVolumeAttributesClassUpdate(vac, old *storagev1.VolumeAttributesClass) field.ErrorList {
	allErrs := core.ValidateObjectMetaUpdate(&vac.ObjectMeta, &old.ObjectMeta, metaPath)
	if vac.DriverName != old.DriverName {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("driverName"), "updates to driverName are forbidden."))
	}
	// reflect, not semantic, equality: upstream tells a nil map from an
	// empty one here.
	if !reflect.DeepEqual(vac.Parameters, old.Parameters) {
		allErrs = append(allErrs, field.Forbidden(field.NewPath("parameters"), "updates to parameters are forbidden."))
	}
	return append(allErrs, ValidateVolumeAttributesClass(vac)...)
}
