package daemonset

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	appsv1 "k8s.io/api/apps/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/klog/v2"
)

const strategicMerge = types.StrategicMergePatchType

// claim returns the objects ds controls among objs (its pods or its
// ControllerRevisions): it adopts the orphans its selector matches and
// releases the ones it controls but no longer matches, as upstream's
// ControllerRefManager. A DaemonSet being deleted neither adopts nor
// releases: the garbage collector is deleting or orphaning its objects.
// patch applies a strategic merge patch to one object.
func claim[T metav1.Object](ctx context.Context, c *Controller, ds *appsv1.DaemonSet, selector labels.Selector, objs []T,
	patch func(ctx context.Context, obj T, patch []byte) error) ([]T, error) {
	logger := klog.FromContext(ctx)
	var (
		claimed  []T
		errs     []error
		canAdopt *error
	)
	for _, obj := range objs {
		matches := selects(selector, obj)
		if ref := metav1.GetControllerOfNoCopy(obj); ref != nil {
			if ref.UID != ds.UID {
				continue
			}
			if matches {
				claimed = append(claimed, obj)
				continue
			}
			if ds.DeletionTimestamp != nil {
				continue
			}
			err := patch(ctx, obj, releasePatch(ds, obj))
			// Gone, or recreated under the same name (the UID in the
			// patch no longer matches): nothing to release.
			if err != nil && !apierrors.IsNotFound(err) && !apierrors.IsInvalid(err) {
				errs = append(errs, fmt.Errorf("release %s/%s: %w", obj.GetNamespace(), obj.GetName(), err))
				continue
			}
			logger.V(2).Info("Released object", "object", klog.KObj(obj), "daemonset", klog.KObj(ds))
			continue
		}
		if ds.DeletionTimestamp != nil || !matches || obj.GetDeletionTimestamp() != nil || obj.GetNamespace() != ds.Namespace {
			continue
		}
		if canAdopt == nil {
			// Recheck against the API once per claim: the cache may not
			// show yet that ds is being deleted, and adopting then would
			// race the garbage collector's orphaning.
			err := c.recheckNotDeleted(ctx, ds)
			canAdopt = &err
		}
		if *canAdopt != nil {
			errs = append(errs, fmt.Errorf("adopt %s/%s: %w", obj.GetNamespace(), obj.GetName(), *canAdopt))
			continue
		}
		err := patch(ctx, obj, adoptPatch(ds, obj))
		switch {
		case err == nil:
			logger.V(2).Info("Adopted object", "object", klog.KObj(obj), "daemonset", klog.KObj(ds))
			claimed = append(claimed, obj)
		case apierrors.IsNotFound(err):
		default:
			errs = append(errs, fmt.Errorf("adopt %s/%s: %w", obj.GetNamespace(), obj.GetName(), err))
		}
	}
	return claimed, errors.Join(errs...)
}

func (c *Controller) recheckNotDeleted(ctx context.Context, ds *appsv1.DaemonSet) error {
	fresh, err := c.client.AppsV1().DaemonSets(ds.Namespace).Get(ctx, ds.Name, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("recheck deletion timestamp: %w", err)
	}
	if fresh.UID != ds.UID {
		return fmt.Errorf("original DaemonSet %s/%s is gone: got uid %s, wanted %s", ds.Namespace, ds.Name, fresh.UID, ds.UID)
	}
	if fresh.DeletionTimestamp != nil {
		return fmt.Errorf("%s/%s has just been deleted at %v", ds.Namespace, ds.Name, fresh.DeletionTimestamp)
	}
	return nil
}

// adoptPatch makes ds obj's controller. The UID in the patch makes it fail
// on an object recreated under the same name.
func adoptPatch(ds *appsv1.DaemonSet, obj metav1.Object) []byte {
	return mustJSON(map[string]any{"metadata": map[string]any{
		"uid":             obj.GetUID(),
		"ownerReferences": []metav1.OwnerReference{*metav1.NewControllerRef(ds, controllerKind)},
	}})
}

// releasePatch removes ds's ownerReference from obj.
func releasePatch(ds *appsv1.DaemonSet, obj metav1.Object) []byte {
	return mustJSON(map[string]any{"metadata": map[string]any{
		"uid":             obj.GetUID(),
		"ownerReferences": []map[string]string{{"$patch": "delete", "uid": string(ds.UID)}},
	}})
}

// mustJSON marshals values that always marshal (maps of strings and API
// types).
func mustJSON(v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("marshal patch: %v", err))
	}
	return b
}
