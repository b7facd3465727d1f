package apiserver

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"
)

// systemNamespaces exist in every cluster, as upstream's system namespaces
// controller makes them.
var systemNamespaces = []string{metav1.NamespaceDefault, metav1.NamespaceSystem, metav1.NamespacePublic, corev1.NamespaceNodeLease}

// systemPriorityClasses exist in every cluster, as upstream's scheduling
// post-start hook makes them. Their names and values are the ones
// apis/scheduling validation reserves.
var systemPriorityClasses = []schedulingv1.PriorityClass{
	{
		ObjectMeta:  metav1.ObjectMeta{Name: "system-node-critical"},
		Value:       2000001000,
		Description: "Used for system critical pods that must not be moved from their current node.",
	},
	{
		ObjectMeta:  metav1.ObjectMeta{Name: "system-cluster-critical"},
		Value:       2000000000,
		Description: "Used for system critical pods that must run in the cluster, but can be moved to another node if necessary.",
	},
}

// installBootstrap creates the objects every cluster starts with, once the
// server serves: the system namespaces, the system priority classes, the
// default ServiceCIDR (servicecidr.go), the kubernetes service and the cluster DNS service, and the
// default StorageClass (storageclass.go). It retries until they exist: readiness waits for it.
func installBootstrap(s *genericapiserver.GenericAPIServer, c *Config) error {
	if err := installServiceCIDRs(s, c); err != nil {
		return err
	}
	if err := installDefaultStorageClass(s, c); err != nil {
		return err
	}
	// Upstream's hook name, which /readyz?verbose lists.
	err := s.AddPostStartHook("scheduling/bootstrap-system-priority-classes", func(hc genericapiserver.PostStartHookContext) error {
		client, err := kubernetes.NewForConfig(hc.LoopbackClientConfig)
		if err != nil {
			return fmt.Errorf("bootstrap client: %w", err)
		}
		// A class that exists is left as it is: validation keeps the
		// values of system classes fixed.
		return wait.PollUntilContextCancel(hc, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			for i := range systemPriorityClasses {
				pc := &systemPriorityClasses[i]
				if _, err := client.SchedulingV1().PriorityClasses().Create(ctx, pc, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
					klog.FromContext(ctx).V(2).Info("System priority class not created yet", "priorityClass", pc.Name, "err", err)
					return false, nil
				}
			}
			return true, nil
		})
	})
	if err != nil {
		return err
	}
	return s.AddPostStartHook("kubeshim-bootstrap", func(hc genericapiserver.PostStartHookContext) error {
		client, err := kubernetes.NewForConfig(hc.LoopbackClientConfig)
		if err != nil {
			return fmt.Errorf("bootstrap client: %w", err)
		}
		err = wait.PollUntilContextCancel(hc, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			for _, name := range systemNamespaces {
				ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}
				if _, err := client.CoreV1().Namespaces().Create(ctx, ns, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
					return false, nil
				}
			}
			return true, nil
		})
		if err != nil {
			return err
		}
		first, err := firstIP(c.ServiceIPRange)
		if err != nil {
			return err
		}
		k := &kubernetesService{client: client, clusterIP: first, address: c.AdvertiseAddress, port: int32(c.Options.SecureServing.BindPort)}
		// The first sync is part of start-up, so that a ready server has
		// its service; later ones repair it every 10 s.
		err = wait.PollUntilContextCancel(hc, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			if err := k.sync(ctx); err != nil {
				klog.FromContext(ctx).V(2).Info("Kubernetes service not reconciled yet", "err", err)
				return false, nil
			}
			return true, nil
		})
		go k.run(hc, 10*time.Second)
		if err != nil {
			return err
		}
		return wait.PollUntilContextCancel(hc, 100*time.Millisecond, true, func(ctx context.Context) (bool, error) {
			if err := ensureClusterDNSService(ctx, client, c.ServiceIPRange); err != nil {
				klog.FromContext(ctx).V(2).Info("Cluster DNS service not created yet", "err", err)
				return false, nil
			}
			return true, nil
		})
	})
}
