package node

import (
	"context"
	"fmt"
	"time"

	coordinationv1 "k8s.io/api/coordination/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
	"k8s.io/utils/ptr"
)

const (
	// maxLeaseUpdateRetries and maxLeaseBackoff are upstream's lease
	// controller's maxUpdateRetries and maxBackoff.
	maxLeaseUpdateRetries = 5
	maxLeaseBackoff       = 7 * time.Second
)

// runLease renews the node's Lease every RenewInterval until ctx ends, as
// upstream's k8s.io/component-helpers/apimachinery/lease controller (less
// its 4% jitter: one agent per node has no herd to spread).
func (a *Agent) runLease(ctx context.Context) {
	for {
		a.syncLease(ctx)
		t := a.cfg.Clock.NewTimer(a.cfg.RenewInterval)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C():
		}
	}
}

// syncLease renews from the lease it last wrote, which costs one request;
// when that fails it reads (or creates) the lease and renews that.
func (a *Agent) syncLease(ctx context.Context) {
	logger := klog.FromContext(ctx)
	if a.latestLease != nil {
		err := a.retryUpdateLease(ctx, a.latestLease)
		if err == nil {
			return
		}
		logger.Info("Failed to update lease using latest lease, fallback to ensure lease", "err", err)
	}
	lease, created := a.backoffEnsureLease(ctx)
	a.latestLease = lease
	if !created && lease != nil {
		if err := a.retryUpdateLease(ctx, lease); err != nil {
			logger.Error(err, "Will retry updating lease", "interval", a.cfg.RenewInterval)
		}
	}
}

// backoffEnsureLease gets or creates the lease, retrying with backoff until
// it succeeds or ctx ends (nil). created reports that it created one, which
// needs no renewal.
func (a *Agent) backoffEnsureLease(ctx context.Context) (lease *coordinationv1.Lease, created bool) {
	logger := klog.FromContext(ctx)
	sleep := 100 * time.Millisecond
	for {
		lease, created, err := a.ensureLease(ctx)
		if err == nil {
			return lease, created
		}
		sleep = min(2*sleep, maxLeaseBackoff)
		logger.Error(err, "Failed to ensure lease exists, will retry", "interval", sleep)
		t := a.cfg.Clock.NewTimer(sleep)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, false
		case <-t.C():
		}
	}
}

func (a *Agent) ensureLease(ctx context.Context) (*coordinationv1.Lease, bool, error) {
	leases := a.cfg.Client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	lease, err := leases.Get(ctx, a.cfg.NodeName, metav1.GetOptions{})
	if err == nil {
		return lease, false, nil
	}
	if !apierrors.IsNotFound(err) {
		return nil, false, fmt.Errorf("get lease: %w", err)
	}
	lease, err = leases.Create(ctx, a.newLease(ctx, nil), metav1.CreateOptions{})
	if err != nil {
		return nil, false, fmt.Errorf("create lease: %w", err)
	}
	return lease, true, nil
}

// retryUpdateLease renews base, re-reading it after a conflict.
func (a *Agent) retryUpdateLease(ctx context.Context, base *coordinationv1.Lease) error {
	logger := klog.FromContext(ctx)
	leases := a.cfg.Client.CoordinationV1().Leases(corev1.NamespaceNodeLease)
	for i := 0; i < maxLeaseUpdateRetries; i++ {
		lease, err := leases.Update(ctx, a.newLease(ctx, base), metav1.UpdateOptions{})
		if err == nil {
			a.latestLease = lease
			return nil
		}
		logger.Error(err, "Failed to update lease")
		if ctx.Err() != nil {
			return ctx.Err()
		}
		if apierrors.IsConflict(err) {
			if base, _ = a.backoffEnsureLease(ctx); base == nil {
				return ctx.Err()
			}
		}
	}
	return fmt.Errorf("failed %d attempts to update lease", maxLeaseUpdateRetries)
}

// newLease returns base renewed now, or a new lease held by this node. The
// holder of an existing lease is kept, as upstream does. The owner reference
// to the Node (so that deleting the node deletes its lease) is added when
// missing, once the node's UID can be read.
func (a *Agent) newLease(ctx context.Context, base *coordinationv1.Lease) *coordinationv1.Lease {
	var lease *coordinationv1.Lease
	if base == nil {
		lease = &coordinationv1.Lease{
			ObjectMeta: metav1.ObjectMeta{Name: a.cfg.NodeName, Namespace: corev1.NamespaceNodeLease},
			Spec:       coordinationv1.LeaseSpec{HolderIdentity: ptr.To(a.cfg.NodeName)},
		}
	} else {
		lease = base.DeepCopy()
	}
	lease.Spec.LeaseDurationSeconds = ptr.To(int32(a.cfg.LeaseDuration / time.Second))
	lease.Spec.RenewTime = &metav1.MicroTime{Time: a.cfg.Clock.Now()}
	if len(lease.OwnerReferences) == 0 {
		node, err := a.cfg.Client.CoreV1().Nodes().Get(ctx, a.cfg.NodeName, metav1.GetOptions{})
		if err != nil {
			klog.FromContext(ctx).Error(err, "Failed to get node when trying to set owner ref to the node lease")
		} else {
			lease.OwnerReferences = []metav1.OwnerReference{{
				APIVersion: corev1.SchemeGroupVersion.Version,
				Kind:       "Node",
				Name:       a.cfg.NodeName,
				UID:        node.UID,
			}}
		}
	}
	return lease
}
