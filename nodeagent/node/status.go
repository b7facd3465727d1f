package node

import (
	"context"
	"fmt"
	"runtime"
	"sort"
	"time"

	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/klog/v2"
)

// Event reasons, as upstream's pkg/kubelet/events.
const (
	EventStarting                  = "Starting"
	EventNodeReady                 = "NodeReady"
	EventNodeNotReady              = "NodeNotReady"
	EventNodeRebooted              = "Rebooted"
	EventNodeHasSufficientMemory   = "NodeHasSufficientMemory"
	EventNodeHasInsufficientMemory = "NodeHasInsufficientMemory"
	EventNodeHasNoDiskPressure     = "NodeHasNoDiskPressure"
	EventNodeHasDiskPressure       = "NodeHasDiskPressure"
	EventNodeHasSufficientPID      = "NodeHasSufficientPID"
	EventNodeHasInsufficientPID    = "NodeHasInsufficientPID"
)

// observation is everything the status is computed from, read once per
// sync so that computing the status itself is pure.
type observation struct {
	now        time.Time
	machine    MachineInfo
	machineErr error
	nodeFS     *FSStats
	// pressure holds the pressure conditions to report True.
	pressure map[corev1.NodeConditionType]bool
	readyErr error
	// images is nil when there is no lister or it failed.
	images []corev1.ContainerImage
}

// observe reads the host. Read errors are logged and leave the part they
// concern empty, as upstream's setters do: a status with some fields missing
// beats no status (and no heartbeat) at all.
func (a *Agent) observe(ctx context.Context) observation {
	logger := klog.FromContext(ctx)
	h := a.cfg.Host
	o := observation{now: a.cfg.Clock.Now()}
	o.machine, o.machineErr = h.Machine()
	if o.machineErr != nil {
		logger.Error(o.machineErr, "Error getting machine info")
	}
	var s signals
	if m, err := h.Memory(); err == nil {
		s.memory = &m
	} else {
		logger.Error(err, "Error reading the memory signal")
	}
	if fs, err := h.Filesystem(a.cfg.DataDir); err == nil {
		s.nodeFS = &fs
		o.nodeFS = &fs
	} else {
		logger.Error(err, "Error reading the nodefs signal", "path", a.cfg.DataDir)
	}
	if a.cfg.ImageFSDir != "" {
		if fs, err := h.Filesystem(a.cfg.ImageFSDir); err == nil {
			s.imageFS = &fs
		} else {
			logger.Error(err, "Error reading the imagefs signal", "path", a.cfg.ImageFSDir)
		}
	}
	if t, err := h.Tasks(); err == nil {
		s.tasks = &t
	} else {
		logger.Error(err, "Error reading the pid signal")
	}
	o.pressure = a.pressure.observe(o.now, a.cfg.Eviction.met(s))
	if a.cfg.Ready != nil {
		o.readyErr = a.cfg.Ready()
	}
	if a.cfg.Images != nil {
		images, err := a.cfg.Images(ctx)
		if err != nil {
			logger.Error(err, "Error getting image list")
		} else {
			o.images = topImages(images)
		}
	}
	return o
}

// topImages keeps the MaxImages largest images, each with at most
// MaxNamesPerImage names, as upstream (whose image manager sorts by size).
func topImages(images []corev1.ContainerImage) []corev1.ContainerImage {
	images = append([]corev1.ContainerImage(nil), images...)
	sort.SliceStable(images, func(i, j int) bool { return images[i].SizeBytes > images[j].SizeBytes })
	if len(images) > MaxImages {
		images = images[:MaxImages]
	}
	for i := range images {
		if len(images[i].Names) > MaxNamesPerImage {
			images[i].Names = images[i].Names[:MaxNamesPerImage]
		}
	}
	return images
}

// event is one event the status change calls for. Events are recorded only
// once the status that carries the change has been written, so that a
// conflict retry does not record them twice.
type event struct {
	eventType, reason, message string
}

// setStatus overwrites node's status with the observation, as upstream's
// setNodeStatus and its setters, and returns the events the changes call
// for. Fields that other writers own (volumes, extended resources, other
// conditions) are left alone.
func (a *Agent) setStatus(node *corev1.Node, o observation) []event {
	var events []event
	statusEvent := func(eventType, reason string) {
		events = append(events, event{eventType, reason, fmt.Sprintf("Node %s status is now: %s", a.cfg.NodeName, reason)})
	}
	s := &node.Status
	s.Addresses = append([]corev1.NodeAddress(nil), a.cfg.Addresses...)

	// Capacity: upstream's MachineInfo setter.
	if s.Capacity == nil {
		s.Capacity = corev1.ResourceList{}
	}
	pods := *resource.NewQuantity(int64(a.cfg.MaxPods), resource.DecimalSI)
	if o.machineErr != nil {
		s.Capacity[corev1.ResourceCPU] = *resource.NewMilliQuantity(0, resource.DecimalSI)
		s.Capacity[corev1.ResourceMemory] = resource.MustParse("0Gi")
		s.Capacity[corev1.ResourcePods] = pods
	} else {
		m := o.machine
		s.NodeInfo.MachineID = m.MachineID
		s.NodeInfo.SystemUUID = m.SystemUUID
		s.Capacity[corev1.ResourceCPU] = *resource.NewMilliQuantity(int64(m.NumCPU)*1000, resource.DecimalSI)
		s.Capacity[corev1.ResourceMemory] = *resource.NewQuantity(m.MemoryBytes, resource.BinarySI)
		for _, hp := range m.HugePages {
			s.Capacity[hugePageResource(hp.PageSizeBytes)] = *resource.NewQuantity(hp.TotalBytes, resource.BinarySI)
		}
		s.Capacity[corev1.ResourcePods] = pods
		if s.NodeInfo.BootID != "" && s.NodeInfo.BootID != m.BootID && !a.rebootRecorded {
			a.rebootRecorded = true
			events = append(events, event{corev1.EventTypeWarning, EventNodeRebooted,
				fmt.Sprintf("Node %s has been rebooted, boot id: %s", a.cfg.NodeName, m.BootID)})
		}
		s.NodeInfo.BootID = m.BootID
		if o.nodeFS != nil {
			s.Capacity[corev1.ResourceEphemeralStorage] = *resource.NewQuantity(o.nodeFS.CapacityBytes, resource.BinarySI)
		}
	}
	// Allocatable equals capacity: kubeshim reserves nothing for the
	// system or itself (upstream's kube-reserved, system-reserved and the
	// eviction threshold are all unset), except the memory that huge
	// pages hold, which upstream always subtracts.
	if s.Allocatable == nil {
		s.Allocatable = corev1.ResourceList{}
	}
	for k, v := range s.Capacity {
		s.Allocatable[k] = v.DeepCopy()
	}
	for k, v := range s.Capacity {
		if isHugePageResource(k) {
			mem := s.Allocatable[corev1.ResourceMemory]
			mem.Sub(v)
			if mem.Sign() < 0 {
				mem.Set(0)
			}
			s.Allocatable[corev1.ResourceMemory] = mem
		}
	}

	// VersionInfo, DaemonEndpoints, Images, GoRuntime.
	if o.machineErr == nil {
		s.NodeInfo.KernelVersion = o.machine.KernelVersion
		s.NodeInfo.OSImage = o.machine.OSImage
	}
	s.NodeInfo.ContainerRuntimeVersion = a.cfg.RuntimeVersion
	s.NodeInfo.KubeletVersion = a.cfg.KubeletVersion
	// Upstream's DisableNodeKubeProxyVersion is locked on since 1.36.
	s.NodeInfo.KubeProxyVersion = ""
	s.NodeInfo.OperatingSystem = runtime.GOOS
	s.NodeInfo.Architecture = runtime.GOARCH
	s.DaemonEndpoints.KubeletEndpoint.Port = a.cfg.KubeletPort
	s.Images = o.images

	// Conditions, in upstream's order: a new node lists them so.
	now := metav1.NewTime(o.now)
	for _, p := range pressureConditions {
		setPressureCondition(s, p, o.pressure[p.conditionType], now, statusEvent)
	}
	setReadyCondition(s, o.readyErr, now, func(reason string) {
		statusEvent(corev1.EventTypeNormal, reason)
	})
	return events
}

func hugePageResource(pageSize int64) corev1.ResourceName {
	return corev1.ResourceName(corev1.ResourceHugePagesPrefix + resource.NewQuantity(pageSize, resource.BinarySI).String())
}

func isHugePageResource(name corev1.ResourceName) bool {
	return len(name) > len(corev1.ResourceHugePagesPrefix) && string(name[:len(corev1.ResourceHugePagesPrefix)]) == corev1.ResourceHugePagesPrefix
}

// pressureCondition is one of upstream's pressure condition setters.
type pressureCondition struct {
	conditionType                         corev1.NodeConditionType
	trueReason, trueMessage, trueEvent    string
	falseReason, falseMessage, falseEvent string
}

var pressureConditions = []pressureCondition{
	{
		corev1.NodeMemoryPressure,
		"KubeletHasInsufficientMemory", "kubelet has insufficient memory available", EventNodeHasInsufficientMemory,
		"KubeletHasSufficientMemory", "kubelet has sufficient memory available", EventNodeHasSufficientMemory,
	},
	{
		corev1.NodeDiskPressure,
		"KubeletHasDiskPressure", "kubelet has disk pressure", EventNodeHasDiskPressure,
		"KubeletHasNoDiskPressure", "kubelet has no disk pressure", EventNodeHasNoDiskPressure,
	},
	{
		corev1.NodePIDPressure,
		"KubeletHasInsufficientPID", "kubelet has insufficient PID available", EventNodeHasInsufficientPID,
		"KubeletHasSufficientPID", "kubelet has sufficient PID available", EventNodeHasSufficientPID,
	},
}

// setPressureCondition beats the condition and moves it to the observed
// status; the transition time and event change only with the status. A
// new condition starts from Unknown, so it records its first event.
func setPressureCondition(s *corev1.NodeStatus, p pressureCondition, pressure bool, now metav1.Time, record func(eventType, reason string)) {
	var c *corev1.NodeCondition
	for i := range s.Conditions {
		if s.Conditions[i].Type == p.conditionType {
			c = &s.Conditions[i]
		}
	}
	added := c == nil
	if added {
		c = &corev1.NodeCondition{Type: p.conditionType, Status: corev1.ConditionUnknown}
	}
	c.LastHeartbeatTime = now
	switch {
	case pressure && c.Status != corev1.ConditionTrue:
		c.Status, c.Reason, c.Message, c.LastTransitionTime = corev1.ConditionTrue, p.trueReason, p.trueMessage, now
		record(corev1.EventTypeNormal, p.trueEvent)
	case !pressure && c.Status != corev1.ConditionFalse:
		c.Status, c.Reason, c.Message, c.LastTransitionTime = corev1.ConditionFalse, p.falseReason, p.falseMessage, now
		record(corev1.EventTypeNormal, p.falseEvent)
	}
	if added {
		s.Conditions = append(s.Conditions, *c)
	}
}

// setReadyCondition replaces the Ready condition. Unlike the pressure
// conditions, a new Ready condition records no event (upstream's
// ReadyCondition setter): only a change of an existing one does.
func setReadyCondition(s *corev1.NodeStatus, readyErr error, now metav1.Time, record func(reason string)) {
	c := corev1.NodeCondition{
		Type:              corev1.NodeReady,
		Status:            corev1.ConditionTrue,
		Reason:            "KubeletReady",
		Message:           "kubelet is posting ready status",
		LastHeartbeatTime: now,
	}
	if readyErr != nil {
		c.Status, c.Reason, c.Message = corev1.ConditionFalse, "KubeletNotReady", readyErr.Error()
	}
	for i := range s.Conditions {
		if s.Conditions[i].Type != corev1.NodeReady {
			continue
		}
		if s.Conditions[i].Status == c.Status {
			c.LastTransitionTime = s.Conditions[i].LastTransitionTime
		} else {
			c.LastTransitionTime = now
			if c.Status == corev1.ConditionTrue {
				record(EventNodeReady)
			} else {
				record(EventNodeNotReady)
			}
		}
		s.Conditions[i] = c
		return
	}
	c.LastTransitionTime = now
	s.Conditions = append(s.Conditions, c)
}

// statusChanged reports whether the status differs in anything but the
// conditions' heartbeat times (upstream's nodeStatusHasChanged).
func statusChanged(old, cur *corev1.NodeStatus) bool {
	if len(old.Conditions) != len(cur.Conditions) {
		return true
	}
	byType := func(cs []corev1.NodeCondition) []corev1.NodeCondition {
		cs = append([]corev1.NodeCondition(nil), cs...)
		sort.SliceStable(cs, func(i, j int) bool { return cs[i].Type < cs[j].Type })
		for i := range cs {
			cs[i].LastHeartbeatTime = metav1.Time{}
		}
		return cs
	}
	if !apiequality.Semantic.DeepEqual(byType(old.Conditions), byType(cur.Conditions)) {
		return true
	}
	o, c := old.DeepCopy(), cur.DeepCopy()
	o.Conditions, c.Conditions = nil, nil
	return !apiequality.Semantic.DeepEqual(o, c)
}

// readyCondition returns the node's Ready condition, or nil.
func readyCondition(s *corev1.NodeStatus) *corev1.NodeCondition {
	for i := range s.Conditions {
		if s.Conditions[i].Type == corev1.NodeReady {
			return &s.Conditions[i]
		}
	}
	return nil
}
