package node

import (
	corev1 "k8s.io/api/core/v1"
)

// refKind is a kind of object a pod refers to.
type refKind int

const (
	refSecret refKind = iota
	refConfigMap
	refClaim
	refServiceAccount
	refResourceClaim
)

// podRefers reports whether the pod refers to the named object of the
// kind, in any of the places upstream's graph looks: volumes (and their
// plugins' secret references), projected sources, image pull secrets,
// the environment of every container, the service account, claims
// (generic ephemeral volumes' too) and resource claims.
func podRefers(p *corev1.Pod, kind refKind, name string) bool {
	found := false
	visit := func(n string) bool {
		if n == name {
			found = true
		}
		return !found
	}
	switch kind {
	case refSecret:
		VisitPodSecretNames(p, visit)
	case refConfigMap:
		VisitPodConfigMapNames(p, visit)
	case refClaim:
		for _, c := range claimNames(p) {
			visit(c)
		}
	case refServiceAccount:
		visit(p.Spec.ServiceAccountName)
	case refResourceClaim:
		for _, s := range p.Status.ResourceClaimStatuses {
			if s.ResourceClaimName != nil {
				visit(*s.ResourceClaimName)
			}
		}
		for _, c := range p.Spec.ResourceClaims {
			if c.ResourceClaimName != nil {
				visit(*c.ResourceClaimName)
			}
		}
	}
	return found
}

// containers calls f for every container of the pod, init and ephemeral
// containers included.
func containers(p *corev1.Pod, f func(env []corev1.EnvVar, from []corev1.EnvFromSource)) {
	for _, c := range p.Spec.InitContainers {
		f(c.Env, c.EnvFrom)
	}
	for _, c := range p.Spec.Containers {
		f(c.Env, c.EnvFrom)
	}
	for _, c := range p.Spec.EphemeralContainers {
		f(c.Env, c.EnvFrom)
	}
}

// VisitPodSecretNames calls visit with the name of every Secret the pod
// refers to (upstream's VisitPodSecretNames): image pull secrets, the
// containers' environment, secret and projected volumes and the volume
// plugins' secret references. Names may repeat or be empty; visit's
// result is ignored.
func VisitPodSecretNames(p *corev1.Pod, visit func(string) bool) {
	for _, s := range p.Spec.ImagePullSecrets {
		visit(s.Name)
	}
	containers(p, func(env []corev1.EnvVar, from []corev1.EnvFromSource) {
		for _, e := range from {
			if e.SecretRef != nil {
				visit(e.SecretRef.Name)
			}
		}
		for _, e := range env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				visit(e.ValueFrom.SecretKeyRef.Name)
			}
		}
	})
	for _, v := range p.Spec.Volumes {
		s := v.VolumeSource
		switch {
		case s.Secret != nil:
			visit(s.Secret.SecretName)
		case s.Projected != nil:
			for _, src := range s.Projected.Sources {
				if src.Secret != nil {
					visit(src.Secret.Name)
				}
			}
		case s.AzureFile != nil:
			visit(s.AzureFile.SecretName)
		case s.CephFS != nil && s.CephFS.SecretRef != nil:
			visit(s.CephFS.SecretRef.Name)
		case s.Cinder != nil && s.Cinder.SecretRef != nil:
			visit(s.Cinder.SecretRef.Name)
		case s.FlexVolume != nil && s.FlexVolume.SecretRef != nil:
			visit(s.FlexVolume.SecretRef.Name)
		case s.ISCSI != nil && s.ISCSI.SecretRef != nil:
			visit(s.ISCSI.SecretRef.Name)
		case s.RBD != nil && s.RBD.SecretRef != nil:
			visit(s.RBD.SecretRef.Name)
		case s.ScaleIO != nil && s.ScaleIO.SecretRef != nil:
			visit(s.ScaleIO.SecretRef.Name)
		case s.StorageOS != nil && s.StorageOS.SecretRef != nil:
			visit(s.StorageOS.SecretRef.Name)
		case s.CSI != nil && s.CSI.NodePublishSecretRef != nil:
			visit(s.CSI.NodePublishSecretRef.Name)
		}
	}
}

// VisitPodConfigMapNames calls visit with the name of every ConfigMap the
// pod refers to: the containers' environment, configMap and projected
// volumes.
func VisitPodConfigMapNames(p *corev1.Pod, visit func(string) bool) {
	containers(p, func(env []corev1.EnvVar, from []corev1.EnvFromSource) {
		for _, e := range from {
			if e.ConfigMapRef != nil {
				visit(e.ConfigMapRef.Name)
			}
		}
		for _, e := range env {
			if e.ValueFrom != nil && e.ValueFrom.ConfigMapKeyRef != nil {
				visit(e.ValueFrom.ConfigMapKeyRef.Name)
			}
		}
	})
	for _, v := range p.Spec.Volumes {
		switch s := v.VolumeSource; {
		case s.ConfigMap != nil:
			visit(s.ConfigMap.Name)
		case s.Projected != nil:
			for _, src := range s.Projected.Sources {
				if src.ConfigMap != nil {
					visit(src.ConfigMap.Name)
				}
			}
		}
	}
}

// claimNames are the claims the pod's volumes use; a generic ephemeral
// volume's claim is named <pod>-<volume>.
func claimNames(p *corev1.Pod) []string {
	var out []string
	for _, v := range p.Spec.Volumes {
		switch {
		case v.PersistentVolumeClaim != nil:
			out = append(out, v.PersistentVolumeClaim.ClaimName)
		case v.Ephemeral != nil:
			out = append(out, p.Name+"-"+v.Name)
		}
	}
	return out
}

// volumeSecrets are the Secrets a PersistentVolume's plugin needs on the
// node.
func volumeSecrets(v *corev1.PersistentVolume) []corev1.SecretReference {
	var out []corev1.SecretReference
	add := func(r *corev1.SecretReference) {
		if r != nil {
			out = append(out, *r)
		}
	}
	s := v.Spec.PersistentVolumeSource
	switch {
	case s.CSI != nil:
		add(s.CSI.NodePublishSecretRef)
		add(s.CSI.NodeStageSecretRef)
		add(s.CSI.NodeExpandSecretRef)
	case s.CephFS != nil:
		add(s.CephFS.SecretRef)
	case s.Cinder != nil:
		add(s.Cinder.SecretRef)
	case s.ISCSI != nil:
		add(s.ISCSI.SecretRef)
	case s.RBD != nil:
		add(s.RBD.SecretRef)
	case s.ScaleIO != nil:
		add(s.ScaleIO.SecretRef)
	case s.StorageOS != nil && s.StorageOS.SecretRef != nil:
		out = append(out, corev1.SecretReference{Namespace: s.StorageOS.SecretRef.Namespace, Name: s.StorageOS.SecretRef.Name})
	case s.AzureFile != nil && s.AzureFile.SecretNamespace != nil:
		out = append(out, corev1.SecretReference{Namespace: *s.AzureFile.SecretNamespace, Name: s.AzureFile.SecretName})
	case s.FlexVolume != nil:
		add(s.FlexVolume.SecretRef)
	}
	return out
}
