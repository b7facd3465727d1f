package apps

import (
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/apis/core"
)

// addDefaultingFuncs registers upstream's defaults for the group's kinds, as
// k8s.io/kubernetes v1.37 pkg/apis/apps/v1 applies them with the default
// feature gates. ControllerRevision has none.
func addDefaultingFuncs(s *runtime.Scheme) error {
	s.AddTypeDefaultingFunc(&appsv1.DaemonSet{}, func(obj any) { SetObjectDefaultsDaemonSet(obj.(*appsv1.DaemonSet)) })
	s.AddTypeDefaultingFunc(&appsv1.DaemonSetList{}, func(obj any) { defaultEach(obj.(*appsv1.DaemonSetList).Items, SetObjectDefaultsDaemonSet) })
	s.AddTypeDefaultingFunc(&appsv1.Deployment{}, func(obj any) { SetObjectDefaultsDeployment(obj.(*appsv1.Deployment)) })
	s.AddTypeDefaultingFunc(&appsv1.DeploymentList{}, func(obj any) { defaultEach(obj.(*appsv1.DeploymentList).Items, SetObjectDefaultsDeployment) })
	s.AddTypeDefaultingFunc(&appsv1.ReplicaSet{}, func(obj any) { SetObjectDefaultsReplicaSet(obj.(*appsv1.ReplicaSet)) })
	s.AddTypeDefaultingFunc(&appsv1.ReplicaSetList{}, func(obj any) { defaultEach(obj.(*appsv1.ReplicaSetList).Items, SetObjectDefaultsReplicaSet) })
	s.AddTypeDefaultingFunc(&appsv1.StatefulSet{}, func(obj any) { SetObjectDefaultsStatefulSet(obj.(*appsv1.StatefulSet)) })
	s.AddTypeDefaultingFunc(&appsv1.StatefulSetList{}, func(obj any) { defaultEach(obj.(*appsv1.StatefulSetList).Items, SetObjectDefaultsStatefulSet) })
	return nil
}

// SetObjectDefaultsDeployment applies upstream's Deployment defaults: one
// replica, a 25%/25% rolling update, ten old ReplicaSets kept, and a 600s
// progress deadline.
func SetObjectDefaultsDeployment(d *appsv1.Deployment) {
	spec := &d.Spec
	if spec.Replicas == nil {
		spec.Replicas = ptr.To[int32](1)
	}
	if spec.Strategy.Type == "" {
		spec.Strategy.Type = appsv1.RollingUpdateDeploymentStrategyType
	}
	if spec.Strategy.Type == appsv1.RollingUpdateDeploymentStrategyType {
		if spec.Strategy.RollingUpdate == nil {
			spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{}
		}
		ru := spec.Strategy.RollingUpdate
		if ru.MaxUnavailable == nil {
			ru.MaxUnavailable = ptr.To(intstr.FromString("25%"))
		}
		if ru.MaxSurge == nil {
			ru.MaxSurge = ptr.To(intstr.FromString("25%"))
		}
	}
	if spec.RevisionHistoryLimit == nil {
		spec.RevisionHistoryLimit = ptr.To[int32](10)
	}
	if spec.ProgressDeadlineSeconds == nil {
		spec.ProgressDeadlineSeconds = ptr.To[int32](600)
	}
	core.SetDefaultsPodSpec(&spec.Template.Spec)
}

// SetObjectDefaultsDaemonSet applies upstream's DaemonSet defaults: a rolling
// update one node at a time without surge, and ten old revisions kept.
func SetObjectDefaultsDaemonSet(ds *appsv1.DaemonSet) {
	spec := &ds.Spec
	if spec.UpdateStrategy.Type == "" {
		spec.UpdateStrategy.Type = appsv1.RollingUpdateDaemonSetStrategyType
	}
	if spec.UpdateStrategy.Type == appsv1.RollingUpdateDaemonSetStrategyType {
		if spec.UpdateStrategy.RollingUpdate == nil {
			spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateDaemonSet{}
		}
		ru := spec.UpdateStrategy.RollingUpdate
		if ru.MaxUnavailable == nil {
			ru.MaxUnavailable = ptr.To(intstr.FromInt32(1))
		}
		if ru.MaxSurge == nil {
			ru.MaxSurge = ptr.To(intstr.FromInt32(0))
		}
	}
	if spec.RevisionHistoryLimit == nil {
		spec.RevisionHistoryLimit = ptr.To[int32](10)
	}
	core.SetDefaultsPodSpec(&spec.Template.Spec)
}

// SetObjectDefaultsStatefulSet applies upstream's StatefulSet defaults.
// maxUnavailable is defaulted because MaxUnavailableStatefulSet is on by
// default since 1.37. Claim templates get a claim's defaults, status phase
// Pending included, as upstream stores them.
func SetObjectDefaultsStatefulSet(ss *appsv1.StatefulSet) {
	spec := &ss.Spec
	if spec.PodManagementPolicy == "" {
		spec.PodManagementPolicy = appsv1.OrderedReadyPodManagement
	}
	// Only an unset strategy type gets a rollingUpdate block; an explicit
	// RollingUpdate without one stays without one.
	if spec.UpdateStrategy.Type == "" {
		spec.UpdateStrategy.Type = appsv1.RollingUpdateStatefulSetStrategyType
		if spec.UpdateStrategy.RollingUpdate == nil {
			spec.UpdateStrategy.RollingUpdate = &appsv1.RollingUpdateStatefulSetStrategy{}
		}
	}
	if ru := spec.UpdateStrategy.RollingUpdate; spec.UpdateStrategy.Type == appsv1.RollingUpdateStatefulSetStrategyType && ru != nil {
		if ru.Partition == nil {
			ru.Partition = ptr.To[int32](0)
		}
		if ru.MaxUnavailable == nil {
			ru.MaxUnavailable = ptr.To(intstr.FromInt32(1))
		}
	}
	if spec.PersistentVolumeClaimRetentionPolicy == nil {
		spec.PersistentVolumeClaimRetentionPolicy = &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{}
	}
	if p := spec.PersistentVolumeClaimRetentionPolicy; p.WhenDeleted == "" {
		p.WhenDeleted = appsv1.RetainPersistentVolumeClaimRetentionPolicyType
	}
	if p := spec.PersistentVolumeClaimRetentionPolicy; p.WhenScaled == "" {
		p.WhenScaled = appsv1.RetainPersistentVolumeClaimRetentionPolicyType
	}
	if spec.Replicas == nil {
		spec.Replicas = ptr.To[int32](1)
	}
	if spec.RevisionHistoryLimit == nil {
		spec.RevisionHistoryLimit = ptr.To[int32](10)
	}
	core.SetDefaultsPodSpec(&spec.Template.Spec)
	for i := range spec.VolumeClaimTemplates {
		core.SetObjectDefaultsPersistentVolumeClaim(&spec.VolumeClaimTemplates[i])
	}
}

// SetObjectDefaultsReplicaSet applies upstream's ReplicaSet defaults.
func SetObjectDefaultsReplicaSet(rs *appsv1.ReplicaSet) {
	if rs.Spec.Replicas == nil {
		rs.Spec.Replicas = ptr.To[int32](1)
	}
	core.SetDefaultsPodSpec(&rs.Spec.Template.Spec)
}

// defaultEach defaults each item of a list in place.
func defaultEach[T any](items []T, setDefaults func(*T)) {
	for i := range items {
		setDefaults(&items[i])
	}
}
