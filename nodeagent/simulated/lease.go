package simulated

import (
	"context"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

// leaseRetry is how soon a failed renewal is tried again: well within the
// lease duration, not so soon that an overloaded server gets a storm.
const leaseRetry = time.Second

// firstRenewal is how long after registration node i first renews its
// lease: i/count of the interval, which spreads the renewals of all nodes
// evenly over it.
func firstRenewal(i, count int, interval time.Duration) time.Duration {
	return time.Duration(int64(interval) * int64(i) / int64(count))
}

// runLeases renews every registered node's lease each RenewInterval until
// ctx ends, Workers at a time.
func (a *Agent) runLeases(ctx context.Context) {
	for name, i := range a.index {
		a.leaseQueue.AddAfter(name, firstRenewal(i, a.cfg.Count, a.cfg.RenewInterval))
	}
	runWorkers(ctx, a.cfg.Workers, a.leaseQueue, func(ctx context.Context, name string) {
		logger := klog.FromContext(ctx)
		node, err := a.nodeLister.Get(name)
		if apierrors.IsNotFound(err) {
			// Deleted: as upstream kubelet, stop heartbeating for it.
			logger.Info("Simulated node was deleted; no longer renewing its lease", "node", name)
			return
		}
		if err == nil {
			err = a.renewLease(ctx, name, node.UID)
		}
		if err != nil {
			logger.Error(err, "Failed to renew lease", "node", name)
			a.leaseQueue.AddAfter(name, leaseRetry)
			return
		}
		a.leaseQueue.AddAfter(name, a.cfg.RenewInterval)
	})
}

// renewLease renews node name's lease from the one last written, which
// costs one request. The first time, it creates the lease, which is one
// request for a new node. When either fails (conflict, deleted, exists) it
// reads the lease, or creates it, and renews that.
func (a *Agent) renewLease(ctx context.Context, name string, uid types.UID) error {
	leases := a.cfg.Client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	a.mu.Lock()
	base := a.leases[name]
	a.mu.Unlock()
	if base != nil {
		lease, err := leases.Update(ctx, a.renewed(base, name, uid), metav1.UpdateOptions{})
		if err == nil {
			a.keepLease(lease)
			return nil
		}
		if !apierrors.IsConflict(err) && !apierrors.IsNotFound(err) {
			return fmt.Errorf("update lease %s: %w", name, err)
		}
	} else {
		lease, err := leases.Create(ctx, a.renewed(nil, name, uid), metav1.CreateOptions{})
		if err == nil {
			a.keepLease(lease)
			return nil
		}
		if !apierrors.IsAlreadyExists(err) {
			return fmt.Errorf("create lease %s: %w", name, err)
		}
	}
	cur, err := leases.Get(ctx, name, metav1.GetOptions{})
	if apierrors.IsNotFound(err) {
		lease, err := leases.Create(ctx, a.renewed(nil, name, uid), metav1.CreateOptions{})
		if err != nil {
			return fmt.Errorf("create lease %s: %w", name, err)
		}
		a.keepLease(lease)
		return nil
	}
	if err != nil {
		return fmt.Errorf("get lease %s: %w", name, err)
	}
	lease, err := leases.Update(ctx, a.renewed(cur, name, uid), metav1.UpdateOptions{})
	if err != nil {
		return fmt.Errorf("update lease %s: %w", name, err)
	}
	a.keepLease(lease)
	return nil
}

func (a *Agent) keepLease(lease *coordinationv1.Lease) {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.leases[lease.Name] = lease
}

// renewed is base renewed now, or a new lease held by the node. As
// upstream's lease controller, the holder of an existing lease is kept, and
// the owner reference to the Node (so that deleting the node deletes its
// lease) is added when missing.
func (a *Agent) renewed(base *coordinationv1.Lease, name string, uid types.UID) *coordinationv1.Lease {
	var lease *coordinationv1.Lease
	if base == nil {
		lease = &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: name, Namespace: corev1.NamespaceNodeLease},
			Spec:       coordinationv1.LeaseSpec{HolderIdentity: ptr.To(name)},
		}
	} else {
		lease = base.DeepCopy()
	}
	lease.Spec.LeaseDurationSeconds = ptr.To(int32(a.cfg.LeaseDuration / time.Second))
	lease.Spec.RenewTime = &metav1.MicroTime{Time: a.cfg.Clock.Now()}
	if len(lease.OwnerReferences) == 0 && uid != "" {
		lease.OwnerReferences = []metav1.OwnerReference{{
			APIVersion: corev1.SchemeGroupVersion.Version,
			Kind:       "Node",
			Name:       name,
			UID:        uid,
		}}
	}
	return lease
}
