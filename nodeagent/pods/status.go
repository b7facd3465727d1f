package pods

import (
	"context"
	"fmt"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/util/retry"

	"github.com/kubeshim/kubeshim/apis/core"
	"github.com/kubeshim/kubeshim/nodeagent/runtime"
)

// writeStatus computes the pod's status from the runtime and writes it
// when it changed.
func (m *Manager) writeStatus(ctx context.Context, pod *corev1.Pod, st *podState, view *podView) error {
	return retry.RetryOnConflict(retry.DefaultRetry, func() error {
		current := pod
		status := m.computeStatus(current, st, view)
		if apiequality.Semantic.DeepEqual(current.Status, status) {
			return nil
		}
		updated := current.DeepCopy()
		updated.Status = status
		_, err := m.config.Client.CoreV1().Pods(pod.Namespace).UpdateStatus(ctx, updated, metav1.UpdateOptions{})
		if apierrors.IsConflict(err) {
			fresh, gerr := m.config.Client.CoreV1().Pods(pod.Namespace).Get(ctx, pod.Name, metav1.GetOptions{})
			if gerr != nil {
				return gerr
			}
			if fresh.UID != pod.UID {
				return nil
			}
			pod = fresh
		}
		return err
	})
}

// computeStatus is the kubelet's status: container states from the
// runtime, the phase from them, and the pod conditions.
func (m *Manager) computeStatus(pod *corev1.Pod, st *podState, view *podView) corev1.PodStatus {
	old := pod.Status
	s := corev1.PodStatus{
		Phase:                 old.Phase,
		Conditions:            nil,
		Message:               old.Message,
		Reason:                old.Reason,
		NominatedNodeName:     old.NominatedNodeName,
		QOSClass:              core.QOSClass(pod),
		Resize:                old.Resize,
		ResourceClaimStatuses: old.ResourceClaimStatuses,
		// The spec generation this status describes, as the kubelet
		// reports it (clients wait on it after changing the spec).
		ObservedGeneration: pod.Generation,
	}
	if hip := m.hostIP(); hip != "" {
		s.HostIP = hip
		for _, ip := range m.config.HostIPs {
			s.HostIPs = append(s.HostIPs, corev1.HostIP{IP: ip})
		}
	}
	if st.podIP != nil {
		s.PodIP = st.podIP.String()
		s.PodIPs = []corev1.PodIP{{IP: s.PodIP}}
	}
	start := metav1.NewTime(st.startTime)
	if old.StartTime != nil {
		start = *old.StartTime
	}
	s.StartTime = &start

	sandboxReady := running(view.sandbox())
	terminating := pod.DeletionTimestamp != nil || st.deadlineExceeded
	s.InitContainerStatuses = m.containerStatuses(pod, st, view, pod.Spec.InitContainers, old.InitContainerStatuses, terminating)
	s.ContainerStatuses = m.containerStatuses(pod, st, view, pod.Spec.Containers, old.ContainerStatuses, terminating)
	if len(pod.Spec.EphemeralContainers) > 0 {
		var ecs []corev1.Container
		for _, ec := range pod.Spec.EphemeralContainers {
			ecs = append(ecs, corev1.Container(ec.EphemeralContainerCommon))
		}
		s.EphemeralContainerStatuses = m.containerStatuses(pod, st, view, ecs, old.EphemeralContainerStatuses, terminating)
	}

	s.Phase = podPhase(pod, s.InitContainerStatuses, s.ContainerStatuses, sandboxReady || !terminating)
	if st.deadlineExceeded && s.Phase != corev1.PodSucceeded {
		s.Phase = corev1.PodFailed
		s.Reason = "DeadlineExceeded"
		s.Message = "Pod was active on the node longer than the specified deadline"
	}
	if pod.DeletionTimestamp != nil && !anyRunning(s) && s.Phase != corev1.PodSucceeded && s.Phase != corev1.PodFailed {
		// A deleted pod whose containers all stopped is terminal: the
		// kubelet reports Failed unless everything succeeded.
		s.Phase = corev1.PodFailed
		if allSucceeded(s.ContainerStatuses) {
			s.Phase = corev1.PodSucceeded
		}
	}
	if r := st.rejection; r != nil {
		s.Phase, s.Reason, s.Message = corev1.PodFailed, r.reason, "Pod was rejected: "+r.message
	}
	if old.Phase == corev1.PodSucceeded || old.Phase == corev1.PodFailed {
		s.Phase = old.Phase // terminal phases never change
	}

	initialized := true
	var pendingInit []string
	for i, c := range pod.Spec.InitContainers {
		cs := s.InitContainerStatuses[i]
		sidecar := c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
		done := (sidecar && cs.Started != nil && *cs.Started) || (cs.State.Terminated != nil && cs.State.Terminated.ExitCode == 0)
		if !done {
			initialized = false
			pendingInit = append(pendingInit, c.Name)
		}
	}
	var notReady []string
	for _, cs := range s.ContainerStatuses {
		if !cs.Ready {
			notReady = append(notReady, cs.Name)
		}
	}
	conds := []corev1.PodCondition{}
	set := func(t corev1.PodConditionType, ok bool, reason, msg string) {
		c := corev1.PodCondition{Type: t, Status: corev1.ConditionFalse, Reason: reason, Message: msg}
		if ok {
			c.Status, c.Reason, c.Message = corev1.ConditionTrue, "", ""
		}
		c.ObservedGeneration = pod.Generation
		conds = append(conds, c)
	}
	set(corev1.PodReadyToStartContainers, sandboxReady && !(s.Phase == corev1.PodSucceeded || s.Phase == corev1.PodFailed), "PodSandboxNotReady", "")
	if s.Phase == corev1.PodSucceeded && initialized {
		set(corev1.PodInitialized, true, "", "")
		conds[len(conds)-1].Reason = "PodCompleted"
	} else if !initialized {
		set(corev1.PodInitialized, false, "ContainersNotInitialized", fmt.Sprintf("containers with incomplete status: [%s]", strings.Join(pendingInit, " ")))
	} else {
		set(corev1.PodInitialized, true, "", "")
	}
	ready := len(notReady) == 0 && s.Phase == corev1.PodRunning
	reason, msg := "", ""
	if !ready {
		if s.Phase == corev1.PodSucceeded {
			reason = "PodCompleted"
		} else if s.Phase == corev1.PodFailed {
			reason = "PodFailed"
		} else {
			reason = "ContainersNotReady"
			msg = fmt.Sprintf("containers with unready status: [%s]", strings.Join(notReady, " "))
		}
	}
	set(corev1.ContainersReady, ready, reason, msg)
	readyCond := ready
	if ready {
		// Readiness gates: each named condition must be True.
		var unmet []string
		for _, g := range pod.Spec.ReadinessGates {
			var found *corev1.PodCondition
			for i := range old.Conditions {
				if old.Conditions[i].Type == g.ConditionType {
					found = &old.Conditions[i]
				}
			}
			switch {
			case found == nil:
				unmet = append(unmet, fmt.Sprintf("corresponding condition of pod readiness gate %q does not exist.", g.ConditionType))
			case found.Status != corev1.ConditionTrue:
				unmet = append(unmet, fmt.Sprintf("the status of pod readiness gate %q is not \"True\", but %v", g.ConditionType, found.Status))
			}
		}
		if len(unmet) > 0 {
			readyCond, reason, msg = false, "ReadinessGatesNotReady", strings.Join(unmet, ", ")
		}
	}
	set(corev1.PodReady, readyCond, reason, msg)
	// Conditions the kubelet does not own (PodScheduled, readiness gates,
	// DisruptionTarget) are kept as they are.
	var out []corev1.PodCondition
	owned := map[corev1.PodConditionType]bool{}
	for _, c := range conds {
		owned[c.Type] = true
	}
	for _, c := range old.Conditions {
		if !owned[c.Type] {
			out = append(out, c)
		}
	}
	now := metav1.Now()
	for _, c := range conds {
		c.LastTransitionTime = now
		for _, o := range old.Conditions {
			if o.Type == c.Type && o.Status == c.Status {
				c.LastTransitionTime = o.LastTransitionTime
			}
		}
		out = append(out, c)
	}
	s.Conditions = orderConditions(out)
	return s
}

// orderConditions puts conditions in the order the kubelet writes them.
func orderConditions(cs []corev1.PodCondition) []corev1.PodCondition {
	order := []corev1.PodConditionType{corev1.PodReadyToStartContainers, corev1.PodInitialized, corev1.PodReady, corev1.ContainersReady, corev1.PodScheduled}
	var out []corev1.PodCondition
	used := map[int]bool{}
	for _, t := range order {
		for i, c := range cs {
			if c.Type == t && !used[i] {
				out = append(out, c)
				used[i] = true
			}
		}
	}
	for i, c := range cs {
		if !used[i] {
			out = append(out, c)
		}
	}
	return out
}

func anyRunning(s corev1.PodStatus) bool {
	for _, cs := range append(append([]corev1.ContainerStatus{}, s.InitContainerStatuses...), s.ContainerStatuses...) {
		if cs.State.Running != nil {
			return true
		}
	}
	return false
}

func allSucceeded(css []corev1.ContainerStatus) bool {
	for _, cs := range css {
		if cs.State.Terminated == nil || cs.State.Terminated.ExitCode != 0 {
			return false
		}
	}
	return len(css) > 0
}

func (m *Manager) containerStatuses(pod *corev1.Pod, st *podState, view *podView, containers []corev1.Container, old []corev1.ContainerStatus, terminating bool) []corev1.ContainerStatus {
	if len(containers) == 0 {
		return nil
	}
	out := make([]corev1.ContainerStatus, 0, len(containers))
	for _, c := range containers {
		cs := corev1.ContainerStatus{Name: c.Name, Image: c.Image, Ready: false}
		latest := view.latest(c.Name)
		f := false
		cs.Started = &f
		if latest != nil {
			cs.RestartCount = int32(latest.Attempt())
			cs.ContainerID = "containerd://" + latest.ID
			if latest.ImageID != "" {
				cs.ImageID = imageID(latest)
			}
			if ref, err := runtime.NormalizeImage(c.Image); err == nil && latest.Image != "" && latest.Image != ref {
				cs.Image = latest.Image
			}
		}
		switch {
		case running(latest):
			cs.State.Running = &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(latest.StartedAt)}
			started := st.probes == nil || st.probes.started(c.Name, latest.ID, c.StartupProbe != nil)
			cs.Started = &started
			cs.Ready = started && (st.probes == nil && c.ReadinessProbe == nil || st.probes != nil && st.probes.ready(c.Name, latest.ID, c.ReadinessProbe != nil))
			if terminating {
				cs.Ready = false
			}
			if isInit(pod, c.Name) && !isSidecar(&c) {
				// A regular init container is ready once it succeeded.
				cs.Ready = false
			}
			if p := view.previous(c.Name); exited(p) {
				cs.LastTerminationState.Terminated = terminated(p)
			}
		case exited(latest):
			cs.State.Terminated = terminated(latest)
			if isInit(pod, c.Name) && !isSidecar(&c) && latest.ExitCode == 0 {
				cs.Ready = true
			}
			if p := view.previous(c.Name); exited(p) {
				cs.LastTerminationState.Terminated = terminated(p)
			}
			if willRestart(pod, &c, latest) && !terminating {
				cs.LastTerminationState = corev1.ContainerState{Terminated: cs.State.Terminated}
				cs.State = corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
					Reason:  "CrashLoopBackOff",
					Message: fmt.Sprintf("back-off %s restarting failed container=%s pod=%s_%s(%s)", backoffFor(latest), c.Name, pod.Name, pod.Namespace, pod.UID),
				}}
				if restartDelay(latest) <= 0 {
					cs.State.Waiting = &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}
				}
			}
		default:
			w := &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}
			if pe, ok := st.pullErrors[c.Name]; ok {
				w = &corev1.ContainerStateWaiting{Reason: pe.reason, Message: pe.message}
			} else if ce, ok := st.configErrors[c.Name]; ok {
				reason, msg, _ := strings.Cut(ce, ":")
				w = &corev1.ContainerStateWaiting{Reason: reason, Message: msg}
			} else if isInit(pod, c.Name) && !initDone(pod, view, c.Name) {
				w = &corev1.ContainerStateWaiting{Reason: "PodInitializing"}
			} else if !isInit(pod, c.Name) && !allInitDone(pod, view) {
				w = &corev1.ContainerStateWaiting{Reason: "PodInitializing"}
			}
			if terminating && latest == nil {
				// Never started and never will: the kubelet reports it
				// terminated with ContainerStatusUnknown.
				cs.State.Terminated = &corev1.ContainerStateTerminated{ExitCode: 137, Reason: "ContainerStatusUnknown", Message: "The container could not be located when the pod was terminated"}
				break
			}
			cs.State.Waiting = w
			for _, o := range old {
				if o.Name == c.Name {
					cs.LastTerminationState = o.LastTerminationState
				}
			}
		}
		resources := c.Resources
		if len(resources.Requests) > 0 || len(resources.Limits) > 0 {
			r := resources.DeepCopy()
			r.Claims = nil
			cs.Resources = r
			if len(r.Requests) == 0 && len(r.Limits) == 0 {
				cs.Resources = nil
			}
		}
		cs.AllocatedResources = nil
		if cs.State.Running != nil || cs.State.Terminated != nil {
			cs.User = nil
		}
		out = append(out, cs)
	}
	return out
}

func imageID(i *runtime.Info) string {
	name := i.Image
	if n, _, ok := strings.Cut(name, "@"); ok {
		name = n
	}
	if idx := strings.LastIndex(name, ":"); idx > strings.LastIndex(name, "/") {
		name = name[:idx]
	}
	return name + "@" + i.ImageID
}

func terminated(i *runtime.Info) *corev1.ContainerStateTerminated {
	return &corev1.ContainerStateTerminated{
		ExitCode:    i.ExitCode,
		Reason:      i.Reason,
		Message:     i.Message,
		StartedAt:   metav1.NewTime(i.StartedAt),
		FinishedAt:  metav1.NewTime(i.FinishedAt),
		ContainerID: "containerd://" + i.ID,
	}
}

func backoffFor(latest *runtime.Info) time.Duration {
	d := initialBackoff
	for i := 1; i < latest.Attempt() && d < maxBackoff; i++ {
		d *= 2
	}
	if d > maxBackoff {
		d = maxBackoff
	}
	return d
}

func willRestart(pod *corev1.Pod, c *corev1.Container, latest *runtime.Info) bool {
	if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
		return true
	}
	if isInit(pod, c.Name) {
		return latest.ExitCode != 0 && pod.Spec.RestartPolicy != corev1.RestartPolicyNever
	}
	switch pod.Spec.RestartPolicy {
	case corev1.RestartPolicyNever:
		return false
	case corev1.RestartPolicyOnFailure:
		return latest.ExitCode != 0
	}
	return true
}

func isSidecar(c *corev1.Container) bool {
	return c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways
}

func isInit(pod *corev1.Pod, name string) bool {
	for _, c := range pod.Spec.InitContainers {
		if c.Name == name {
			return true
		}
	}
	return false
}

func initDone(pod *corev1.Pod, view *podView, name string) bool {
	l := view.latest(name)
	return exited(l) && l.ExitCode == 0
}

func allInitDone(pod *corev1.Pod, view *podView) bool {
	for _, c := range pod.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			if !running(view.latest(c.Name)) {
				return false
			}
			continue
		}
		if !initDone(pod, view, c.Name) {
			return false
		}
	}
	return true
}

// podPhase is the kubelet's getPhase.
func podPhase(pod *corev1.Pod, inits, apps []corev1.ContainerStatus, _ bool) corev1.PodPhase {
	pendingInit := false
	for i, cs := range inits {
		c := pod.Spec.InitContainers[i]
		if isSidecar(&c) {
			// A sidecar holds the pod in Pending only until it first
			// started: one restarting later does not.
			neverRan := cs.State.Waiting != nil && cs.LastTerminationState.Terminated == nil
			notStarted := cs.State.Running != nil && (cs.Started == nil || !*cs.Started)
			if neverRan || notStarted {
				pendingInit = true
			}
			continue
		}
		switch {
		case cs.State.Terminated != nil && cs.State.Terminated.ExitCode == 0:
		case cs.State.Terminated != nil:
			if pod.Spec.RestartPolicy == corev1.RestartPolicyNever {
				return corev1.PodFailed
			}
			pendingInit = true
		case cs.State.Waiting != nil && cs.LastTerminationState.Terminated != nil:
			pendingInit = true
		default:
			pendingInit = true
		}
	}
	var runningN, waiting, stopped, succeeded int
	for _, cs := range apps {
		switch {
		case cs.State.Running != nil:
			runningN++
		case cs.State.Terminated != nil:
			stopped++
			if cs.State.Terminated.ExitCode == 0 {
				succeeded++
			}
		case cs.State.Waiting != nil:
			if cs.LastTerminationState.Terminated != nil {
				stopped++
			} else {
				waiting++
			}
		}
	}
	switch {
	case pendingInit:
		return corev1.PodPending
	case waiting > 0:
		return corev1.PodPending
	case runningN > 0:
		return corev1.PodRunning
	case stopped > 0:
		if pod.Spec.RestartPolicy == corev1.RestartPolicyAlways {
			return corev1.PodRunning
		}
		if stopped == succeeded {
			return corev1.PodSucceeded
		}
		if pod.Spec.RestartPolicy == corev1.RestartPolicyNever {
			return corev1.PodFailed
		}
		return corev1.PodRunning
	}
	return corev1.PodPending
}
