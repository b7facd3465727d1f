package garbagecollector

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

func TestDecide(t *testing.T) {
	refs := []metav1.OwnerReference{ref("a", false), ref("b", true)}
	tests := []struct {
		name          string
		states        map[types.UID]ownerState
		hasDependents bool
		depDeleting   bool
		finalizers    []string
		want          action
	}{{
		name:   "all owners solid",
		states: map[types.UID]ownerState{"a": solid, "b": solid},
		want:   action{kind: keep},
	}, {
		name:   "one owner dangling, one solid: the dangling reference goes",
		states: map[types.UID]ownerState{"a": dangling, "b": solid},
		want:   action{kind: removeRefs, drop: []types.UID{"a"}},
	}, {
		name:   "one owner waiting, one solid: the waiting reference goes",
		states: map[types.UID]ownerState{"a": solid, "b": waiting},
		want:   action{kind: removeRefs, drop: []types.UID{"b"}},
	}, {
		name:   "all owners dangling: background deletion",
		states: map[types.UID]ownerState{"a": dangling, "b": dangling},
		want:   action{kind: deleteObject, policy: metav1.DeletePropagationBackground},
	}, {
		name:          "waiting owner, no dependents: background deletion",
		states:        map[types.UID]ownerState{"a": dangling, "b": waiting},
		want:          action{kind: deleteObject, policy: metav1.DeletePropagationBackground},
		hasDependents: false,
	}, {
		name:          "waiting owner and dependents: foreground deletion",
		states:        map[types.UID]ownerState{"a": dangling, "b": waiting},
		hasDependents: true,
		want:          action{kind: deleteObject, policy: metav1.DeletePropagationForeground},
	}, {
		name:          "waiting owner and a dependent deleting its dependents: unblock first",
		states:        map[types.UID]ownerState{"a": waiting, "b": waiting},
		hasDependents: true,
		depDeleting:   true,
		want:          action{kind: deleteObject, policy: metav1.DeletePropagationForeground, unblock: true},
	}, {
		name:       "orphan finalizer already there is honoured",
		states:     map[types.UID]ownerState{"a": dangling, "b": dangling},
		finalizers: []string{metav1.FinalizerOrphanDependents},
		want:       action{kind: deleteObject, policy: metav1.DeletePropagationOrphan},
	}, {
		name:       "foreground finalizer already there is honoured",
		states:     map[types.UID]ownerState{"a": dangling, "b": dangling},
		finalizers: []string{"other", metav1.FinalizerDeleteDependents},
		want:       action{kind: deleteObject, policy: metav1.DeletePropagationForeground},
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := decide(refs, tc.states, tc.hasDependents, tc.depDeleting, tc.finalizers)
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(action{}), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("decide (-want +got):\n%s", diff)
			}
		})
	}
}
