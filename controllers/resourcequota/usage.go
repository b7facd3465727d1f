package resourcequota

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	corelisters "k8s.io/client-go/listers/core/v1"

	"github.com/kubeshim/kubeshim/apis/core"
)

// listers are what usage is computed from.
type listers struct {
	pods       corelisters.PodLister
	services   corelisters.ServiceLister
	configMaps corelisters.ConfigMapLister
	secrets    corelisters.SecretLister
	claims     corelisters.PersistentVolumeClaimLister
	rcs        corelisters.ReplicationControllerLister
	quotas     corelisters.ResourceQuotaLister
}

// counted maps the object-count names a quota may use (both the legacy
// names and count/<resource>) to a function counting them.
func (l listers) counted(ns string) map[corev1.ResourceName]func() (int, error) {
	count := func(n int, err error) (int, error) { return n, err }
	pods := func() (int, error) {
		all, err := l.pods.Pods(ns).List(labels.Everything())
		return len(activePods(all)), err
	}
	m := map[corev1.ResourceName]func() (int, error){
		corev1.ResourcePods: pods,
		corev1.ResourceServices: func() (int, error) {
			s, err := l.services.Services(ns).List(labels.Everything())
			return count(len(s), err)
		},
		corev1.ResourceServicesLoadBalancers: func() (int, error) { return l.servicesOf(ns, corev1.ServiceTypeLoadBalancer) },
		corev1.ResourceServicesNodePorts: func() (int, error) {
			s, err := l.services.Services(ns).List(labels.Everything())
			n := 0
			for _, svc := range s {
				if svc.Spec.Type == corev1.ServiceTypeNodePort || svc.Spec.Type == corev1.ServiceTypeLoadBalancer {
					for _, p := range svc.Spec.Ports {
						if p.NodePort != 0 {
							n++
						}
					}
				}
			}
			return n, err
		},
		corev1.ResourceConfigMaps: func() (int, error) {
			s, err := l.configMaps.ConfigMaps(ns).List(labels.Everything())
			return count(len(s), err)
		},
		corev1.ResourceSecrets: func() (int, error) {
			s, err := l.secrets.Secrets(ns).List(labels.Everything())
			return count(len(s), err)
		},
		corev1.ResourcePersistentVolumeClaims: func() (int, error) {
			s, err := l.claims.PersistentVolumeClaims(ns).List(labels.Everything())
			return count(len(s), err)
		},
		corev1.ResourceReplicationControllers: func() (int, error) {
			s, err := l.rcs.ReplicationControllers(ns).List(labels.Everything())
			return count(len(s), err)
		},
		corev1.ResourceQuotas: func() (int, error) {
			s, err := l.quotas.ResourceQuotas(ns).List(labels.Everything())
			return count(len(s), err)
		},
	}
	for _, gr := range []schema.GroupResource{
		corev1.Resource("pods"), corev1.Resource("services"), corev1.Resource("configmaps"), corev1.Resource("secrets"),
		corev1.Resource("persistentvolumeclaims"), corev1.Resource("replicationcontrollers"), corev1.Resource("resourcequotas"),
	} {
		legacy := corev1.ResourceName(gr.Resource)
		m[corev1.ResourceName("count/"+gr.String())] = m[legacy]
	}
	return m
}

func (l listers) servicesOf(ns string, t corev1.ServiceType) (int, error) {
	s, err := l.services.Services(ns).List(labels.Everything())
	n := 0
	for _, svc := range s {
		if svc.Spec.Type == t {
			n++
		}
	}
	return n, err
}

// activePods are the pods that hold resources: not finished, not deleted.
func activePods(pods []*corev1.Pod) []*corev1.Pod {
	var out []*corev1.Pod
	for _, p := range pods {
		if p.Status.Phase == corev1.PodSucceeded || p.Status.Phase == corev1.PodFailed || p.DeletionTimestamp != nil {
			continue
		}
		out = append(out, p)
	}
	return out
}

// compute returns the namespace's pods' requests and limits under the
// names quotas use: requests.cpu (and its legacy alias cpu), limits.memory,
// requests.storage of claims, and so on.
func (l listers) compute(ns string) (corev1.ResourceList, error) {
	pods, err := l.pods.Pods(ns).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	used := corev1.ResourceList{}
	add := func(name corev1.ResourceName, q resource.Quantity) {
		sum := used[name]
		sum.Add(q)
		used[name] = sum
	}
	for _, p := range activePods(pods) {
		for name, q := range core.PodResources(p, core.Requests, true) {
			add(corev1.ResourceName("requests."+string(name)), q)
			if name == corev1.ResourceCPU || name == corev1.ResourceMemory || name == corev1.ResourceEphemeralStorage {
				add(name, q)
			}
		}
		for name, q := range core.PodResources(p, core.Limits, true) {
			add(corev1.ResourceName("limits."+string(name)), q)
		}
	}
	claims, err := l.claims.PersistentVolumeClaims(ns).List(labels.Everything())
	if err != nil {
		return nil, err
	}
	for _, c := range claims {
		if q, ok := c.Spec.Resources.Requests[corev1.ResourceStorage]; ok {
			add(corev1.ResourceRequestsStorage, q)
			if c.Spec.StorageClassName != nil {
				add(corev1.ResourceName(*c.Spec.StorageClassName+".storageclass.storage.k8s.io/requests.storage"), q)
			}
		}
	}
	return used, nil
}

// usage computes status.used for the names in hard; names it does not know
// are reported as 0 used, as an upstream evaluator with nothing to count.
func (l listers) usage(ns string, hard corev1.ResourceList) (corev1.ResourceList, error) {
	counters := l.counted(ns)
	var computed corev1.ResourceList
	used := corev1.ResourceList{}
	for name := range hard {
		if count, ok := counters[name]; ok {
			n, err := count()
			if err != nil {
				return nil, err
			}
			used[name] = *resource.NewQuantity(int64(n), resource.DecimalSI)
			continue
		}
		if computed == nil {
			var err error
			if computed, err = l.compute(ns); err != nil {
				return nil, err
			}
		}
		if q, ok := computed[name]; ok {
			used[name] = q
		} else {
			used[name] = resource.MustParse("0")
		}
	}
	return used, nil
}
