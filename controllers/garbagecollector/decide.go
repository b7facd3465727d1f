package garbagecollector

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
)

// ownerState is what a live lookup found for one ownerReference.
type ownerState int

const (
	// solid: the owner exists and is not waiting for its dependents.
	solid ownerState = iota
	// dangling: no object of that kind, name and UID where the dependent
	// may refer to it (its own namespace, or the cluster scope).
	dangling
	// waiting: the owner is being deleted with the foregroundDeletion
	// finalizer: it waits for its dependents to go.
	waiting
)

// actionKind is what to do with a dependent whose owners were looked up.
type actionKind int

const (
	keep actionKind = iota
	// removeRefs patches the object to drop the references in action.drop.
	removeRefs
	// deleteObject deletes the object with action.policy; with
	// action.unblock, its blocking references to waiting owners are first
	// made non-blocking (a dependent of it also waits for its own
	// dependents: without this the two could wait for each other).
	deleteObject
)

type action struct {
	kind    actionKind
	drop    []types.UID
	policy  metav1.DeletionPropagation
	unblock bool
}

// decide is upstream's attemptToDeleteItem decision for a live object:
//   - with a solid owner it stays, losing its references to dangling and
//     waiting owners (a waiting owner must not wait for it);
//   - with waiting owners and dependents of its own, it is deleted in the
//     foreground, so that the waiting owner waits for the whole subtree;
//   - otherwise it is deleted, honouring a propagation finalizer it
//     already has, background by default.
func decide(refs []metav1.OwnerReference, states map[types.UID]ownerState, hasDependents, dependentDeletingDependents bool, finalizers []string) action {
	var nSolid int
	var drop []types.UID
	nWaiting := 0
	for _, r := range refs {
		switch states[r.UID] {
		case solid:
			nSolid++
		case dangling:
			drop = append(drop, r.UID)
		case waiting:
			drop = append(drop, r.UID)
			nWaiting++
		}
	}
	switch {
	case nSolid > 0:
		if len(drop) == 0 {
			return action{kind: keep}
		}
		return action{kind: removeRefs, drop: drop}
	case nWaiting > 0 && hasDependents:
		return action{kind: deleteObject, policy: metav1.DeletePropagationForeground, unblock: dependentDeletingDependents}
	case hasFinalizer(finalizers, metav1.FinalizerOrphanDependents):
		return action{kind: deleteObject, policy: metav1.DeletePropagationOrphan}
	case hasFinalizer(finalizers, metav1.FinalizerDeleteDependents):
		return action{kind: deleteObject, policy: metav1.DeletePropagationForeground}
	default:
		return action{kind: deleteObject, policy: metav1.DeletePropagationBackground}
	}
}
