package core

import (
	"maps"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/utils/ptr"
)

// addDefaultingFuncs registers upstream's defaults for the v1 kinds, as
// k8s.io/kubernetes v1.37 pkg/apis/core/v1 applies them with the default
// feature gates. ServiceAccount, Event, ComponentStatus and the option kinds
// have none (PodLogOptions.stream is defaulted only behind the alpha
// PodLogsQuerySplitStreams gate).
func addDefaultingFuncs(s *runtime.Scheme) error {
	s.AddTypeDefaultingFunc(&corev1.ConfigMap{}, func(obj any) { SetObjectDefaultsConfigMap(obj.(*corev1.ConfigMap)) })
	s.AddTypeDefaultingFunc(&corev1.ConfigMapList{}, func(obj any) { defaultEach(obj.(*corev1.ConfigMapList).Items, SetObjectDefaultsConfigMap) })
	s.AddTypeDefaultingFunc(&corev1.Endpoints{}, func(obj any) { SetObjectDefaultsEndpoints(obj.(*corev1.Endpoints)) })
	s.AddTypeDefaultingFunc(&corev1.EndpointsList{}, func(obj any) { defaultEach(obj.(*corev1.EndpointsList).Items, SetObjectDefaultsEndpoints) })
	s.AddTypeDefaultingFunc(&corev1.LimitRange{}, func(obj any) { SetObjectDefaultsLimitRange(obj.(*corev1.LimitRange)) })
	s.AddTypeDefaultingFunc(&corev1.LimitRangeList{}, func(obj any) { defaultEach(obj.(*corev1.LimitRangeList).Items, SetObjectDefaultsLimitRange) })
	s.AddTypeDefaultingFunc(&corev1.Namespace{}, func(obj any) { SetObjectDefaultsNamespace(obj.(*corev1.Namespace)) })
	s.AddTypeDefaultingFunc(&corev1.NamespaceList{}, func(obj any) { defaultEach(obj.(*corev1.NamespaceList).Items, SetObjectDefaultsNamespace) })
	s.AddTypeDefaultingFunc(&corev1.Node{}, func(obj any) { SetObjectDefaultsNode(obj.(*corev1.Node)) })
	s.AddTypeDefaultingFunc(&corev1.NodeList{}, func(obj any) { defaultEach(obj.(*corev1.NodeList).Items, SetObjectDefaultsNode) })
	s.AddTypeDefaultingFunc(&corev1.PersistentVolume{}, func(obj any) { SetObjectDefaultsPersistentVolume(obj.(*corev1.PersistentVolume)) })
	s.AddTypeDefaultingFunc(&corev1.PersistentVolumeList{}, func(obj any) {
		defaultEach(obj.(*corev1.PersistentVolumeList).Items, SetObjectDefaultsPersistentVolume)
	})
	s.AddTypeDefaultingFunc(&corev1.PersistentVolumeClaim{}, func(obj any) {
		SetObjectDefaultsPersistentVolumeClaim(obj.(*corev1.PersistentVolumeClaim))
	})
	s.AddTypeDefaultingFunc(&corev1.PersistentVolumeClaimList{}, func(obj any) {
		defaultEach(obj.(*corev1.PersistentVolumeClaimList).Items, SetObjectDefaultsPersistentVolumeClaim)
	})
	s.AddTypeDefaultingFunc(&corev1.Pod{}, func(obj any) { SetObjectDefaultsPod(obj.(*corev1.Pod)) })
	s.AddTypeDefaultingFunc(&corev1.PodList{}, func(obj any) { defaultEach(obj.(*corev1.PodList).Items, SetObjectDefaultsPod) })
	s.AddTypeDefaultingFunc(&corev1.PodTemplate{}, func(obj any) { SetObjectDefaultsPodTemplate(obj.(*corev1.PodTemplate)) })
	s.AddTypeDefaultingFunc(&corev1.PodTemplateList{}, func(obj any) { defaultEach(obj.(*corev1.PodTemplateList).Items, SetObjectDefaultsPodTemplate) })
	s.AddTypeDefaultingFunc(&corev1.ReplicationController{}, func(obj any) {
		SetObjectDefaultsReplicationController(obj.(*corev1.ReplicationController))
	})
	s.AddTypeDefaultingFunc(&corev1.ReplicationControllerList{}, func(obj any) {
		defaultEach(obj.(*corev1.ReplicationControllerList).Items, SetObjectDefaultsReplicationController)
	})
	s.AddTypeDefaultingFunc(&corev1.ResourceQuota{}, func(obj any) { SetObjectDefaultsResourceQuota(obj.(*corev1.ResourceQuota)) })
	s.AddTypeDefaultingFunc(&corev1.ResourceQuotaList{}, func(obj any) { defaultEach(obj.(*corev1.ResourceQuotaList).Items, SetObjectDefaultsResourceQuota) })
	s.AddTypeDefaultingFunc(&corev1.Secret{}, func(obj any) { SetObjectDefaultsSecret(obj.(*corev1.Secret)) })
	s.AddTypeDefaultingFunc(&corev1.SecretList{}, func(obj any) { defaultEach(obj.(*corev1.SecretList).Items, SetObjectDefaultsSecret) })
	s.AddTypeDefaultingFunc(&corev1.Service{}, func(obj any) { SetObjectDefaultsService(obj.(*corev1.Service)) })
	s.AddTypeDefaultingFunc(&corev1.ServiceList{}, func(obj any) { defaultEach(obj.(*corev1.ServiceList).Items, SetObjectDefaultsService) })
	return nil
}

// SetObjectDefaultsConfigMap gives a config map an empty data map, as
// upstream does; on the wire the empty map is omitted.
func SetObjectDefaultsConfigMap(cm *corev1.ConfigMap) {
	if cm.Data == nil {
		cm.Data = map[string]string{}
	}
}

// SetObjectDefaultsEndpoints applies upstream's Endpoints defaults.
func SetObjectDefaultsEndpoints(ep *corev1.Endpoints) {
	for i := range ep.Subsets {
		for j := range ep.Subsets[i].Ports {
			if p := &ep.Subsets[i].Ports[j]; p.Protocol == "" {
				p.Protocol = corev1.ProtocolTCP
			}
		}
	}
}

// SetObjectDefaultsLimitRange applies upstream's LimitRange defaults. For
// Container items the default limit falls back to max, and the default
// request to the default limit, then to min; both maps are always created.
func SetObjectDefaultsLimitRange(lr *corev1.LimitRange) {
	for i := range lr.Spec.Limits {
		item := &lr.Spec.Limits[i]
		if item.Type == corev1.LimitTypeContainer {
			if item.Default == nil {
				item.Default = corev1.ResourceList{}
			}
			if item.DefaultRequest == nil {
				item.DefaultRequest = corev1.ResourceList{}
			}
			addMissingQuantities(item.Default, item.Max)
			addMissingQuantities(item.DefaultRequest, item.Default)
			addMissingQuantities(item.DefaultRequest, item.Min)
		}
		SetDefaultsResourceList(item.Max)
		SetDefaultsResourceList(item.Min)
		SetDefaultsResourceList(item.Default)
		SetDefaultsResourceList(item.DefaultRequest)
		SetDefaultsResourceList(item.MaxLimitRequestRatio)
	}
}

// SetObjectDefaultsNamespace labels a named namespace with its own name (the
// registry keeps the label in sync; a generateName namespace is labelled
// there) and starts it Active. spec.finalizers are the registry's to set.
func SetObjectDefaultsNamespace(ns *corev1.Namespace) {
	if ns.Name != "" {
		if ns.Labels == nil {
			ns.Labels = map[string]string{}
		}
		ns.Labels[corev1.LabelMetadataName] = ns.Name
	}
	if ns.Status.Phase == "" {
		ns.Status.Phase = corev1.NamespaceActive
	}
}

// SetObjectDefaultsNode makes a node that reports only capacity allocate all
// of it.
func SetObjectDefaultsNode(n *corev1.Node) {
	if n.Status.Allocatable == nil && n.Status.Capacity != nil {
		n.Status.Allocatable = make(corev1.ResourceList, len(n.Status.Capacity))
		addMissingQuantities(n.Status.Allocatable, n.Status.Capacity)
	}
	SetDefaultsResourceList(n.Status.Capacity)
	SetDefaultsResourceList(n.Status.Allocatable)
}

// SetObjectDefaultsPersistentVolume applies upstream's PersistentVolume
// defaults: Pending, Retain, Filesystem, and the volume source's defaults.
func SetObjectDefaultsPersistentVolume(pv *corev1.PersistentVolume) {
	if pv.Status.Phase == "" {
		pv.Status.Phase = corev1.VolumePending
	}
	if pv.Spec.PersistentVolumeReclaimPolicy == "" {
		pv.Spec.PersistentVolumeReclaimPolicy = corev1.PersistentVolumeReclaimRetain
	}
	if pv.Spec.VolumeMode == nil {
		pv.Spec.VolumeMode = ptr.To(corev1.PersistentVolumeFilesystem)
	}
	SetDefaultsResourceList(pv.Spec.Capacity)
	SetDefaultsPersistentVolumeSource(&pv.Spec.PersistentVolumeSource)
}

// SetDefaultsPersistentVolumeSource applies the defaults of the in-tree
// volume plugins' persistent sources. A VolumeAttachment's inline spec gets
// these too.
func SetDefaultsPersistentVolumeSource(src *corev1.PersistentVolumeSource) {
	if src.HostPath != nil {
		defaultHostPath(src.HostPath)
	}
	if src.RBD != nil {
		defaultRBD(&src.RBD.RBDPool, &src.RBD.RadosUser, &src.RBD.Keyring)
	}
	if src.ISCSI != nil {
		defaultISCSIInterface(&src.ISCSI.ISCSIInterface)
	}
	if src.AzureDisk != nil {
		defaultAzureDisk(src.AzureDisk)
	}
	if src.ScaleIO != nil {
		defaultScaleIO(&src.ScaleIO.StorageMode, &src.ScaleIO.FSType)
	}
}

// SetObjectDefaultsPersistentVolumeClaim applies upstream's claim defaults; a
// StatefulSet's volumeClaimTemplates get them too, status phase included.
func SetObjectDefaultsPersistentVolumeClaim(pvc *corev1.PersistentVolumeClaim) {
	if pvc.Status.Phase == "" {
		pvc.Status.Phase = corev1.ClaimPending
	}
	defaultClaimSpec(&pvc.Spec)
	SetDefaultsResourceList(pvc.Status.Capacity)
	SetDefaultsResourceList(pvc.Status.AllocatedResources)
}

func defaultClaimSpec(spec *corev1.PersistentVolumeClaimSpec) {
	if spec.VolumeMode == nil {
		spec.VolumeMode = ptr.To(corev1.PersistentVolumeFilesystem)
	}
	SetDefaultsResourceList(spec.Resources.Limits)
	SetDefaultsResourceList(spec.Resources.Requests)
}

// SetObjectDefaultsPodTemplate gives the template's pod spec the defaults
// every embedded pod spec gets (see SetDefaultsPodSpec).
func SetObjectDefaultsPodTemplate(t *corev1.PodTemplate) {
	SetDefaultsPodSpec(&t.Template.Spec)
}

// SetObjectDefaultsReplicationController applies upstream's
// ReplicationController defaults: one replica, and selector and labels taken
// from the template's labels when unset.
func SetObjectDefaultsReplicationController(rc *corev1.ReplicationController) {
	// Upstream shares the template's map; copies keep a later edit of one
	// from changing the others.
	if rc.Spec.Template != nil && rc.Spec.Template.Labels != nil {
		if len(rc.Spec.Selector) == 0 {
			rc.Spec.Selector = maps.Clone(rc.Spec.Template.Labels)
		}
		if len(rc.Labels) == 0 {
			rc.Labels = maps.Clone(rc.Spec.Template.Labels)
		}
	}
	if rc.Spec.Replicas == nil {
		rc.Spec.Replicas = ptr.To[int32](1)
	}
	if rc.Spec.Template != nil {
		SetDefaultsPodSpec(&rc.Spec.Template.Spec)
	}
}

// SetObjectDefaultsResourceQuota rounds the quota's quantities as upstream does.
func SetObjectDefaultsResourceQuota(q *corev1.ResourceQuota) {
	SetDefaultsResourceList(q.Spec.Hard)
	SetDefaultsResourceList(q.Status.Hard)
	SetDefaultsResourceList(q.Status.Used)
}

// SetObjectDefaultsSecret makes an untyped secret Opaque, and merges
// stringData into data (MergeSecretStringData).
func SetObjectDefaultsSecret(s *corev1.Secret) {
	if s.Type == "" {
		s.Type = corev1.SecretTypeOpaque
	}
	MergeSecretStringData(s)
}

// MergeSecretStringData moves stringData into data, a key in both taking
// stringData's value, and clears stringData: it is write-only, as upstream's
// conversion to the internal type (which has no stringData) makes it, so
// that it is never stored or returned. Defaulting runs it as a request is
// decoded; the secret registry runs it again before create and update for
// the paths that do not decode (server-side apply).
func MergeSecretStringData(s *corev1.Secret) {
	s.Data = secretData(s)
	s.StringData = nil
}

// SetObjectDefaultsService applies upstream's Service defaults. clusterIP(s),
// ipFamilies and ipFamilyPolicy are not defaults: the registry's IP allocator
// sets them on create, because they depend on the cluster's service CIDRs.
// Node ports and healthCheckNodePort are allocated there too.
func SetObjectDefaultsService(svc *corev1.Service) {
	spec := &svc.Spec
	if spec.SessionAffinity == "" {
		spec.SessionAffinity = corev1.ServiceAffinityNone
	}
	switch spec.SessionAffinity {
	case corev1.ServiceAffinityNone:
		spec.SessionAffinityConfig = nil
	case corev1.ServiceAffinityClientIP:
		if c := spec.SessionAffinityConfig; c == nil || c.ClientIP == nil || c.ClientIP.TimeoutSeconds == nil {
			spec.SessionAffinityConfig = &corev1.SessionAffinityConfig{
				ClientIP: &corev1.ClientIPConfig{TimeoutSeconds: ptr.To(corev1.DefaultClientIPServiceAffinitySeconds)},
			}
		}
	}
	if spec.Type == "" {
		spec.Type = corev1.ServiceTypeClusterIP
	}
	for i := range spec.Ports {
		p := &spec.Ports[i]
		if p.Protocol == "" {
			p.Protocol = corev1.ProtocolTCP
		}
		if p.TargetPort == intstr.FromInt32(0) || p.TargetPort == intstr.FromString("") {
			p.TargetPort = intstr.FromInt32(p.Port)
		}
	}
	externallyAccessible := spec.Type == corev1.ServiceTypeLoadBalancer || spec.Type == corev1.ServiceTypeNodePort ||
		(spec.Type == corev1.ServiceTypeClusterIP && len(spec.ExternalIPs) > 0)
	if externallyAccessible && spec.ExternalTrafficPolicy == "" {
		spec.ExternalTrafficPolicy = corev1.ServiceExternalTrafficPolicyCluster
	}
	if spec.InternalTrafficPolicy == nil {
		switch spec.Type {
		case corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort, corev1.ServiceTypeLoadBalancer:
			spec.InternalTrafficPolicy = ptr.To(corev1.ServiceInternalTrafficPolicyCluster)
		}
	}
	if spec.Type == corev1.ServiceTypeLoadBalancer {
		if spec.AllocateLoadBalancerNodePorts == nil {
			spec.AllocateLoadBalancerNodePorts = ptr.To(true)
		}
		for i := range svc.Status.LoadBalancer.Ingress {
			if ing := &svc.Status.LoadBalancer.Ingress[i]; ing.IP != "" && ing.IPMode == nil {
				ing.IPMode = ptr.To(corev1.LoadBalancerIPModeVIP)
			}
		}
	}
}

// SetDefaultsResourceList rounds every quantity up to milli precision, as
// upstream does for API compatibility instead of rejecting finer values.
func SetDefaultsResourceList(l corev1.ResourceList) {
	const milli = -3
	for name, q := range l {
		q.RoundUp(milli)
		l[name] = q
	}
}

// defaultEach defaults each item of a list in place.
func defaultEach[T any](items []T, setDefaults func(*T)) {
	for i := range items {
		setDefaults(&items[i])
	}
}

// addMissingQuantities copies into dst each quantity of src that dst lacks.
func addMissingQuantities(dst, src corev1.ResourceList) {
	for name, q := range src {
		if _, ok := dst[name]; !ok {
			dst[name] = q.DeepCopy()
		}
	}
}
