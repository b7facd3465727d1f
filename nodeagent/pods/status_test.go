package pods

import (
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/nodeagent/runtime"
)

// t0 is when the test pods started.
var t0 = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func running_(started bool) corev1.ContainerStatus {
	return corev1.ContainerStatus{State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}, Started: ptr.To(started)}
}

func terminatedWith(code int32) corev1.ContainerStatus {
	return corev1.ContainerStatus{State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{ExitCode: code}}}
}

func waitingFor(reason string) corev1.ContainerStatus {
	return corev1.ContainerStatus{State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}}
}

// restarting is a container in back-off after it exited with code.
func restarting(code int32) corev1.ContainerStatus {
	cs := waitingFor("CrashLoopBackOff")
	cs.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{ExitCode: code}
	return cs
}

func phasePod(policy corev1.RestartPolicy, inits []corev1.Container, apps int) *corev1.Pod {
	pod := &corev1.Pod{Spec: corev1.PodSpec{RestartPolicy: policy, InitContainers: inits}}
	for i := 0; i < apps; i++ {
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: "app" + strconv.Itoa(i)})
	}
	return pod
}

var (
	regularInit = []corev1.Container{{Name: "init"}}
	sidecarInit = []corev1.Container{{Name: "sidecar", RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways)}}
)

// TestPodPhase follows the cases of the kubelet's getPhase (with the
// ContainerRestartRules gate off, its default).
func TestPodPhase(t *testing.T) {
	for _, tc := range []struct {
		name   string
		policy corev1.RestartPolicy
		inits  []corev1.Container
		initSt []corev1.ContainerStatus
		apps   []corev1.ContainerStatus
		want   corev1.PodPhase
		skip   string
	}{
		{name: "nothing started", policy: corev1.RestartPolicyAlways,
			apps: []corev1.ContainerStatus{waitingFor("ContainerCreating")}, want: corev1.PodPending},
		{name: "init pending", policy: corev1.RestartPolicyAlways, inits: regularInit,
			initSt: []corev1.ContainerStatus{waitingFor("PodInitializing")},
			apps:   []corev1.ContainerStatus{waitingFor("PodInitializing")}, want: corev1.PodPending},
		{name: "init running", policy: corev1.RestartPolicyAlways, inits: regularInit,
			initSt: []corev1.ContainerStatus{running_(false)},
			apps:   []corev1.ContainerStatus{waitingFor("PodInitializing")}, want: corev1.PodPending},
		{name: "init failed with Never", policy: corev1.RestartPolicyNever, inits: regularInit,
			initSt: []corev1.ContainerStatus{terminatedWith(1)},
			apps:   []corev1.ContainerStatus{waitingFor("PodInitializing")}, want: corev1.PodFailed},
		{name: "init failed with OnFailure restarts", policy: corev1.RestartPolicyOnFailure, inits: regularInit,
			initSt: []corev1.ContainerStatus{terminatedWith(1)},
			apps:   []corev1.ContainerStatus{waitingFor("PodInitializing")}, want: corev1.PodPending},
		{name: "init in back-off with Always", policy: corev1.RestartPolicyAlways, inits: regularInit,
			initSt: []corev1.ContainerStatus{restarting(1)},
			apps:   []corev1.ContainerStatus{waitingFor("PodInitializing")}, want: corev1.PodPending},
		{name: "init done, app running", policy: corev1.RestartPolicyAlways, inits: regularInit,
			initSt: []corev1.ContainerStatus{terminatedWith(0)},
			apps:   []corev1.ContainerStatus{running_(true)}, want: corev1.PodRunning},
		{name: "one waiting one running", policy: corev1.RestartPolicyAlways,
			apps: []corev1.ContainerStatus{running_(true), waitingFor("ContainerCreating")}, want: corev1.PodPending},
		{name: "all running", policy: corev1.RestartPolicyAlways,
			apps: []corev1.ContainerStatus{running_(true), running_(false)}, want: corev1.PodRunning},
		{name: "one running one exited", policy: corev1.RestartPolicyNever,
			apps: []corev1.ContainerStatus{running_(true), terminatedWith(1)}, want: corev1.PodRunning},
		{name: "all succeeded, Never", policy: corev1.RestartPolicyNever,
			apps: []corev1.ContainerStatus{terminatedWith(0), terminatedWith(0)}, want: corev1.PodSucceeded},
		{name: "all succeeded, OnFailure", policy: corev1.RestartPolicyOnFailure,
			apps: []corev1.ContainerStatus{terminatedWith(0), terminatedWith(0)}, want: corev1.PodSucceeded},
		{name: "all succeeded, Always restarts them", policy: corev1.RestartPolicyAlways,
			apps: []corev1.ContainerStatus{terminatedWith(0), terminatedWith(0)}, want: corev1.PodRunning},
		{name: "mixed, Never", policy: corev1.RestartPolicyNever,
			apps: []corev1.ContainerStatus{terminatedWith(0), terminatedWith(2)}, want: corev1.PodFailed},
		{name: "mixed, OnFailure", policy: corev1.RestartPolicyOnFailure,
			apps: []corev1.ContainerStatus{terminatedWith(0), terminatedWith(2)}, want: corev1.PodRunning},
		{name: "mixed, Always", policy: corev1.RestartPolicyAlways,
			apps: []corev1.ContainerStatus{terminatedWith(0), terminatedWith(2)}, want: corev1.PodRunning},
		{name: "restarting with lastTermination, Always", policy: corev1.RestartPolicyAlways,
			apps: []corev1.ContainerStatus{restarting(1)}, want: corev1.PodRunning},
		{name: "restarting with lastTermination, OnFailure", policy: corev1.RestartPolicyOnFailure,
			apps: []corev1.ContainerStatus{restarting(1), terminatedWith(0)}, want: corev1.PodRunning},
		{name: "sidecar started, app running", policy: corev1.RestartPolicyAlways, inits: sidecarInit,
			initSt: []corev1.ContainerStatus{running_(true)},
			apps:   []corev1.ContainerStatus{running_(true)}, want: corev1.PodRunning},
		{name: "sidecar running, not started yet", policy: corev1.RestartPolicyAlways, inits: sidecarInit,
			initSt: []corev1.ContainerStatus{running_(false)},
			apps:   []corev1.ContainerStatus{waitingFor("PodInitializing")}, want: corev1.PodPending},
		{name: "sidecar restarting after the pod initialized", policy: corev1.RestartPolicyAlways, inits: sidecarInit,
			initSt: []corev1.ContainerStatus{restarting(1)},
			apps:   []corev1.ContainerStatus{running_(true)}, want: corev1.PodRunning},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.skip != "" {
				t.Skip(tc.skip)
			}
			pod := phasePod(tc.policy, tc.inits, len(tc.apps))
			if got := podPhase(pod, tc.initSt, tc.apps, true); got != tc.want {
				t.Errorf("podPhase = %s, want %s", got, tc.want)
			}
		})
	}
}

func TestBackoff(t *testing.T) {
	for _, tc := range []struct {
		attempt int
		want    time.Duration // restartDelay right after the exit
	}{
		{0, 0},
		{1, 10 * time.Second},
		{2, 20 * time.Second},
		{3, 40 * time.Second},
		{4, 80 * time.Second},
		{5, 160 * time.Second},
		{6, 5 * time.Minute},
		{20, 5 * time.Minute},
	} {
		t.Run(strconv.Itoa(tc.attempt), func(t *testing.T) {
			info := &runtime.Info{Labels: map[string]string{runtime.LabelAttempt: strconv.Itoa(tc.attempt)}, FinishedAt: time.Now()}
			got := restartDelay(info)
			if tc.want == 0 {
				if got != 0 {
					t.Errorf("restartDelay = %v, want 0 (the first restart is immediate)", got)
				}
			} else if got > tc.want || got < tc.want-5*time.Second {
				t.Errorf("restartDelay = %v, want just under %v", got, tc.want)
			}
			// The back-off in the CrashLoopBackOff message is the full
			// delay; the first exit reports the initial one.
			wantMsg := tc.want
			if wantMsg == 0 {
				wantMsg = 10 * time.Second
			}
			if got := backoffFor(info); got != wantMsg {
				t.Errorf("backoffFor = %v, want %v", got, wantMsg)
			}
			// Measured from the exit: long after it there is no wait.
			info.FinishedAt = time.Now().Add(-10 * time.Minute)
			if got := restartDelay(info); got > 0 {
				t.Errorf("restartDelay 10 min after the exit = %v, want <= 0", got)
			}
		})
	}
}

// info makes a runtime record of one instance of a pod's container.
func info(name string, attempt int, state string) *runtime.Info {
	return &runtime.Info{
		ID:    name + "-" + strconv.Itoa(attempt),
		State: state,
		Labels: map[string]string{
			runtime.LabelKind: runtime.KindContainer, runtime.LabelContainerName: name,
			runtime.LabelAttempt: strconv.Itoa(attempt),
		},
		Image:     "docker.io/library/busybox:latest",
		ImageID:   "sha256:1111",
		StartedAt: t0.Add(time.Duration(attempt) * time.Minute),
	}
}

func exitedInfo(name string, attempt int, code int32, finished time.Time) *runtime.Info {
	i := info(name, attempt, "exited")
	i.ExitCode, i.FinishedAt, i.Reason = code, finished, "Completed"
	if code != 0 {
		i.Reason = "Error"
	}
	return i
}

func sandboxInfo_(state string) *runtime.Info {
	return &runtime.Info{ID: "sb", State: state, Labels: map[string]string{runtime.LabelKind: runtime.KindSandbox, runtime.LabelAttempt: "0"}}
}

func statusPod(policy corev1.RestartPolicy, inits []string, apps ...string) *corev1.Pod {
	pod := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "p", UID: "uid-1", Generation: 3},
		Spec:       corev1.PodSpec{RestartPolicy: policy},
		Status:     corev1.PodStatus{Phase: corev1.PodPending},
	}
	for _, n := range inits {
		pod.Spec.InitContainers = append(pod.Spec.InitContainers, corev1.Container{Name: n, Image: "busybox"})
	}
	for _, n := range apps {
		pod.Spec.Containers = append(pod.Spec.Containers, corev1.Container{Name: n, Image: "busybox"})
	}
	return pod
}

func cond(t corev1.PodConditionType, ok bool, reason, msg string) corev1.PodCondition {
	c := corev1.PodCondition{Type: t, Status: corev1.ConditionFalse, Reason: reason, Message: msg, ObservedGeneration: 3}
	if ok {
		c.Status = corev1.ConditionTrue
	}
	return c
}

func newState() *podState {
	return &podState{podIP: net.ParseIP("10.244.0.7"), startTime: t0, pullErrors: map[string]pullError{}, configErrors: map[string]string{}}
}

func testManager() *Manager {
	return &Manager{config: Config{NodeName: "node1", HostIPs: []string{"192.0.2.10", "2001:db8::10"}}}
}

// wantStatus is a status with the fields every case shares filled in.
func wantStatus(phase corev1.PodPhase, conds []corev1.PodCondition, inits, apps []corev1.ContainerStatus) corev1.PodStatus {
	start := metav1.NewTime(t0)
	return corev1.PodStatus{
		Phase:                 phase,
		Conditions:            conds,
		HostIP:                "192.0.2.10",
		HostIPs:               []corev1.HostIP{{IP: "192.0.2.10"}, {IP: "2001:db8::10"}},
		PodIP:                 "10.244.0.7",
		PodIPs:                []corev1.PodIP{{IP: "10.244.0.7"}},
		StartTime:             &start,
		QOSClass:              corev1.PodQOSBestEffort,
		InitContainerStatuses: inits,
		ContainerStatuses:     apps,
		ObservedGeneration:    3, // statusPod's generation
	}
}

func runningStatus(name string, attempt int, ready bool) corev1.ContainerStatus {
	return corev1.ContainerStatus{
		Name: name, Image: "busybox", ImageID: "docker.io/library/busybox@sha256:1111",
		ContainerID:  "containerd://" + name + "-" + strconv.Itoa(attempt),
		RestartCount: int32(attempt), Ready: ready, Started: ptr.To(true),
		State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{StartedAt: metav1.NewTime(t0.Add(time.Duration(attempt) * time.Minute))}},
	}
}

func terminatedState(name string, attempt int, code int32, finished time.Time) *corev1.ContainerStateTerminated {
	reason := "Completed"
	if code != 0 {
		reason = "Error"
	}
	return &corev1.ContainerStateTerminated{
		ExitCode: code, Reason: reason,
		StartedAt:   metav1.NewTime(t0.Add(time.Duration(attempt) * time.Minute)),
		FinishedAt:  metav1.NewTime(finished),
		ContainerID: "containerd://" + name + "-" + strconv.Itoa(attempt),
	}
}

func waitingStatus(name, reason, msg string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, Image: "busybox", Started: ptr.To(false),
		State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason, Message: msg}}}
}

func TestComputeStatus(t *testing.T) {
	now := time.Now()
	readyConds := []corev1.PodCondition{
		cond(corev1.PodReadyToStartContainers, true, "", ""),
		cond(corev1.PodInitialized, true, "", ""),
		cond(corev1.PodReady, true, "", ""),
		cond(corev1.ContainersReady, true, "", ""),
	}
	notReady := func(names string, initialized bool, pending string) []corev1.PodCondition {
		init := cond(corev1.PodInitialized, true, "", "")
		if !initialized {
			init = cond(corev1.PodInitialized, false, "ContainersNotInitialized", "containers with incomplete status: ["+pending+"]")
		}
		msg := "containers with unready status: [" + names + "]"
		return []corev1.PodCondition{
			cond(corev1.PodReadyToStartContainers, true, "", ""),
			init,
			cond(corev1.PodReady, false, "ContainersNotReady", msg),
			cond(corev1.ContainersReady, false, "ContainersNotReady", msg),
		}
	}
	for _, tc := range []struct {
		name  string
		pod   func() *corev1.Pod
		state func(*podState)
		infos []*runtime.Info
		want  corev1.PodStatus
		// opts leave out what a case does not check (a known divergence
		// that another, skipped, test states).
		opts []cmp.Option
		skip string
	}{
		{
			name:  "ContainerCreating",
			pod:   func() *corev1.Pod { return statusPod(corev1.RestartPolicyAlways, nil, "app") },
			infos: []*runtime.Info{sandboxInfo_("running")},
			want: wantStatus(corev1.PodPending, notReady("app", true, ""), nil,
				[]corev1.ContainerStatus{waitingStatus("app", "ContainerCreating", "")}),
		},
		{
			name:  "running and ready",
			pod:   func() *corev1.Pod { return statusPod(corev1.RestartPolicyAlways, nil, "app") },
			infos: []*runtime.Info{sandboxInfo_("running"), info("app", 0, "running")},
			want:  wantStatus(corev1.PodRunning, readyConds, nil, []corev1.ContainerStatus{runningStatus("app", 0, true)}),
		},
		{
			name: "a readiness probe not yet run leaves it unready",
			pod: func() *corev1.Pod {
				pod := statusPod(corev1.RestartPolicyAlways, nil, "app")
				pod.Spec.Containers[0].ReadinessProbe = &corev1.Probe{}
				return pod
			},
			infos: []*runtime.Info{sandboxInfo_("running"), info("app", 0, "running")},
			want: wantStatus(corev1.PodRunning, notReady("app", true, ""), nil,
				[]corev1.ContainerStatus{runningStatus("app", 0, false)}),
		},
		{
			name: "CrashLoopBackOff with lastState",
			pod:  func() *corev1.Pod { return statusPod(corev1.RestartPolicyAlways, nil, "app") },
			// Listed newest first: the view orders instances by attempt.
			infos: []*runtime.Info{exitedInfo("app", 2, 1, now), sandboxInfo_("running"),
				exitedInfo("app", 1, 1, now.Add(-time.Minute))},
			want: wantStatus(corev1.PodRunning, notReady("app", true, ""), nil, []corev1.ContainerStatus{{
				Name: "app", Image: "busybox", ImageID: "docker.io/library/busybox@sha256:1111",
				ContainerID: "containerd://app-2", RestartCount: 2, Started: ptr.To(false),
				State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{
					Reason:  "CrashLoopBackOff",
					Message: "back-off 20s restarting failed container=app pod=p_ns(uid-1)",
				}},
				LastTerminationState: corev1.ContainerState{Terminated: terminatedState("app", 2, 1, now)},
			}}),
		},
		{
			name:  "first exit restarts at once: ContainerCreating with lastState",
			pod:   func() *corev1.Pod { return statusPod(corev1.RestartPolicyAlways, nil, "app") },
			infos: []*runtime.Info{sandboxInfo_("running"), exitedInfo("app", 0, 0, now)},
			want: wantStatus(corev1.PodRunning, notReady("app", true, ""), nil, []corev1.ContainerStatus{{
				Name: "app", Image: "busybox", ImageID: "docker.io/library/busybox@sha256:1111",
				ContainerID: "containerd://app-0", Started: ptr.To(false),
				State:                corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: "ContainerCreating"}},
				LastTerminationState: corev1.ContainerState{Terminated: terminatedState("app", 0, 0, now)},
			}}),
		},
		{
			name: "restarted once: previous instance is lastState",
			pod:  func() *corev1.Pod { return statusPod(corev1.RestartPolicyAlways, nil, "app") },
			infos: []*runtime.Info{sandboxInfo_("running"),
				exitedInfo("app", 0, 2, now.Add(-time.Minute)), info("app", 1, "running")},
			want: func() corev1.PodStatus {
				cs := runningStatus("app", 1, true)
				cs.LastTerminationState.Terminated = terminatedState("app", 0, 2, now.Add(-time.Minute))
				return wantStatus(corev1.PodRunning, readyConds, nil, []corev1.ContainerStatus{cs})
			}(),
		},
		{
			name: "succeeded with Never",
			pod:  func() *corev1.Pod { return statusPod(corev1.RestartPolicyNever, nil, "app") },
			infos: []*runtime.Info{sandboxInfo_("running"),
				exitedInfo("app", 0, 0, now)},
			want: wantStatus(corev1.PodSucceeded, []corev1.PodCondition{
				cond(corev1.PodReadyToStartContainers, false, "", ""),
				cond(corev1.PodInitialized, true, "", ""),
				cond(corev1.PodReady, false, "PodCompleted", ""),
				cond(corev1.ContainersReady, false, "PodCompleted", ""),
			}, nil, []corev1.ContainerStatus{{
				Name: "app", Image: "busybox", ImageID: "docker.io/library/busybox@sha256:1111",
				ContainerID: "containerd://app-0", Started: ptr.To(false),
				State: corev1.ContainerState{Terminated: terminatedState("app", 0, 0, now)},
			}}),
			opts: []cmp.Option{ignoreConditions}, // TestTerminalConditions
		},
		{
			name:  "init running: app PodInitializing",
			pod:   func() *corev1.Pod { return statusPod(corev1.RestartPolicyAlways, []string{"init"}, "app") },
			infos: []*runtime.Info{sandboxInfo_("running"), info("init", 0, "running")},
			want: wantStatus(corev1.PodPending, notReady("app", false, "init"),
				[]corev1.ContainerStatus{runningStatus("init", 0, false)},
				[]corev1.ContainerStatus{waitingStatus("app", "PodInitializing", "")}),
			opts: []cmp.Option{ignoreInitReady}, // TestInitContainerReady
		},
		{
			name:  "init not started: both PodInitializing",
			pod:   func() *corev1.Pod { return statusPod(corev1.RestartPolicyAlways, []string{"init"}, "app") },
			infos: []*runtime.Info{sandboxInfo_("running")},
			want: wantStatus(corev1.PodPending, notReady("app", false, "init"),
				[]corev1.ContainerStatus{waitingStatus("init", "PodInitializing", "")},
				[]corev1.ContainerStatus{waitingStatus("app", "PodInitializing", "")}),
		},
		{
			name:  "init done: app ContainerCreating",
			pod:   func() *corev1.Pod { return statusPod(corev1.RestartPolicyAlways, []string{"init"}, "app") },
			infos: []*runtime.Info{sandboxInfo_("running"), exitedInfo("init", 0, 0, now)},
			want: wantStatus(corev1.PodPending, notReady("app", true, ""),
				[]corev1.ContainerStatus{{
					Name: "init", Image: "busybox", ImageID: "docker.io/library/busybox@sha256:1111",
					ContainerID: "containerd://init-0", Started: ptr.To(false),
					State: corev1.ContainerState{Terminated: terminatedState("init", 0, 0, now)},
					Ready: true,
				}},
				[]corev1.ContainerStatus{waitingStatus("app", "ContainerCreating", "")}),
			opts: []cmp.Option{ignoreInitReady}, // TestInitContainerReady
		},
		{
			name:  "init failed with Never: pod Failed",
			pod:   func() *corev1.Pod { return statusPod(corev1.RestartPolicyNever, []string{"init"}, "app") },
			infos: []*runtime.Info{sandboxInfo_("running"), exitedInfo("init", 0, 1, now)},
			want: wantStatus(corev1.PodFailed, []corev1.PodCondition{
				cond(corev1.PodReadyToStartContainers, false, "", ""),
				cond(corev1.PodInitialized, false, "ContainersNotInitialized", "containers with incomplete status: [init]"),
				cond(corev1.PodReady, false, "PodCompleted", ""),
				cond(corev1.ContainersReady, false, "PodCompleted", ""),
			},
				[]corev1.ContainerStatus{{
					Name: "init", Image: "busybox", ImageID: "docker.io/library/busybox@sha256:1111",
					ContainerID: "containerd://init-0", Started: ptr.To(false),
					State: corev1.ContainerState{Terminated: terminatedState("init", 0, 1, now)},
				}},
				[]corev1.ContainerStatus{waitingStatus("app", "PodInitializing", "")}),
			opts: []cmp.Option{ignoreConditions}, // TestTerminalConditions
		},
		{
			name: "image pull errors and config errors from podState",
			pod:  func() *corev1.Pod { return statusPod(corev1.RestartPolicyAlways, nil, "a", "b", "c") },
			state: func(st *podState) {
				st.pullErrors["a"] = pullError{reason: "ErrImagePull", message: `Failed to pull image "busybox": no registry`}
				st.pullErrors["b"] = pullError{reason: "ImagePullBackOff", message: `Back-off pulling image "busybox"`}
				st.configErrors["c"] = `CreateContainerConfigError:secret "s" not found`
			},
			infos: []*runtime.Info{sandboxInfo_("running")},
			want: wantStatus(corev1.PodPending, notReady("a b c", true, ""), nil, []corev1.ContainerStatus{
				waitingStatus("a", "ErrImagePull", `Failed to pull image "busybox": no registry`),
				waitingStatus("b", "ImagePullBackOff", `Back-off pulling image "busybox"`),
				waitingStatus("c", "CreateContainerConfigError", `secret "s" not found`),
			}),
		},
		{
			name: "deleted pod: never-started container is ContainerStatusUnknown, pod Failed",
			pod: func() *corev1.Pod {
				pod := statusPod(corev1.RestartPolicyAlways, nil, "app")
				pod.DeletionTimestamp = &metav1.Time{Time: now}
				return pod
			},
			infos: []*runtime.Info{sandboxInfo_("exited")},
			want: wantStatus(corev1.PodFailed, []corev1.PodCondition{
				cond(corev1.PodReadyToStartContainers, false, "", ""),
				cond(corev1.PodInitialized, true, "", ""),
				cond(corev1.PodReady, false, "PodCompleted", ""),
				cond(corev1.ContainersReady, false, "PodCompleted", ""),
			}, nil, []corev1.ContainerStatus{{
				Name: "app", Image: "busybox", Started: ptr.To(false),
				State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{
					ExitCode: 137, Reason: "ContainerStatusUnknown",
					Message: "The container could not be located when the pod was terminated",
				}},
			}}),
			opts: []cmp.Option{ignoreConditions}, // TestTerminalConditions
		},
		{
			name:  "deadline exceeded",
			pod:   func() *corev1.Pod { return statusPod(corev1.RestartPolicyAlways, nil, "app") },
			state: func(st *podState) { st.deadlineExceeded = true },
			infos: []*runtime.Info{sandboxInfo_("running"), exitedInfo("app", 0, 137, now)},
			want: func() corev1.PodStatus {
				s := wantStatus(corev1.PodFailed, []corev1.PodCondition{
					cond(corev1.PodReadyToStartContainers, false, "", ""),
					cond(corev1.PodInitialized, true, "", ""),
					cond(corev1.PodReady, false, "PodCompleted", ""),
					cond(corev1.ContainersReady, false, "PodCompleted", ""),
				}, nil, []corev1.ContainerStatus{{
					Name: "app", Image: "busybox", ImageID: "docker.io/library/busybox@sha256:1111",
					ContainerID: "containerd://app-0", Started: ptr.To(false),
					State: corev1.ContainerState{Terminated: terminatedState("app", 0, 137, now)},
				}})
				s.Reason = "DeadlineExceeded"
				s.Message = "Pod was active on the node longer than the specified deadline"
				return s
			}(),
			opts: []cmp.Option{ignoreConditions}, // TestTerminalConditions
		},
		{
			name: "terminal phase never changes",
			pod: func() *corev1.Pod {
				pod := statusPod(corev1.RestartPolicyAlways, nil, "app")
				pod.Status.Phase = corev1.PodFailed
				return pod
			},
			infos: []*runtime.Info{sandboxInfo_("running"), info("app", 0, "running")},
			want: wantStatus(corev1.PodFailed, []corev1.PodCondition{
				cond(corev1.PodReadyToStartContainers, false, "", ""),
				cond(corev1.PodInitialized, true, "", ""),
				cond(corev1.PodReady, false, "PodCompleted", ""),
				cond(corev1.ContainersReady, false, "PodCompleted", ""),
			}, nil, []corev1.ContainerStatus{runningStatus("app", 0, true)}),
			opts: []cmp.Option{ignoreConditions}, // TestTerminalConditions
		},
		{
			name: "readiness gate true: Ready true",
			pod: func() *corev1.Pod {
				pod := statusPod(corev1.RestartPolicyAlways, nil, "app")
				pod.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: "example.com/gate"}}
				pod.Status.Conditions = []corev1.PodCondition{{Type: "example.com/gate", Status: corev1.ConditionTrue}}
				return pod
			},
			infos: []*runtime.Info{sandboxInfo_("running"), info("app", 0, "running")},
			want: wantStatus(corev1.PodRunning, append(append([]corev1.PodCondition{}, readyConds...),
				corev1.PodCondition{Type: "example.com/gate", Status: corev1.ConditionTrue}),
				nil, []corev1.ContainerStatus{runningStatus("app", 0, true)}),
		},
		{
			name: "readiness gate not true: Ready false, ContainersReady true",
			pod: func() *corev1.Pod {
				pod := statusPod(corev1.RestartPolicyAlways, nil, "app")
				pod.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: "example.com/gate"}}
				return pod
			},
			infos: []*runtime.Info{sandboxInfo_("running"), info("app", 0, "running")},
			want: wantStatus(corev1.PodRunning, []corev1.PodCondition{
				cond(corev1.PodReadyToStartContainers, true, "", ""),
				cond(corev1.PodInitialized, true, "", ""),
				cond(corev1.PodReady, false, "ReadinessGatesNotReady", `corresponding condition of pod readiness gate "example.com/gate" does not exist.`),
				cond(corev1.ContainersReady, true, "", ""),
			}, nil, []corev1.ContainerStatus{runningStatus("app", 0, true)}),
		},
		{
			name: "resources and QoS",
			pod: func() *corev1.Pod {
				pod := statusPod(corev1.RestartPolicyAlways, nil, "app")
				rl := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")}
				pod.Spec.Containers[0].Resources = corev1.ResourceRequirements{Requests: rl, Limits: rl}
				return pod
			},
			infos: []*runtime.Info{sandboxInfo_("running"), info("app", 0, "running")},
			want: func() corev1.PodStatus {
				cs := runningStatus("app", 0, true)
				rl := corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m"), corev1.ResourceMemory: resource.MustParse("64Mi")}
				cs.Resources = &corev1.ResourceRequirements{Requests: rl, Limits: rl}
				s := wantStatus(corev1.PodRunning, readyConds, nil, []corev1.ContainerStatus{cs})
				s.QOSClass = corev1.PodQOSGuaranteed
				return s
			}(),
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.skip != "" {
				t.Skip(tc.skip)
			}
			st := newState()
			if tc.state != nil {
				tc.state(st)
			}
			got := testManager().computeStatus(tc.pod(), st, newPodView(tc.infos))
			opts := append([]cmp.Option{cmpopts.IgnoreFields(corev1.PodCondition{}, "LastTransitionTime")}, tc.opts...)
			if diff := cmp.Diff(tc.want, got, opts...); diff != "" {
				t.Errorf("computeStatus (-want +got):\n%s", diff)
			}
		})
	}
}

// TestComputeStatusTransitions checks that a condition keeps its
// lastTransitionTime while its status holds, and that conditions the
// kubelet does not own (PodScheduled) are kept as they are.
func TestComputeStatusTransitions(t *testing.T) {
	before := metav1.NewTime(t0.Add(-time.Hour))
	pod := statusPod(corev1.RestartPolicyAlways, nil, "app")
	pod.Status.StartTime = &metav1.Time{Time: t0}
	pod.Status.Conditions = []corev1.PodCondition{
		{Type: corev1.PodScheduled, Status: corev1.ConditionTrue, LastTransitionTime: before},
		{Type: corev1.PodInitialized, Status: corev1.ConditionTrue, LastTransitionTime: before},
		{Type: corev1.PodReady, Status: corev1.ConditionFalse, Reason: "ContainersNotReady", LastTransitionTime: before},
		{Type: "example.com/custom", Status: corev1.ConditionFalse, Reason: "Mine", LastTransitionTime: before},
	}
	st := newState()
	st.startTime = t0.Add(time.Minute) // the pod's own start time wins
	start := time.Now()
	got := testManager().computeStatus(pod, st, newPodView([]*runtime.Info{sandboxInfo_("running"), info("app", 0, "running")}))

	if !got.StartTime.Time.Equal(t0) {
		t.Errorf("startTime = %v, want the pod's %v", got.StartTime, t0)
	}
	var types []corev1.PodConditionType
	for _, c := range got.Conditions {
		types = append(types, c.Type)
	}
	wantTypes := []corev1.PodConditionType{corev1.PodReadyToStartContainers, corev1.PodInitialized, corev1.PodReady,
		corev1.ContainersReady, corev1.PodScheduled, "example.com/custom"}
	if diff := cmp.Diff(wantTypes, types); diff != "" {
		t.Fatalf("condition order (-want +got):\n%s", diff)
	}
	for _, c := range got.Conditions {
		kept := c.Type == corev1.PodScheduled || c.Type == corev1.PodInitialized || c.Type == "example.com/custom"
		if kept && !c.LastTransitionTime.Equal(&before) {
			t.Errorf("%s: lastTransitionTime = %v, want it kept at %v", c.Type, c.LastTransitionTime, before)
		}
		if !kept && c.LastTransitionTime.Time.Before(start.Truncate(time.Second)) {
			t.Errorf("%s: lastTransitionTime = %v, want now (status changed or new)", c.Type, c.LastTransitionTime)
		}
	}
	want := []corev1.PodCondition{pod.Status.Conditions[0], pod.Status.Conditions[3]}
	if diff := cmp.Diff(want, got.Conditions[4:]); diff != "" {
		t.Errorf("conditions the kubelet does not own (-want +got):\n%s", diff)
	}
}

var (
	ignoreConditions = cmpopts.IgnoreFields(corev1.PodStatus{}, "Conditions")
	ignoreInitReady  = cmp.FilterPath(func(p cmp.Path) bool {
		return strings.Contains(p.GoString(), "InitContainerStatuses") && p.Last().String() == ".Ready"
	}, cmp.Ignore())
)

// TestTerminalConditions checks the conditions of a pod that finished, as
// the kubelet writes them (pkg/kubelet/status/generate.go).
func TestTerminalConditions(t *testing.T) {
	now := time.Now()
	for _, tc := range []struct {
		name   string
		policy corev1.RestartPolicy
		code   int32
		want   []corev1.PodCondition
		skip   string
	}{
		{
			name: "succeeded", policy: corev1.RestartPolicyNever, code: 0,
			want: []corev1.PodCondition{
				cond(corev1.PodInitialized, true, "PodCompleted", ""),
				cond(corev1.PodReady, false, "PodCompleted", ""),
				cond(corev1.ContainersReady, false, "PodCompleted", ""),
			},
		},
		{
			name: "failed", policy: corev1.RestartPolicyNever, code: 1,
			want: []corev1.PodCondition{
				cond(corev1.PodInitialized, true, "", ""),
				cond(corev1.PodReady, false, "PodFailed", ""),
				cond(corev1.ContainersReady, false, "PodFailed", ""),
			},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if tc.skip != "" {
				t.Skip(tc.skip)
			}
			pod := statusPod(tc.policy, nil, "app")
			got := testManager().computeStatus(pod, newState(), newPodView([]*runtime.Info{sandboxInfo_("running"), exitedInfo("app", 0, tc.code, now)}))
			var conds []corev1.PodCondition
			for _, c := range got.Conditions {
				if c.Type != corev1.PodReadyToStartContainers {
					conds = append(conds, c)
				}
			}
			if diff := cmp.Diff(tc.want, conds, cmpopts.IgnoreFields(corev1.PodCondition{}, "LastTransitionTime")); diff != "" {
				t.Errorf("conditions (-want +got):\n%s", diff)
			}
		})
	}
}

// TestInitContainerReady checks the ready field of regular init
// containers: false while they run, true once they succeeded, as the
// kubelet's prober manager sets it (the InitContainer conformance tests
// require it).
func TestInitContainerReady(t *testing.T) {
	now := time.Now()
	pod := statusPod(corev1.RestartPolicyAlways, []string{"done", "running"}, "app")
	got := testManager().computeStatus(pod, newState(), newPodView([]*runtime.Info{
		sandboxInfo_("running"), exitedInfo("done", 0, 0, now), info("running", 0, "running"),
	}))
	var ready []bool
	for _, cs := range got.InitContainerStatuses {
		ready = append(ready, cs.Ready)
	}
	if diff := cmp.Diff([]bool{true, false}, ready); diff != "" {
		t.Errorf("init containers' ready (-want +got):\n%s", diff)
	}
}
