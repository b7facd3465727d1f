package apiserver

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"time"

	rbacv1 "k8s.io/api/rbac/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	genericapiserver "k8s.io/apiserver/pkg/server"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"k8s.io/client-go/util/workqueue"
	"k8s.io/component-helpers/auth/rbac/reconciliation"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/registry/rbac/bootstrappolicy"
)

// installRBACBootstrap reconciles the bootstrap policy at every start, as
// kube-apiserver's rbac/bootstrap-roles hook does: missing roles and
// bindings are created, and those annotated
// rbac.authorization.kubernetes.io/autoupdate=true get back the rules,
// aggregation selectors and subjects they lost (nothing is taken away; an
// operator opts out with autoupdate=false). Readiness waits for it: until
// then nobody but system:masters is authorized.
func installRBACBootstrap(s *genericapiserver.GenericAPIServer) error {
	return s.AddPostStartHook("rbac/bootstrap-roles", func(hc genericapiserver.PostStartHookContext) error {
		client, err := kubernetes.NewForConfig(hc.LoopbackClientConfig)
		if err != nil {
			return fmt.Errorf("rbac bootstrap client: %w", err)
		}
		// Upstream gives up after 30 s and fails the start: a server
		// without its roles authorizes nothing.
		ctx, cancel := context.WithTimeout(hc, 30*time.Second)
		defer cancel()
		err = wait.PollUntilContextCancel(ctx, time.Second, true, func(ctx context.Context) (bool, error) {
			if err := reconcileRBACPolicy(ctx, client); err != nil {
				klog.FromContext(ctx).Info("RBAC bootstrap policy not reconciled yet", "err", err)
				return false, nil
			}
			return true, nil
		})
		if err != nil {
			return fmt.Errorf("unable to initialize roles: %w", err)
		}
		return nil
	})
}

// reconcileWorkers is how many bootstrap objects are reconciled at once.
const reconcileWorkers = 8

// reconcileRBACPolicy reconciles every bootstrap object, trying them all
// before it reports the failures.
func reconcileRBACPolicy(ctx context.Context, client kubernetes.Interface) error {
	logger := klog.FromContext(ctx)
	rbacClient := client.RbacV1()
	if err := migrateAggregatedRoles(ctx, client); err != nil {
		return err
	}
	var (
		mu     sync.Mutex
		failed []string
		tasks  []func()
	)
	// flush reconciles the queued objects, reconcileWorkers at a time: one
	// after the other, the ~200 objects' reads and writes (each write an
	// etcd fsync) kept a fresh server from being ready for 0.8 s; etcd
	// batches concurrent writes into one fsync. Kinds go in order (cluster
	// roles, their bindings, roles, theirs), as upstream's hook does.
	flush := func() {
		workqueue.ParallelizeUntil(ctx, reconcileWorkers, len(tasks), func(i int) { tasks[i]() })
		tasks = nil
	}
	reconcileOne := func(kind, name string, reconcile func() (op reconciliation.ReconcileOperation, protected bool, err error)) {
		// A conflict is another writer (the aggregation controller
		// filling admin/edit/view): read again and retry.
		err := retry.OnError(retry.DefaultBackoff, func(err error) bool {
			return apierrors.IsConflict(err) || apierrors.IsServiceUnavailable(err)
		}, func() error {
			op, protected, err := reconcile()
			switch {
			case err != nil:
				return err
			case protected && op != reconciliation.ReconcileNone:
				logger.Info("Skipped reconciling an RBAC object that opted out of auto-update", "kind", kind, "name", name, "operation", op)
			case op != reconciliation.ReconcileNone:
				logger.V(2).Info("Reconciled RBAC bootstrap object", "kind", kind, "name", name, "operation", op)
			}
			return nil
		})
		if err != nil {
			logger.Error(err, "Reconciling RBAC bootstrap object", "kind", kind, "name", name)
			mu.Lock()
			failed = append(failed, kind+" "+name)
			mu.Unlock()
		}
	}
	run := func(kind, name string, reconcile func() (op reconciliation.ReconcileOperation, protected bool, err error)) {
		tasks = append(tasks, func() { reconcileOne(kind, name, reconcile) })
	}
	for _, r := range slices.Concat(bootstrappolicy.ClusterRoles(), bootstrappolicy.ControllerRoles(), bootstrappolicy.NodeAgentClusterRoles()) {
		run("ClusterRole", r.Name, func() (reconciliation.ReconcileOperation, bool, error) {
			res, err := (&reconciliation.ReconcileRoleOptions{
				Role:    reconciliation.ClusterRoleRuleOwner{ClusterRole: &r},
				Client:  reconciliation.ClusterRoleModifier{Client: rbacClient.ClusterRoles()},
				Confirm: true,
			}).Run()
			if err != nil {
				return "", false, err
			}
			return res.Operation, res.Protected, nil
		})
	}
	flush()
	for _, b := range slices.Concat(bootstrappolicy.ClusterRoleBindings(), bootstrappolicy.ControllerRoleBindings(), bootstrappolicy.NodeAgentClusterRoleBindings(),
		bootstrappolicy.NodeBootstrapClusterRoleBindings()) {
		run("ClusterRoleBinding", b.Name, func() (reconciliation.ReconcileOperation, bool, error) {
			res, err := (&reconciliation.ReconcileRoleBindingOptions{
				RoleBinding: reconciliation.ClusterRoleBindingAdapter{ClusterRoleBinding: &b},
				Client:      reconciliation.ClusterRoleBindingClientAdapter{Client: rbacClient.ClusterRoleBindings()},
				Confirm:     true,
			}).Run()
			if err != nil {
				return "", false, err
			}
			return res.Operation, res.Protected, nil
		})
	}
	flush()
	// The namespaced objects' namespaces are made if missing (the
	// modifiers create them): the namespaces hook may not have run yet.
	for _, roles := range bootstrappolicy.NamespaceRoles() {
		for _, r := range roles {
			run("Role", r.Namespace+"/"+r.Name, func() (reconciliation.ReconcileOperation, bool, error) {
				res, err := (&reconciliation.ReconcileRoleOptions{
					Role:    reconciliation.RoleRuleOwner{Role: &r},
					Client:  reconciliation.RoleModifier{Client: rbacClient, NamespaceClient: client.CoreV1().Namespaces()},
					Confirm: true,
				}).Run()
				if err != nil {
					return "", false, err
				}
				return res.Operation, res.Protected, nil
			})
		}
	}
	flush()
	for _, bindings := range bootstrappolicy.NamespaceRoleBindings() {
		for _, b := range bindings {
			run("RoleBinding", b.Namespace+"/"+b.Name, func() (reconciliation.ReconcileOperation, bool, error) {
				res, err := (&reconciliation.ReconcileRoleBindingOptions{
					RoleBinding: reconciliation.RoleBindingAdapter{RoleBinding: &b},
					Client:      reconciliation.RoleBindingClientAdapter{Client: rbacClient, NamespaceClient: client.CoreV1().Namespaces()},
					Confirm:     true,
				}).Run()
				if err != nil {
					return "", false, err
				}
				return res.Operation, res.Protected, nil
			})
		}
	}
	flush()
	// A cancelled context skips the queued objects without failing them.
	if err := ctx.Err(); err != nil {
		return err
	}
	if len(failed) > 0 {
		return fmt.Errorf("could not reconcile %v", failed)
	}
	return nil
}

// migrateAggregatedRoles copies a cluster's own admin, edit or view, from
// before they were aggregated, to the aggregate-to-* role that now holds
// their rules, once: the customised rules carry over.
func migrateAggregatedRoles(ctx context.Context, client kubernetes.Interface) error {
	roles := client.RbacV1().ClusterRoles()
	for oldName, newName := range bootstrappolicy.ClusterRolesToAggregate() {
		if _, err := roles.Get(ctx, newName, metav1.GetOptions{}); err == nil {
			continue
		} else if !apierrors.IsNotFound(err) {
			return err
		}
		existing, err := roles.Get(ctx, oldName, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			continue
		}
		if err != nil {
			return err
		}
		if existing.AggregationRule != nil {
			continue
		}
		migrated := &rbacv1.ClusterRole{
			ObjectMeta: metav1.ObjectMeta{Name: newName, Labels: existing.Labels, Annotations: existing.Annotations},
			Rules:      existing.Rules,
		}
		if _, err := roles.Create(ctx, migrated, metav1.CreateOptions{}); err != nil && !apierrors.IsAlreadyExists(err) {
			return err
		}
	}
	return nil
}
