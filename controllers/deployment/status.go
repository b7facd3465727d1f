package deployment

import (
	"context"
	"fmt"
	"math"
	"reflect"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
)

// Reasons of the Deployment conditions, as upstream; kubectl rollout status
// looks for ProgressDeadlineExceeded.
const (
	// Progressing, True: a ReplicaSet was created, found or scaled.
	NewReplicaSetReason     = "NewReplicaSetCreated"
	FoundNewRSReason        = "FoundNewReplicaSet"
	ReplicaSetUpdatedReason = "ReplicaSetUpdated"
	// Progressing, True: the rollout is complete.
	NewRSAvailableReason = "NewReplicaSetAvailable"
	// Progressing, False.
	FailedRSCreateReason = "ReplicaSetCreateError"
	TimedOutReason       = "ProgressDeadlineExceeded"
	// Progressing, Unknown: no progress is expected while paused, and the
	// deadline counts again from the resume.
	PausedDeployReason  = "DeploymentPaused"
	ResumedDeployReason = "DeploymentResumed"
	// Available.
	MinimumReplicasAvailable   = "MinimumReplicasAvailable"
	MinimumReplicasUnavailable = "MinimumReplicasUnavailable"
)

func (c *Controller) newCondition(t appsv1.DeploymentConditionType, status corev1.ConditionStatus, reason, message string) appsv1.DeploymentCondition {
	now := metav1.NewTime(c.clock.Now())
	return appsv1.DeploymentCondition{Type: t, Status: status, LastUpdateTime: now, LastTransitionTime: now, Reason: reason, Message: message}
}

// condition returns a copy of the condition of type t, or nil.
func condition(s appsv1.DeploymentStatus, t appsv1.DeploymentConditionType) *appsv1.DeploymentCondition {
	for _, c := range s.Conditions {
		if c.Type == t {
			return &c
		}
	}
	return nil
}

// setCondition puts cond in s, unless one of the same type, status and
// reason is there already (its times stay). A condition whose status does
// not change keeps its lastTransitionTime.
func setCondition(s *appsv1.DeploymentStatus, cond appsv1.DeploymentCondition) {
	cur := condition(*s, cond.Type)
	if cur != nil && cur.Status == cond.Status && cur.Reason == cond.Reason {
		return
	}
	if cur != nil && cur.Status == cond.Status {
		cond.LastTransitionTime = cur.LastTransitionTime
	}
	s.Conditions = append(withoutCondition(s.Conditions, cond.Type), cond)
}

func removeCondition(s *appsv1.DeploymentStatus, t appsv1.DeploymentConditionType) {
	s.Conditions = withoutCondition(s.Conditions, t)
}

func withoutCondition(conds []appsv1.DeploymentCondition, t appsv1.DeploymentConditionType) []appsv1.DeploymentCondition {
	var out []appsv1.DeploymentCondition
	for _, c := range conds {
		if c.Type != t {
			out = append(out, c)
		}
	}
	return out
}

// hasProgressDeadline is false when progressDeadlineSeconds is unset or
// MaxInt32 (no deadline).
func hasProgressDeadline(d *appsv1.Deployment) bool {
	return d.Spec.ProgressDeadlineSeconds != nil && *d.Spec.ProgressDeadlineSeconds != math.MaxInt32
}

// checkPausedConditions records a pause or resume in the Progressing
// condition (Unknown), unless the deadline was already exceeded.
func (c *Controller) checkPausedConditions(ctx context.Context, d *appsv1.Deployment) error {
	if !hasProgressDeadline(d) {
		return nil
	}
	cond := condition(d.Status, appsv1.DeploymentProgressing)
	if cond != nil && cond.Reason == TimedOutReason {
		return nil
	}
	paused := cond != nil && cond.Reason == PausedDeployReason
	switch {
	case d.Spec.Paused && !paused:
		setCondition(&d.Status, c.newCondition(appsv1.DeploymentProgressing, corev1.ConditionUnknown, PausedDeployReason, "Deployment is paused"))
	case !d.Spec.Paused && paused:
		setCondition(&d.Status, c.newCondition(appsv1.DeploymentProgressing, corev1.ConditionUnknown, ResumedDeployReason, "Deployment is resumed"))
	default:
		return nil
	}
	return c.updateStatus(ctx, d)
}

// calculateStatus is d's status from its ReplicaSets', with the
// Available condition; the other conditions are carried over.
func (c *Controller) calculateStatus(allRSs []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet, d *appsv1.Deployment) appsv1.DeploymentStatus {
	all := countStatus(allRSs)
	// More available than asked for (scaling down) is not negative
	// unavailability.
	unavailable := max(replicaCount(allRSs)-all.available, 0)
	status := appsv1.DeploymentStatus{
		ObservedGeneration:  d.Generation,
		Replicas:            all.replicas,
		UpdatedReplicas:     countStatus([]*appsv1.ReplicaSet{newRS}).replicas,
		ReadyReplicas:       all.ready,
		AvailableReplicas:   all.available,
		UnavailableReplicas: unavailable,
		TerminatingReplicas: terminatingCount(allRSs),
		CollisionCount:      d.Status.CollisionCount,
		Conditions:          append([]appsv1.DeploymentCondition(nil), d.Status.Conditions...),
	}
	if all.available >= *d.Spec.Replicas-maxUnavailable(d) {
		setCondition(&status, c.newCondition(appsv1.DeploymentAvailable, corev1.ConditionTrue, MinimumReplicasAvailable, "Deployment has minimum availability."))
	} else {
		setCondition(&status, c.newCondition(appsv1.DeploymentAvailable, corev1.ConditionFalse, MinimumReplicasUnavailable, "Deployment does not have minimum availability."))
	}
	return status
}

// syncDeploymentStatus writes the status calculateStatus gives, if it
// differs; it estimates no progress.
func (c *Controller) syncDeploymentStatus(ctx context.Context, allRSs []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet, d *appsv1.Deployment) error {
	status := c.calculateStatus(allRSs, newRS, d)
	if reflect.DeepEqual(d.Status, status) {
		return nil
	}
	d.Status = status
	return c.updateStatus(ctx, d)
}

// syncRolloutStatus writes d's status during a rollout, with the
// Progressing condition estimated: complete, progressing (something moved
// since the last status), or timed out (nothing moved for
// progressDeadlineSeconds). The ReplicaSets' ReplicaFailure condition is
// copied, the new ReplicaSet's first. When nothing changed and the rollout
// is still under way, it asks to come back when the deadline would pass.
func (c *Controller) syncRolloutStatus(ctx context.Context, allRSs []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet, d *appsv1.Deployment) (time.Duration, error) {
	status := c.calculateStatus(allRSs, newRS, d)
	if !hasProgressDeadline(d) {
		removeCondition(&status, appsv1.DeploymentProgressing)
	}
	cur := condition(d.Status, appsv1.DeploymentProgressing)
	// A finished rollout seen again (a resync) estimates nothing.
	complete := status.Replicas == status.UpdatedReplicas && cur != nil && cur.Reason == NewRSAvailableReason
	if hasProgressDeadline(d) && !complete {
		switch {
		case deploymentComplete(d, &status):
			msg := fmt.Sprintf("Deployment %q has successfully progressed.", d.Name)
			if newRS != nil {
				msg = fmt.Sprintf("ReplicaSet %q has successfully progressed.", newRS.Name)
			}
			setCondition(&status, c.newCondition(appsv1.DeploymentProgressing, corev1.ConditionTrue, NewRSAvailableReason, msg))
		case deploymentProgressing(d, &status):
			msg := fmt.Sprintf("Deployment %q is progressing.", d.Name)
			if newRS != nil {
				msg = fmt.Sprintf("ReplicaSet %q is progressing.", newRS.Name)
			}
			// Same reason again still counts: lastUpdateTime must move
			// with every bit of progress (setCondition would keep it),
			// while lastTransitionTime stays if it was True already.
			cond := c.newCondition(appsv1.DeploymentProgressing, corev1.ConditionTrue, ReplicaSetUpdatedReason, msg)
			if cur != nil {
				if cur.Status == corev1.ConditionTrue {
					cond.LastTransitionTime = cur.LastTransitionTime
				}
				removeCondition(&status, appsv1.DeploymentProgressing)
			}
			setCondition(&status, cond)
		case c.deploymentTimedOut(ctx, d, &status):
			msg := fmt.Sprintf("Deployment %q has timed out progressing.", d.Name)
			if newRS != nil {
				msg = fmt.Sprintf("ReplicaSet %q has timed out progressing.", newRS.Name)
			}
			setCondition(&status, c.newCondition(appsv1.DeploymentProgressing, corev1.ConditionFalse, TimedOutReason, msg))
		}
	}
	if failure := replicaFailure(allRSs, newRS); failure != nil {
		setCondition(&status, *failure)
	} else {
		removeCondition(&status, appsv1.DeploymentReplicaFailure)
	}
	if reflect.DeepEqual(d.Status, status) {
		return c.progressCheckAfter(ctx, d, status), nil
	}
	d.Status = status
	return 0, c.updateStatus(ctx, d)
}

// replicaFailure is the ReplicaFailure condition of the new ReplicaSet, or
// else of the first old one that has it, as a Deployment condition.
func replicaFailure(allRSs []*appsv1.ReplicaSet, newRS *appsv1.ReplicaSet) *appsv1.DeploymentCondition {
	for _, rs := range append([]*appsv1.ReplicaSet{newRS}, allRSs...) {
		if rs == nil {
			continue
		}
		for _, c := range rs.Status.Conditions {
			if c.Type == appsv1.ReplicaSetReplicaFailure {
				return &appsv1.DeploymentCondition{
					Type:               appsv1.DeploymentReplicaFailure,
					Status:             c.Status,
					LastUpdateTime:     c.LastTransitionTime,
					LastTransitionTime: c.LastTransitionTime,
					Reason:             c.Reason,
					Message:            c.Message,
				}
			}
		}
	}
	return nil
}

// progressCheckAfter is when an unfinished rollout that showed no progress
// must be looked at again to tell whether it timed out: a second after
// lastUpdateTime + progressDeadlineSeconds (the second absorbs clock skew
// between the queue's timer and the condition's). Zero means no check.
func (c *Controller) progressCheckAfter(ctx context.Context, d *appsv1.Deployment, status appsv1.DeploymentStatus) time.Duration {
	cur := condition(d.Status, appsv1.DeploymentProgressing)
	if !hasProgressDeadline(d) || cur == nil || deploymentComplete(d, &status) || cur.Reason == TimedOutReason {
		return 0
	}
	after := cur.LastUpdateTime.Add(time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second).Sub(c.clock.Now())
	klog.FromContext(ctx).V(4).Info("Queueing up deployment for a progress check", "deployment", klog.KObj(d), "queueAfter", after)
	return max(after, 0) + time.Second
}

// deploymentComplete: every desired replica updated and available, no old
// pods left, and the current spec observed.
func deploymentComplete(d *appsv1.Deployment, s *appsv1.DeploymentStatus) bool {
	return s.UpdatedReplicas == *d.Spec.Replicas && s.Replicas == *d.Spec.Replicas &&
		s.AvailableReplicas == *d.Spec.Replicas && s.ObservedGeneration >= d.Generation
}

// deploymentProgressing: since the last status, new pods were added or
// became ready or available, or old pods went away.
func deploymentProgressing(d *appsv1.Deployment, s *appsv1.DeploymentStatus) bool {
	old := d.Status
	return s.UpdatedReplicas > old.UpdatedReplicas ||
		s.Replicas-s.UpdatedReplicas < old.Replicas-old.UpdatedReplicas ||
		s.ReadyReplicas > old.ReadyReplicas ||
		s.AvailableReplicas > old.AvailableReplicas
}

// deploymentTimedOut: the Progressing condition was last updated more than
// progressDeadlineSeconds ago (or says so already). A completed rollout
// never times out.
func (c *Controller) deploymentTimedOut(ctx context.Context, d *appsv1.Deployment, s *appsv1.DeploymentStatus) bool {
	if !hasProgressDeadline(d) {
		return false
	}
	cond := condition(*s, appsv1.DeploymentProgressing)
	if cond == nil || cond.Reason == NewRSAvailableReason {
		return false
	}
	if cond.Reason == TimedOutReason {
		return true
	}
	now := c.clock.Now()
	timedOut := cond.LastUpdateTime.Add(time.Duration(*d.Spec.ProgressDeadlineSeconds) * time.Second).Before(now)
	klog.FromContext(ctx).V(4).Info("Deployment timed out from last progress check", "deployment", klog.KObj(d), "timeout", timedOut, "from", cond.LastUpdateTime, "now", now)
	return timedOut
}
