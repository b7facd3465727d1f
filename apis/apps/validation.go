package apps

import (
	"encoding/json"
	"fmt"
	"strconv"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apimachineryvalidation "k8s.io/apimachinery/pkg/api/validation"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"

	"github.com/kubeshim/kubeshim/apis/core"
)

// Validation of the apps/v1 kinds, with upstream's paths and messages. The
// objects are expected defaulted (replicas, strategies, rolling update
// parameters). In apps/v1 a workload's selector is immutable.

var (
	metaPath = field.NewPath("metadata")
	specPath = field.NewPath("spec")
)

// Deployment.

// ValidateDeployment validates a deployment on create.
func ValidateDeployment(d *appsv1.Deployment) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&d.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, metaPath)
	return append(allErrs, validateDeploymentSpec(&d.Spec, specPath)...)
}

// ValidateDeploymentUpdate validates an update of a deployment.
func ValidateDeploymentUpdate(d, old *appsv1.Deployment) field.ErrorList {
	allErrs := core.ValidateObjectMetaUpdate(&d.ObjectMeta, &old.ObjectMeta, metaPath)
	allErrs = append(allErrs, ValidateDeployment(d)...)
	return append(allErrs, core.ValidateImmutableField(d.Spec.Selector, old.Spec.Selector, specPath.Child("selector"))...)
}

// ValidateDeploymentStatusUpdate validates an update of a deployment's status.
func ValidateDeploymentStatusUpdate(d, old *appsv1.Deployment) field.ErrorList {
	allErrs := core.ValidateObjectMetaUpdate(&d.ObjectMeta, &old.ObjectMeta, metaPath)
	s, p := &d.Status, field.NewPath("status")
	counts := []core.ReplicaCount{
		{Name: "observedGeneration", Value: s.ObservedGeneration}, {Name: "replicas", Value: int64(s.Replicas)},
		{Name: "updatedReplicas", Value: int64(s.UpdatedReplicas)}, {Name: "readyReplicas", Value: int64(s.ReadyReplicas)},
		{Name: "availableReplicas", Value: int64(s.AvailableReplicas)}, {Name: "unavailableReplicas", Value: int64(s.UnavailableReplicas)},
	}
	counts = appendOptional(counts, "terminatingReplicas", s.TerminatingReplicas)
	counts = appendOptional(counts, "collisionCount", s.CollisionCount)
	allErrs = append(allErrs, core.ValidateReplicaCounts(p, counts,
		[]string{"updatedReplicas", "readyReplicas", "availableReplicas"}, "cannot be greater than readyReplicas")...)
	return append(allErrs, validateCollisionCount(s.CollisionCount, old.Status.CollisionCount, p)...)
}

func validateDeploymentSpec(spec *appsv1.DeploymentSpec, p *field.Path) field.ErrorList {
	replicas := deref(spec.Replicas)
	allErrs := core.ValidateNonnegativeField(int64(replicas), p.Child("replicas"))
	allErrs = append(allErrs, validateSelector(spec.Selector, p.Child("selector"), "deployment")...)
	allErrs = append(allErrs, validateTemplateForSelector(&spec.Template, spec.Selector, p, "Deployment")...)

	strategyPath := p.Child("strategy")
	switch spec.Strategy.Type {
	case appsv1.RecreateDeploymentStrategyType:
		if spec.Strategy.RollingUpdate != nil {
			allErrs = append(allErrs, field.Forbidden(strategyPath.Child("rollingUpdate"), "may not be specified when strategy `type` is 'Recreate'"))
		}
	case appsv1.RollingUpdateDeploymentStrategyType:
		if ru := spec.Strategy.RollingUpdate; ru == nil {
			allErrs = append(allErrs, field.Required(strategyPath.Child("rollingUpdate"), "this should be defaulted and never be nil"))
		} else {
			rp := strategyPath.Child("rollingUpdate")
			maxUnavailable, maxSurge := intOrZero(ru.MaxUnavailable), intOrZero(ru.MaxSurge)
			allErrs = append(allErrs, ValidatePositiveIntOrPercent(maxUnavailable, rp.Child("maxUnavailable"))...)
			allErrs = append(allErrs, ValidatePositiveIntOrPercent(maxSurge, rp.Child("maxSurge"))...)
			// Both zero would make no progress.
			if intOrPercentValue(maxUnavailable) == 0 && intOrPercentValue(maxSurge) == 0 {
				allErrs = append(allErrs, field.Invalid(rp.Child("maxUnavailable"), maxUnavailable, "may not be 0 when `maxSurge` is 0"))
			}
			allErrs = append(allErrs, IsNotMoreThan100Percent(maxUnavailable, rp.Child("maxUnavailable"))...)
		}
	default:
		allErrs = append(allErrs, field.NotSupported(strategyPath, core.AsInternal(spec.Strategy),
			[]string{string(appsv1.RecreateDeploymentStrategyType), string(appsv1.RollingUpdateDeploymentStrategyType)}))
	}
	allErrs = append(allErrs, core.ValidateNonnegativeField(int64(spec.MinReadySeconds), p.Child("minReadySeconds"))...)
	if spec.RevisionHistoryLimit != nil {
		allErrs = append(allErrs, core.ValidateNonnegativeField(int64(*spec.RevisionHistoryLimit), p.Child("revisionHistoryLimit"))...)
	}
	if d := spec.ProgressDeadlineSeconds; d != nil {
		allErrs = append(allErrs, core.ValidateNonnegativeField(int64(*d), p.Child("progressDeadlineSeconds"))...)
		if *d <= spec.MinReadySeconds {
			allErrs = append(allErrs, field.Invalid(p.Child("progressDeadlineSeconds"), d, "must be greater than minReadySeconds"))
		}
	}
	return allErrs
}

// ReplicaSet.

// ValidateReplicaSet validates a replica set on create.
func ValidateReplicaSet(rs *appsv1.ReplicaSet) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&rs.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, metaPath)
	p := specPath
	allErrs = append(allErrs, core.ValidateNonnegativeField(int64(deref(rs.Spec.Replicas)), p.Child("replicas"))...)
	allErrs = append(allErrs, core.ValidateNonnegativeField(int64(rs.Spec.MinReadySeconds), p.Child("minReadySeconds"))...)
	// Upstream's message names deployments here too.
	allErrs = append(allErrs, validateSelector(rs.Spec.Selector, p.Child("selector"), "deployment")...)
	return append(allErrs, validateTemplateForSelector(&rs.Spec.Template, rs.Spec.Selector, p, "ReplicaSet")...)
}

// ValidateReplicaSetUpdate validates an update of a replica set.
func ValidateReplicaSetUpdate(rs, old *appsv1.ReplicaSet) field.ErrorList {
	allErrs := core.ValidateObjectMetaUpdate(&rs.ObjectMeta, &old.ObjectMeta, metaPath)
	allErrs = append(allErrs, ValidateReplicaSet(rs)...)
	return append(allErrs, core.ValidateImmutableField(rs.Spec.Selector, old.Spec.Selector, specPath.Child("selector"))...)
}

// ValidateReplicaSetStatusUpdate validates an update of a replica set's status.
func ValidateReplicaSetStatusUpdate(rs, old *appsv1.ReplicaSet) field.ErrorList {
	allErrs := core.ValidateObjectMetaUpdate(&rs.ObjectMeta, &old.ObjectMeta, metaPath)
	s := &rs.Status
	counts := []core.ReplicaCount{
		{Name: "replicas", Value: int64(s.Replicas)}, {Name: "fullyLabeledReplicas", Value: int64(s.FullyLabeledReplicas)},
		{Name: "readyReplicas", Value: int64(s.ReadyReplicas)}, {Name: "availableReplicas", Value: int64(s.AvailableReplicas)},
		{Name: "observedGeneration", Value: s.ObservedGeneration},
	}
	counts = appendOptional(counts, "terminatingReplicas", s.TerminatingReplicas)
	return append(allErrs, core.ValidateReplicaCounts(field.NewPath("status"), counts,
		[]string{"fullyLabeledReplicas", "readyReplicas", "availableReplicas"}, "cannot be greater than readyReplicas")...)
}

// StatefulSet.

// ValidateStatefulSet validates a stateful set on create. Its name is a DNS
// label: pod names and hostnames are derived from it.
func ValidateStatefulSet(ss *appsv1.StatefulSet) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&ss.ObjectMeta, apimachineryvalidation.NameIsDNSLabel, metaPath)
	return append(allErrs, validateStatefulSetSpec(&ss.Spec, specPath, statefulSetOptions{})...)
}

// ValidateStatefulSetUpdate validates an update of a stateful set. Only the
// template, replicas, ordinals, update strategy, retention policy and
// minReadySeconds may change; names and claim templates that were accepted
// before are not re-validated.
func ValidateStatefulSetUpdate(ss, old *appsv1.StatefulSet) field.ErrorList {
	allErrs := core.ValidateObjectMetaUpdate(&ss.ObjectMeta, &old.ObjectMeta, metaPath)
	opts := statefulSetOptions{allowInvalidServiceName: true, skipVolumeClaimTemplates: true}
	// A template that was already invalid may stay so.
	if len(validateStatefulSetSpec(&old.Spec, specPath, opts)) > 0 {
		opts.skipTemplate = true
	}
	allErrs = append(allErrs, validateStatefulSetSpec(&ss.Spec, specPath, opts)...)
	allErrs = append(allErrs, core.ValidateImmutableField(ss.Spec.Selector, old.Spec.Selector, specPath.Child("selector"))...)
	allErrs = append(allErrs, core.ValidateImmutableStruct(ss.Spec.VolumeClaimTemplates, old.Spec.VolumeClaimTemplates, specPath.Child("volumeClaimTemplates"))...)
	allErrs = append(allErrs, core.ValidateImmutableField(ss.Spec.ServiceName, old.Spec.ServiceName, specPath.Child("serviceName"))...)
	return append(allErrs, core.ValidateImmutableField(ss.Spec.PodManagementPolicy, old.Spec.PodManagementPolicy, specPath.Child("podManagementPolicy"))...)
}

// ValidateStatefulSetStatusUpdate validates an update of a stateful set's status.
func ValidateStatefulSetStatusUpdate(ss, old *appsv1.StatefulSet) field.ErrorList {
	s, p := &ss.Status, field.NewPath("status")
	counts := []core.ReplicaCount{
		{Name: "replicas", Value: int64(s.Replicas)}, {Name: "readyReplicas", Value: int64(s.ReadyReplicas)},
		{Name: "currentReplicas", Value: int64(s.CurrentReplicas)}, {Name: "updatedReplicas", Value: int64(s.UpdatedReplicas)},
		{Name: "availableReplicas", Value: int64(s.AvailableReplicas)}, {Name: "observedGeneration", Value: s.ObservedGeneration},
	}
	counts = appendOptional(counts, "collisionCount", s.CollisionCount)
	allErrs := core.ValidateReplicaCounts(p, counts,
		[]string{"readyReplicas", "currentReplicas", "updatedReplicas", "availableReplicas"}, "cannot be greater than status.readyReplicas")
	allErrs = append(allErrs, core.ValidateObjectMetaUpdate(&ss.ObjectMeta, &old.ObjectMeta, metaPath)...)
	return append(allErrs, validateCollisionCount(s.CollisionCount, old.Status.CollisionCount, p)...)
}

type statefulSetOptions struct {
	allowInvalidServiceName  bool
	skipVolumeClaimTemplates bool
	skipTemplate             bool
}

func validateStatefulSetSpec(spec *appsv1.StatefulSetSpec, p *field.Path, opts statefulSetOptions) field.ErrorList {
	var allErrs field.ErrorList
	switch spec.PodManagementPolicy {
	case "":
		allErrs = append(allErrs, field.Required(p.Child("podManagementPolicy"), ""))
	case appsv1.OrderedReadyPodManagement, appsv1.ParallelPodManagement:
	default:
		allErrs = append(allErrs, field.Invalid(p.Child("podManagementPolicy"), spec.PodManagementPolicy,
			fmt.Sprintf("must be '%s' or '%s'", appsv1.OrderedReadyPodManagement, appsv1.ParallelPodManagement)))
	}
	strategyPath := p.Child("updateStrategy")
	switch spec.UpdateStrategy.Type {
	case "":
		allErrs = append(allErrs, field.Required(strategyPath, ""))
	case appsv1.OnDeleteStatefulSetStrategyType:
		if spec.UpdateStrategy.RollingUpdate != nil {
			allErrs = append(allErrs, field.Invalid(strategyPath.Child("rollingUpdate"), core.AsInternal(spec.UpdateStrategy.RollingUpdate),
				fmt.Sprintf("only allowed for updateStrategy '%s'", appsv1.RollingUpdateStatefulSetStrategyType)))
		}
	case appsv1.RollingUpdateStatefulSetStrategyType:
		if ru := spec.UpdateStrategy.RollingUpdate; ru != nil {
			rp := strategyPath.Child("rollingUpdate")
			allErrs = append(allErrs, core.ValidateNonnegativeField(int64(deref(ru.Partition)), rp.Child("partition"))...)
			if mu := ru.MaxUnavailable; mu != nil {
				mp := rp.Child("maxUnavailable")
				allErrs = append(allErrs, ValidatePositiveIntOrPercent(*mu, mp)...)
				if intOrPercentValue(*mu) == 0 {
					allErrs = append(allErrs, field.Invalid(mp, *mu, "cannot be 0"))
				}
				allErrs = append(allErrs, IsNotMoreThan100Percent(*mu, mp)...)
			}
		}
	default:
		// Recreate is behind an alpha gate upstream.
		allErrs = append(allErrs, field.Invalid(strategyPath, core.AsInternal(spec.UpdateStrategy),
			fmt.Sprintf("must be '%s' or '%s'", appsv1.RollingUpdateStatefulSetStrategyType, appsv1.OnDeleteStatefulSetStrategyType)))
	}
	if rp := spec.PersistentVolumeClaimRetentionPolicy; rp != nil {
		policies := []string{string(appsv1.RetainPersistentVolumeClaimRetentionPolicyType), string(appsv1.DeletePersistentVolumeClaimRetentionPolicyType)}
		rpPath := p.Child("persistentVolumeClaimRetentionPolicy")
		if !isRetentionPolicy(rp.WhenDeleted) {
			allErrs = append(allErrs, field.NotSupported(rpPath.Child("whenDeleted"), rp.WhenDeleted, policies))
		}
		if !isRetentionPolicy(rp.WhenScaled) {
			allErrs = append(allErrs, field.NotSupported(rpPath.Child("whenScaled"), rp.WhenScaled, policies))
		}
	}
	if !opts.skipVolumeClaimTemplates {
		for i := range spec.VolumeClaimTemplates {
			allErrs = append(allErrs, core.ValidatePersistentVolumeClaimSpec(&spec.VolumeClaimTemplates[i].Spec, p.Child("volumeClaimTemplates").Index(i).Child("spec"))...)
		}
	}
	allErrs = append(allErrs, core.ValidateNonnegativeField(int64(deref(spec.Replicas)), p.Child("replicas"))...)
	allErrs = append(allErrs, core.ValidateNonnegativeField(int64(spec.MinReadySeconds), p.Child("minReadySeconds"))...)
	if spec.Ordinals != nil {
		// Upstream's path is one segment with a dot.
		allErrs = append(allErrs, core.ValidateNonnegativeField(int64(spec.Ordinals.Start), p.Child("ordinals.start"))...)
	}
	if !opts.allowInvalidServiceName && spec.ServiceName != "" {
		allErrs = append(allErrs, core.ValidateDNS1123Label(spec.ServiceName, p.Child("serviceName"))...)
	}
	if spec.Selector == nil {
		allErrs = append(allErrs, field.Required(p.Child("selector"), ""))
	} else {
		allErrs = append(allErrs, validateSelector(spec.Selector, p.Child("selector"), "statefulset")...)
	}
	tp := p.Child("template")
	if selector, err := metav1.LabelSelectorAsSelector(spec.Selector); err != nil {
		allErrs = append(allErrs, field.Invalid(p.Child("selector"), spec.Selector, ""))
	} else {
		// The controller sets hostname and subdomain and adds a volume per
		// claim template, so validate the template as the pods will be.
		template := spec.Template.DeepCopy()
		template.Spec.Subdomain, template.Spec.Hostname = "", ""
		if len(spec.VolumeClaimTemplates) > 0 {
			claimVolumes := map[string]bool{}
			var volumes []corev1.Volume
			for _, t := range spec.VolumeClaimTemplates {
				if !claimVolumes[t.Name] {
					volumes = append(volumes, corev1.Volume{Name: t.Name, VolumeSource: corev1.VolumeSource{
						PersistentVolumeClaim: &corev1.PersistentVolumeClaimVolumeSource{ClaimName: t.Name}}})
				}
				claimVolumes[t.Name] = true
			}
			for _, v := range template.Spec.Volumes {
				if !claimVolumes[v.Name] {
					volumes = append(volumes, v)
				}
			}
			template.Spec.Volumes = volumes
		}
		if !selector.Empty() && !selector.Matches(labels.Set(template.Labels)) {
			allErrs = append(allErrs, field.Invalid(tp.Child("metadata", "labels"), template.Labels, "`selector` does not match template `labels`"))
		}
		if !opts.skipTemplate {
			allErrs = append(allErrs, core.ValidatePodTemplateSpec(template, tp)...)
		}
	}
	return append(allErrs, core.ValidateLongRunningTemplate(&spec.Template.Spec, tp, "StatefulSet")...)
}

func isRetentionPolicy(p appsv1.PersistentVolumeClaimRetentionPolicyType) bool {
	return p == appsv1.RetainPersistentVolumeClaimRetentionPolicyType || p == appsv1.DeletePersistentVolumeClaimRetentionPolicyType
}

// DaemonSet.

// ValidateDaemonSet validates a daemon set on create.
func ValidateDaemonSet(ds *appsv1.DaemonSet) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&ds.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, metaPath)
	return append(allErrs, validateDaemonSetSpec(&ds.Spec, specPath)...)
}

// ValidateDaemonSetUpdate validates an update of a daemon set.
func ValidateDaemonSetUpdate(ds, old *appsv1.DaemonSet) field.ErrorList {
	allErrs := core.ValidateObjectMetaUpdate(&ds.ObjectMeta, &old.ObjectMeta, metaPath)
	allErrs = append(allErrs, core.ValidateImmutableField(ds.Spec.Selector, old.Spec.Selector, specPath.Child("selector"))...)
	return append(allErrs, ValidateDaemonSet(ds)...)
}

// ValidateDaemonSetStatusUpdate validates an update of a daemon set's status.
func ValidateDaemonSetStatusUpdate(ds, old *appsv1.DaemonSet) field.ErrorList {
	allErrs := core.ValidateObjectMetaUpdate(&ds.ObjectMeta, &old.ObjectMeta, metaPath)
	s, p := &ds.Status, field.NewPath("status")
	counts := []core.ReplicaCount{
		{Name: "currentNumberScheduled", Value: int64(s.CurrentNumberScheduled)}, {Name: "numberMisscheduled", Value: int64(s.NumberMisscheduled)},
		{Name: "desiredNumberScheduled", Value: int64(s.DesiredNumberScheduled)}, {Name: "numberReady", Value: int64(s.NumberReady)},
		{Name: "observedGeneration", Value: s.ObservedGeneration}, {Name: "updatedNumberScheduled", Value: int64(s.UpdatedNumberScheduled)},
		{Name: "numberAvailable", Value: int64(s.NumberAvailable)}, {Name: "numberUnavailable", Value: int64(s.NumberUnavailable)},
	}
	counts = appendOptional(counts, "collisionCount", s.CollisionCount)
	allErrs = append(allErrs, core.ValidateReplicaCounts(p, counts, nil, "")...)
	return append(allErrs, validateCollisionCount(s.CollisionCount, old.Status.CollisionCount, p)...)
}

func validateDaemonSetSpec(spec *appsv1.DaemonSetSpec, p *field.Path) field.ErrorList {
	allErrs := core.ValidateLabelSelector(spec.Selector, p.Child("selector"))
	// Unlike the other workloads, a daemon set checks the match even without
	// a selector (which then matches nothing).
	if selector, err := metav1.LabelSelectorAsSelector(spec.Selector); err == nil && !selector.Matches(labels.Set(spec.Template.Labels)) {
		allErrs = append(allErrs, field.Invalid(p.Child("template", "metadata", "labels"), spec.Template.Labels, "`selector` does not match template `labels`"))
	}
	if spec.Selector != nil && len(spec.Selector.MatchLabels)+len(spec.Selector.MatchExpressions) == 0 {
		allErrs = append(allErrs, field.Invalid(p.Child("selector"), spec.Selector, "empty selector is invalid for daemonset"))
	}
	tp := p.Child("template")
	allErrs = append(allErrs, core.ValidatePodTemplateSpec(&spec.Template, tp)...)
	allErrs = append(allErrs, core.ValidateLongRunningTemplate(&spec.Template.Spec, tp, "DaemonSet")...)
	allErrs = append(allErrs, core.ValidateNonnegativeField(int64(spec.MinReadySeconds), p.Child("minReadySeconds"))...)

	strategyPath := p.Child("updateStrategy")
	switch spec.UpdateStrategy.Type {
	case appsv1.OnDeleteDaemonSetStrategyType:
	case appsv1.RollingUpdateDaemonSetStrategyType:
		ru := spec.UpdateStrategy.RollingUpdate
		if ru == nil {
			allErrs = append(allErrs, field.Required(strategyPath.Child("rollingUpdate"), ""))
			break
		}
		rp := strategyPath.Child("rollingUpdate")
		maxUnavailable, maxSurge := intOrZero(ru.MaxUnavailable), intOrZero(ru.MaxSurge)
		allErrs = append(allErrs, ValidatePositiveIntOrPercent(maxUnavailable, rp.Child("maxUnavailable"))...)
		allErrs = append(allErrs, ValidatePositiveIntOrPercent(maxSurge, rp.Child("maxSurge"))...)
		allErrs = append(allErrs, IsNotMoreThan100Percent(maxUnavailable, rp.Child("maxUnavailable"))...)
		allErrs = append(allErrs, IsNotMoreThan100Percent(maxSurge, rp.Child("maxSurge"))...)
		hasUnavailable, hasSurge := intOrPercentValue(maxUnavailable) != 0, intOrPercentValue(maxSurge) != 0
		switch {
		case hasUnavailable && hasSurge:
			allErrs = append(allErrs, field.Invalid(rp.Child("maxSurge"), maxSurge, "may not be set when maxUnavailable is non-zero"))
		case !hasUnavailable && !hasSurge:
			allErrs = append(allErrs, field.Required(rp.Child("maxUnavailable"), "cannot be 0 when maxSurge is 0"))
		}
	default:
		allErrs = append(allErrs, field.NotSupported(strategyPath, core.AsInternal(spec.UpdateStrategy),
			[]string{string(appsv1.RollingUpdateDaemonSetStrategyType), string(appsv1.OnDeleteDaemonSetStrategyType)}))
	}
	if spec.RevisionHistoryLimit != nil {
		allErrs = append(allErrs, core.ValidateNonnegativeField(int64(*spec.RevisionHistoryLimit), p.Child("revisionHistoryLimit"))...)
	}
	return allErrs
}

// ControllerRevision.

// ValidateControllerRevision validates a controller revision on create: its
// data must be a JSON object.
func ValidateControllerRevision(cr *appsv1.ControllerRevision) field.ErrorList {
	allErrs := validateControllerRevision(cr)
	dataPath := field.NewPath("data")
	if cr.Data.Raw == nil {
		return append(allErrs, field.Required(dataPath, "data is mandatory"))
	}
	var v any
	if err := json.Unmarshal(cr.Data.Raw, &v); err != nil {
		return append(allErrs, field.Invalid(dataPath, "<value omitted>", fmt.Sprintf("error parsing data: %v", err.Error())))
	}
	if v == nil {
		return append(allErrs, field.Required(dataPath, "data is mandatory"))
	}
	if _, isObject := v.(map[string]any); !isObject {
		allErrs = append(allErrs, field.Required(dataPath, "data must be a valid JSON object"))
	}
	return allErrs
}

// ValidateControllerRevisionUpdate validates an update of a controller
// revision: its data is immutable.
func ValidateControllerRevisionUpdate(cr, old *appsv1.ControllerRevision) field.ErrorList {
	allErrs := core.ValidateObjectMetaUpdate(&cr.ObjectMeta, &old.ObjectMeta, metaPath)
	allErrs = append(allErrs, validateControllerRevision(cr)...)
	return append(allErrs, core.ValidateImmutableField(cr.Data, old.Data, field.NewPath("data"))...)
}

func validateControllerRevision(cr *appsv1.ControllerRevision) field.ErrorList {
	allErrs := core.ValidateObjectMeta(&cr.ObjectMeta, apimachineryvalidation.NameIsDNSSubdomain, metaPath)
	return append(allErrs, core.ValidateNonnegativeField(cr.Revision, field.NewPath("revision"))...)
}

// Shared helpers.

// validateSelector validates a workload's selector, which must select
// something; kind names the workload in upstream's message.
func validateSelector(selector *metav1.LabelSelector, p *field.Path, kind string) field.ErrorList {
	if selector == nil {
		return field.ErrorList{field.Required(p, "")}
	}
	allErrs := core.ValidateLabelSelector(selector, p)
	if len(selector.MatchLabels)+len(selector.MatchExpressions) == 0 {
		allErrs = append(allErrs, field.Invalid(p, selector, "empty selector is invalid for "+kind))
	}
	return allErrs
}

// validateTemplateForSelector validates the template of a replica set or
// deployment and that the selector selects it.
func validateTemplateForSelector(template *corev1.PodTemplateSpec, ls *metav1.LabelSelector, p *field.Path, kind string) field.ErrorList {
	selector, err := metav1.LabelSelectorAsSelector(ls)
	if err != nil {
		return field.ErrorList{field.Invalid(p.Child("selector"), ls, "invalid label selector")}
	}
	tp := p.Child("template")
	allErrs := core.ValidatePodTemplateSpecForSelector(template, selector, tp)
	return append(allErrs, core.ValidateLongRunningTemplate(&template.Spec, tp, kind)...)
}

// ValidatePositiveIntOrPercent validates an int-or-percent bound: a
// non-negative integer or a well-formed percentage.
func ValidatePositiveIntOrPercent(v intstr.IntOrString, p *field.Path) field.ErrorList {
	switch v.Type {
	case intstr.String:
		var allErrs field.ErrorList
		for _, msg := range validation.IsValidPercent(v.StrVal) {
			allErrs = append(allErrs, field.Invalid(p, v, msg))
		}
		return allErrs
	case intstr.Int:
		return core.ValidateNonnegativeField(int64(v.IntValue()), p)
	}
	return field.ErrorList{field.Invalid(p, v, "must be an integer or percentage (e.g '5%%')")}
}

func percentValue(v intstr.IntOrString) (int, bool) {
	if v.Type != intstr.String || len(validation.IsValidPercent(v.StrVal)) != 0 {
		return 0, false
	}
	n, _ := strconv.Atoi(v.StrVal[:len(v.StrVal)-1])
	return n, true
}

func intOrPercentValue(v intstr.IntOrString) int {
	if n, ok := percentValue(v); ok {
		return n
	}
	return v.IntValue()
}

// IsNotMoreThan100Percent reports a percentage above 100%.
func IsNotMoreThan100Percent(v intstr.IntOrString, p *field.Path) field.ErrorList {
	if n, ok := percentValue(v); ok && n > 100 {
		return field.ErrorList{field.Invalid(p, v, "must not be greater than 100%")}
	}
	return nil
}

// validateCollisionCount refuses a collision count that goes down: it is
// part of the hash that names revisions.
func validateCollisionCount(count, old *int32, p *field.Path) field.ErrorList {
	decremented := (count == nil && old != nil) || (count != nil && old != nil && *count < *old)
	if !decremented {
		return nil
	}
	return field.ErrorList{field.Invalid(p.Child("collisionCount"), deref(count), "cannot be decremented")}
}

func appendOptional(counts []core.ReplicaCount, name string, v *int32) []core.ReplicaCount {
	if v == nil {
		return counts
	}
	return append(counts, core.ReplicaCount{Name: name, Value: int64(*v)})
}

func deref(p *int32) int32 {
	if p == nil {
		return 0
	}
	return *p
}

// intOrZero reads an optional int-or-percent as the internal type's zero
// value does when unset.
func intOrZero(v *intstr.IntOrString) intstr.IntOrString {
	if v == nil {
		return intstr.IntOrString{}
	}
	return *v
}
