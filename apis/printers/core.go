package printers

import (
	"cmp"
	"fmt"
	"net"
	"slices"
	"sort"
	"strconv"
	"strings"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/utils/ptr"
)

var pods = printer[*corev1.Pod]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("Ready", "The aggregate readiness state of this pod for accepting traffic."),
		text("Status", "The aggregate status of the containers in this pod."),
		text("Restarts", "The number of times the containers in this pod have been restarted and when the last container in this pod has restarted."),
		ageColumn,
		wide(text("IP", corev1.PodStatus{}.SwaggerDoc()["podIP"])),
		wide(text("Node", corev1.PodSpec{}.SwaggerDoc()["nodeName"])),
		wide(text("Nominated Node", corev1.PodStatus{}.SwaggerDoc()["nominatedNodeName"])),
		wide(text("Readiness Gates", corev1.PodSpec{}.SwaggerDoc()["readinessGates"])),
	},
	cells: func(c clock, pod *corev1.Pod) []any {
		s := summarizePod(pod)
		restarts := strconv.Itoa(s.restarts)
		if s.restarts != 0 && !s.lastRestart.IsZero() {
			restarts = fmt.Sprintf("%d (%s ago)", s.restarts, c.since(s.lastRestart))
		}
		ip := ""
		if len(pod.Status.PodIPs) > 0 {
			ip = pod.Status.PodIPs[0].IP
		}
		return []any{pod.Name, fmt.Sprintf("%d/%d", s.ready, s.total), s.reason, restarts, c.since(pod.CreationTimestamp),
			orNone(ip), orNone(pod.Spec.NodeName), orNone(pod.Status.NominatedNodeName), readinessGates(pod)}
	},
	conditions: func(pod *corev1.Pod) []metav1.TableRowCondition {
		switch pod.Status.Phase {
		case corev1.PodSucceeded:
			return []metav1.TableRowCondition{{Type: metav1.RowCompleted, Status: metav1.ConditionTrue, Reason: string(corev1.PodSucceeded), Message: "The pod has completed successfully."}}
		case corev1.PodFailed:
			return []metav1.TableRowCondition{{Type: metav1.RowCompleted, Status: metav1.ConditionTrue, Reason: string(corev1.PodFailed), Message: "The pod failed."}}
		}
		return nil
	},
}

// podSummary is what the Ready, Status and Restarts columns of a pod say.
type podSummary struct {
	ready, total int
	reason       string
	restarts     int
	lastRestart  metav1.Time
}

// summarizePod is upstream's pod status logic: the STATUS is the reason of
// the first init container still at work (Init:N/M, Init:CrashLoopBackOff,
// ...), else of the last app container that is not plainly running, else the
// pod's phase; deletion turns it into Terminating. Sidecars (init containers
// that restart always) count as containers once started.
func summarizePod(pod *corev1.Pod) podSummary {
	s := podSummary{total: len(pod.Spec.Containers), reason: string(pod.Status.Phase)}
	if pod.Status.Reason != "" {
		s.reason = pod.Status.Reason
	}
	for _, cond := range pod.Status.Conditions {
		if cond.Type == corev1.PodScheduled && cond.Reason == corev1.PodReasonSchedulingGated {
			s.reason = corev1.PodReasonSchedulingGated
		}
	}

	sidecars := map[string]bool{}
	for _, c := range pod.Spec.InitContainers {
		if c.RestartPolicy != nil && *c.RestartPolicy == corev1.ContainerRestartPolicyAlways {
			sidecars[c.Name] = true
			s.total++
		}
	}

	// While init containers run, restarts count every init container; once
	// they are done, only sidecars and app containers.
	sidecarRestarts := 0
	var lastSidecarRestart metav1.Time
	initializing := false
initContainers:
	for i, st := range pod.Status.InitContainerStatuses {
		s.restarts += int(st.RestartCount)
		s.lastRestart = laterTermination(s.lastRestart, st)
		if sidecars[st.Name] {
			sidecarRestarts += int(st.RestartCount)
			lastSidecarRestart = laterTermination(lastSidecarRestart, st)
		}
		switch t := st.State.Terminated; {
		case t != nil && t.ExitCode == 0:
			continue
		case sidecars[st.Name] && st.Started != nil && *st.Started:
			if st.Ready {
				s.ready++
			}
			continue
		case t != nil:
			switch {
			case t.Reason != "":
				s.reason = "Init:" + t.Reason
			case t.Signal != 0:
				s.reason = fmt.Sprintf("Init:Signal:%d", t.Signal)
			default:
				s.reason = fmt.Sprintf("Init:ExitCode:%d", t.ExitCode)
			}
		case st.State.Waiting != nil && st.State.Waiting.Reason != "" && st.State.Waiting.Reason != "PodInitializing":
			s.reason = "Init:" + st.State.Waiting.Reason
		default:
			s.reason = fmt.Sprintf("Init:%d/%d", i, len(pod.Spec.InitContainers))
		}
		initializing = true
		break initContainers
	}

	if !initializing || podConditionTrue(pod, corev1.PodInitialized) {
		s.restarts, s.lastRestart = sidecarRestarts, lastSidecarRestart
		hasRunning := false
		errorReason := ""
		for i := len(pod.Status.ContainerStatuses) - 1; i >= 0; i-- {
			st := pod.Status.ContainerStatuses[i]
			s.restarts += int(st.RestartCount)
			s.lastRestart = laterTermination(s.lastRestart, st)
			switch t := st.State.Terminated; {
			case st.State.Waiting != nil && st.State.Waiting.Reason != "":
				s.reason = st.State.Waiting.Reason
			case t != nil:
				switch {
				case t.Reason != "":
					s.reason = t.Reason
				case t.Signal != 0:
					s.reason = fmt.Sprintf("Signal:%d", t.Signal)
				default:
					s.reason = fmt.Sprintf("ExitCode:%d", t.ExitCode)
				}
				if t.ExitCode != 0 {
					errorReason = s.reason
				}
			case st.Ready && st.State.Running != nil:
				hasRunning = true
				s.ready++
			}
		}
		// A container that completed does not make the pod Completed while
		// another one still runs.
		if s.reason == "Completed" {
			switch {
			case hasRunning && podConditionTrue(pod, corev1.PodReady):
				s.reason = "Running"
			case errorReason != "":
				s.reason = errorReason
			case hasRunning:
				s.reason = "NotReady"
			}
		}
	}

	// NodeLost is the reason the node lifecycle controller gives the pods of
	// an unreachable node.
	terminal := pod.Status.Phase == corev1.PodSucceeded || pod.Status.Phase == corev1.PodFailed
	switch {
	case pod.DeletionTimestamp != nil && pod.Status.Reason == "NodeLost":
		s.reason = "Unknown"
	case pod.DeletionTimestamp != nil && !terminal:
		s.reason = "Terminating"
	}
	return s
}

// laterTermination is the later of t and when st last terminated.
func laterTermination(t metav1.Time, st corev1.ContainerStatus) metav1.Time {
	if last := st.LastTerminationState.Terminated; last != nil && t.Before(&last.FinishedAt) {
		return last.FinishedAt
	}
	return t
}

// podConditionTrue reports whether the pod's first condition of type t is
// true.
func podConditionTrue(pod *corev1.Pod, t corev1.PodConditionType) bool {
	for _, c := range pod.Status.Conditions {
		if c.Type == t {
			return c.Status == corev1.ConditionTrue
		}
	}
	return false
}

// readinessGates is how many of the pod's readiness gates are met, "1/2".
func readinessGates(pod *corev1.Pod) string {
	if len(pod.Spec.ReadinessGates) == 0 {
		return "<none>"
	}
	met := 0
	for _, g := range pod.Spec.ReadinessGates {
		if podConditionTrue(pod, g.ConditionType) {
			met++
		}
	}
	return fmt.Sprintf("%d/%d", met, len(pod.Spec.ReadinessGates))
}

var podTemplates = printer[*corev1.PodTemplate]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("Containers", "Names of each container in the template."),
		text("Images", "Images referenced by each container in the template."),
		text("Pod Labels", "The labels for the pod template."),
	},
	cells: func(_ clock, t *corev1.PodTemplate) []any {
		names, images := containerCells(t.Template.Spec.Containers)
		return []any{t.Name, names, images, labels.FormatLabels(t.Template.Labels)}
	},
}

var replicationControllers = printer[*corev1.ReplicationController]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		integer("Desired", corev1.ReplicationControllerSpec{}.SwaggerDoc()["replicas"]),
		integer("Current", corev1.ReplicationControllerStatus{}.SwaggerDoc()["replicas"]),
		integer("Ready", corev1.ReplicationControllerStatus{}.SwaggerDoc()["readyReplicas"]),
		ageColumn,
		containersColumn,
		imagesColumn,
		wide(text("Selector", corev1.ReplicationControllerSpec{}.SwaggerDoc()["selector"])),
	},
	cells: func(c clock, rc *corev1.ReplicationController) []any {
		var containers []corev1.Container
		if rc.Spec.Template != nil {
			containers = rc.Spec.Template.Spec.Containers
		}
		names, images := containerCells(containers)
		return []any{rc.Name, int64(ptr.Deref(rc.Spec.Replicas, 0)), int64(rc.Status.Replicas), int64(rc.Status.ReadyReplicas),
			c.since(rc.CreationTimestamp), names, images, labels.FormatLabels(rc.Spec.Selector)}
	},
}

var services = printer[*corev1.Service]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("Type", corev1.ServiceSpec{}.SwaggerDoc()["type"]),
		text("Cluster-IP", corev1.ServiceSpec{}.SwaggerDoc()["clusterIP"]),
		text("External-IP", corev1.ServiceSpec{}.SwaggerDoc()["externalIPs"]),
		text("Port(s)", corev1.ServiceSpec{}.SwaggerDoc()["ports"]),
		ageColumn,
		wide(text("Selector", corev1.ServiceSpec{}.SwaggerDoc()["selector"])),
	},
	cells: func(c clock, svc *corev1.Service) []any {
		clusterIP := "<none>"
		if len(svc.Spec.ClusterIPs) > 0 {
			clusterIP = svc.Spec.ClusterIPs[0]
		}
		ports := make([]string, len(svc.Spec.Ports))
		for i, p := range svc.Spec.Ports {
			ports[i] = fmt.Sprintf("%d/%s", p.Port, p.Protocol)
			if p.NodePort > 0 {
				ports[i] = fmt.Sprintf("%d:%d/%s", p.Port, p.NodePort, p.Protocol)
			}
		}
		return []any{svc.Name, string(svc.Spec.Type), clusterIP, serviceExternalIP(svc), orNone(strings.Join(ports, ",")),
			c.since(svc.CreationTimestamp), labels.FormatLabels(svc.Spec.Selector)}
	},
}

// serviceExternalIP is where a service is reached from outside the cluster:
// its external IPs, and a load balancer's addresses ("<pending>" until it has
// some).
func serviceExternalIP(svc *corev1.Service) string {
	switch svc.Spec.Type {
	case corev1.ServiceTypeClusterIP, corev1.ServiceTypeNodePort:
		return orNone(strings.Join(svc.Spec.ExternalIPs, ","))
	case corev1.ServiceTypeLoadBalancer:
		var lb []string
		for _, in := range svc.Status.LoadBalancer.Ingress {
			lb = append(lb, cmp.Or(in.IP, in.Hostname))
		}
		ips := loadBalancerAddresses(lb)
		if ips == "" && len(svc.Spec.ExternalIPs) == 0 {
			return "<pending>"
		}
		var all []string
		if ips != "" {
			all = strings.Split(ips, ",")
		}
		return strings.Join(append(all, svc.Spec.ExternalIPs...), ",")
	case corev1.ServiceTypeExternalName:
		return svc.Spec.ExternalName
	}
	return "<unknown>"
}

// Endpoints are deprecated for EndpointSlices but served as long as upstream
// serves them.
var endpoints = printer[*corev1.Endpoints]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("Endpoints", corev1.Endpoints{}.SwaggerDoc()["subsets"]),
		ageColumn,
	},
	cells: func(c clock, e *corev1.Endpoints) []any {
		return []any{e.Name, formatEndpoints(e), c.since(e.CreationTimestamp)}
	},
}

// formatEndpoints lists the first three ip:port pairs of every port, or bare
// IPs for a subset without ports (headless services).
func formatEndpoints(e *corev1.Endpoints) string {
	if len(e.Subsets) == 0 {
		return "<none>"
	}
	const shown = 3
	var list []string
	count := 0
	for _, ss := range e.Subsets {
		if len(ss.Ports) == 0 {
			count += len(ss.Addresses)
			for _, a := range ss.Addresses {
				if len(list) < shown {
					list = append(list, a.IP)
				}
			}
			continue
		}
		for _, p := range ss.Ports {
			count += len(ss.Addresses)
			for _, a := range ss.Addresses {
				if len(list) < shown {
					list = append(list, net.JoinHostPort(a.IP, strconv.Itoa(int(p.Port))))
				}
			}
		}
	}
	if count > shown {
		return fmt.Sprintf("%s + %d more...", strings.Join(list, ","), count-shown)
	}
	return strings.Join(list, ",")
}

var nodes = printer[*corev1.Node]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("Status", "The status of the node"),
		text("Roles", "The roles of the node"),
		ageColumn,
		text("Version", corev1.NodeSystemInfo{}.SwaggerDoc()["kubeletVersion"]),
		wide(text("Internal-IP", corev1.NodeStatus{}.SwaggerDoc()["addresses"])),
		wide(text("External-IP", corev1.NodeStatus{}.SwaggerDoc()["addresses"])),
		wide(text("OS-Image", corev1.NodeSystemInfo{}.SwaggerDoc()["osImage"])),
		wide(text("Kernel-Version", corev1.NodeSystemInfo{}.SwaggerDoc()["kernelVersion"])),
		wide(text("Container-Runtime", corev1.NodeSystemInfo{}.SwaggerDoc()["containerRuntimeVersion"])),
	},
	cells: func(c clock, n *corev1.Node) []any {
		info := n.Status.NodeInfo
		kernel := cmp.Or(info.KernelVersion, "<unknown>")
		if info.Architecture != "" {
			kernel += " (" + info.Architecture + ")"
		}
		return []any{n.Name, nodeStatus(n), orNone(strings.Join(nodeRoles(n), ",")), c.since(n.CreationTimestamp), info.KubeletVersion,
			nodeAddress(n, corev1.NodeInternalIP), nodeAddress(n, corev1.NodeExternalIP),
			cmp.Or(info.OSImage, "<unknown>"), kernel, cmp.Or(info.ContainerRuntimeVersion, "<unknown>")}
	},
}

// nodeStatus is Ready, NotReady or Unknown (no Ready condition), with
// SchedulingDisabled for a cordoned node.
func nodeStatus(n *corev1.Node) string {
	status := "Unknown"
	// The last Ready condition wins, as upstream keys them by type.
	for _, cond := range n.Status.Conditions {
		if cond.Type == corev1.NodeReady {
			status = "Not" + string(corev1.NodeReady)
			if cond.Status == corev1.ConditionTrue {
				status = string(corev1.NodeReady)
			}
		}
	}
	if n.Spec.Unschedulable {
		status += ",SchedulingDisabled"
	}
	return status
}

// nodeRoles are the sorted roles named by node-role.kubernetes.io/<role>
// labels and the older kubernetes.io/role=<role> label.
func nodeRoles(n *corev1.Node) []string {
	var roles []string
	for k, v := range n.Labels {
		switch {
		case strings.HasPrefix(k, "node-role.kubernetes.io/"):
			if role := strings.TrimPrefix(k, "node-role.kubernetes.io/"); role != "" {
				roles = append(roles, role)
			}
		case k == "kubernetes.io/role" && v != "":
			roles = append(roles, v)
		}
	}
	slices.Sort(roles)
	return slices.Compact(roles)
}

// nodeAddress is the node's first address of type t.
func nodeAddress(n *corev1.Node, t corev1.NodeAddressType) string {
	for _, a := range n.Status.Addresses {
		if a.Type == t {
			return a.Address
		}
	}
	return "<none>"
}

// coreEvents puts Last Seen first and Name last (-o wide), as upstream does:
// a list of events reads as a log.
var coreEvents = printer[*corev1.Event]{
	header: []metav1.TableColumnDefinition{
		text("Last Seen", corev1.Event{}.SwaggerDoc()["lastTimestamp"]),
		text("Type", corev1.Event{}.SwaggerDoc()["type"]),
		text("Reason", corev1.Event{}.SwaggerDoc()["reason"]),
		text("Object", corev1.Event{}.SwaggerDoc()["involvedObject"]),
		wide(text("Subobject", corev1.ObjectReference{}.SwaggerDoc()["fieldPath"])),
		wide(text("Source", corev1.Event{}.SwaggerDoc()["source"])),
		text("Message", corev1.Event{}.SwaggerDoc()["message"]),
		wide(text("First Seen", corev1.Event{}.SwaggerDoc()["firstTimestamp"])),
		wide(text("Count", corev1.Event{}.SwaggerDoc()["count"])),
		wide(nameColumn),
	},
	cells: eventCells,
}

// eventCells prints an event of either API: both are stored as core events
// (apis/events).
func eventCells(c clock, e *corev1.Event) []any {
	first := c.since(e.FirstTimestamp)
	if e.FirstTimestamp.IsZero() {
		first = c.sinceMicro(e.EventTime)
	}
	last := first
	if !e.LastTimestamp.IsZero() {
		last = c.since(e.LastTimestamp)
	}
	count := e.Count
	switch {
	case e.Series != nil:
		last = c.sinceMicro(e.Series.LastObservedTime)
		count = e.Series.Count
	case count == 0:
		// Singleton events of the events.k8s.io API have no count.
		count = 1
	}
	target := strings.ToLower(e.InvolvedObject.Kind)
	if e.InvolvedObject.Name != "" {
		target += "/" + e.InvolvedObject.Name
	}
	source := cmp.Or(e.Source.Component, e.ReportingController)
	if instance := cmp.Or(e.Source.Host, e.ReportingInstance); instance != "" {
		source += ", " + instance
	}
	return []any{last, e.Type, e.Reason, target, e.InvolvedObject.FieldPath, source, strings.TrimSpace(e.Message), first, int64(count), e.Name}
}

var namespaces = printer[*corev1.Namespace]{
	header: []metav1.TableColumnDefinition{nameColumn, text("Status", "The status of the namespace"), ageColumn},
	cells: func(c clock, ns *corev1.Namespace) []any {
		return []any{ns.Name, string(ns.Status.Phase), c.since(ns.CreationTimestamp)}
	},
}

var secrets = printer[*corev1.Secret]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("Type", corev1.Secret{}.SwaggerDoc()["type"]),
		text("Data", corev1.Secret{}.SwaggerDoc()["data"]),
		ageColumn,
	},
	cells: func(c clock, s *corev1.Secret) []any {
		return []any{s.Name, string(s.Type), int64(len(s.Data)), c.since(s.CreationTimestamp)}
	},
}

var serviceAccounts = printer[*corev1.ServiceAccount]{
	header: []metav1.TableColumnDefinition{nameColumn, ageColumn},
	cells: func(c clock, sa *corev1.ServiceAccount) []any {
		return []any{sa.Name, c.since(sa.CreationTimestamp)}
	},
}

var persistentVolumes = printer[*corev1.PersistentVolume]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("Capacity", corev1.PersistentVolumeSpec{}.SwaggerDoc()["capacity"]),
		text("Access Modes", corev1.PersistentVolumeSpec{}.SwaggerDoc()["accessModes"]),
		text("Reclaim Policy", corev1.PersistentVolumeSpec{}.SwaggerDoc()["persistentVolumeReclaimPolicy"]),
		text("Status", corev1.PersistentVolumeStatus{}.SwaggerDoc()["phase"]),
		text("Claim", corev1.PersistentVolumeSpec{}.SwaggerDoc()["claimRef"]),
		text("StorageClass", "StorageClass of the pv"),
		text("VolumeAttributesClass", "VolumeAttributesClass of the pv"),
		text("Reason", corev1.PersistentVolumeStatus{}.SwaggerDoc()["reason"]),
		ageColumn,
		wide(text("VolumeMode", corev1.PersistentVolumeSpec{}.SwaggerDoc()["volumeMode"])),
	},
	cells: func(c clock, pv *corev1.PersistentVolume) []any {
		claim := ""
		if ref := pv.Spec.ClaimRef; ref != nil {
			claim = ref.Namespace + "/" + ref.Name
		}
		capacity := pv.Spec.Capacity[corev1.ResourceStorage]
		phase := string(pv.Status.Phase)
		if pv.DeletionTimestamp != nil {
			phase = "Terminating"
		}
		class, ok := pv.Annotations[corev1.BetaStorageClassAnnotation]
		if !ok {
			class = pv.Spec.StorageClassName
		}
		return []any{pv.Name, capacity.String(), accessModes(pv.Spec.AccessModes), string(pv.Spec.PersistentVolumeReclaimPolicy),
			phase, claim, class, ptr.Deref(pv.Spec.VolumeAttributesClassName, "<unset>"), pv.Status.Reason,
			c.since(pv.CreationTimestamp), volumeMode(pv.Spec.VolumeMode)}
	},
}

var persistentVolumeClaims = printer[*corev1.PersistentVolumeClaim]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("Status", corev1.PersistentVolumeClaimStatus{}.SwaggerDoc()["phase"]),
		text("Volume", corev1.PersistentVolumeClaimSpec{}.SwaggerDoc()["volumeName"]),
		text("Capacity", corev1.PersistentVolumeClaimStatus{}.SwaggerDoc()["capacity"]),
		text("Access Modes", corev1.PersistentVolumeClaimStatus{}.SwaggerDoc()["accessModes"]),
		text("StorageClass", "StorageClass of the pvc"),
		text("VolumeAttributesClass", "VolumeAttributesClass of the pvc"),
		ageColumn,
		wide(text("VolumeMode", corev1.PersistentVolumeClaimSpec{}.SwaggerDoc()["volumeMode"])),
	},
	cells: func(c clock, pvc *corev1.PersistentVolumeClaim) []any {
		phase := string(pvc.Status.Phase)
		if pvc.DeletionTimestamp != nil {
			phase = "Terminating"
		}
		// Capacity and access modes are the bound volume's.
		capacity, modes := "", ""
		if pvc.Spec.VolumeName != "" {
			q := pvc.Status.Capacity[corev1.ResourceStorage]
			capacity, modes = q.String(), accessModes(pvc.Status.AccessModes)
		}
		class, ok := pvc.Annotations[corev1.BetaStorageClassAnnotation]
		if !ok {
			class = ptr.Deref(pvc.Spec.StorageClassName, "")
		}
		return []any{pvc.Name, phase, pvc.Spec.VolumeName, capacity, modes, class,
			ptr.Deref(pvc.Spec.VolumeAttributesClassName, "<unset>"), c.since(pvc.CreationTimestamp), volumeMode(pvc.Spec.VolumeMode)}
	},
}

// accessModes abbreviates access modes in a fixed order: "RWO,ROX".
func accessModes(modes []corev1.PersistentVolumeAccessMode) string {
	var out []string
	for _, m := range []struct {
		mode   corev1.PersistentVolumeAccessMode
		abbrev string
	}{
		{corev1.ReadWriteOnce, "RWO"},
		{corev1.ReadOnlyMany, "ROX"},
		{corev1.ReadWriteMany, "RWX"},
		{corev1.ReadWriteOncePod, "RWOP"},
	} {
		if slices.Contains(modes, m.mode) {
			out = append(out, m.abbrev)
		}
	}
	return strings.Join(out, ",")
}

func volumeMode(m *corev1.PersistentVolumeMode) string {
	if m == nil {
		return "<unset>"
	}
	return string(*m)
}

var configMaps = printer[*corev1.ConfigMap]{
	header: []metav1.TableColumnDefinition{nameColumn, text("Data", corev1.ConfigMap{}.SwaggerDoc()["data"]), ageColumn},
	cells: func(c clock, cm *corev1.ConfigMap) []any {
		return []any{cm.Name, int64(len(cm.Data) + len(cm.BinaryData)), c.since(cm.CreationTimestamp)}
	},
}

var resourceQuotas = printer[*corev1.ResourceQuota]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("Request", "Request represents a minimum amount of cpu/memory that a container may consume."),
		text("Limit", "Limits control the maximum amount of cpu/memory that a container may use independent of contention on the node."),
		ageColumn,
	},
	cells: func(c clock, q *corev1.ResourceQuota) []any {
		names := make([]string, 0, len(q.Status.Hard))
		for name := range q.Status.Hard {
			names = append(names, string(name))
		}
		sort.Strings(names)
		// "used/hard" of each resource, limits.* ones in the Limit column.
		var requests, limits []string
		for _, name := range names {
			used, hard := q.Status.Used[corev1.ResourceName(name)], q.Status.Hard[corev1.ResourceName(name)]
			cell := fmt.Sprintf("%s: %s/%s", name, used.String(), hard.String())
			if strings.HasPrefix(name, "limits.") {
				limits = append(limits, cell)
			} else {
				requests = append(requests, cell)
			}
		}
		return []any{q.Name, strings.Join(requests, ", "), strings.Join(limits, ", "), c.since(q.CreationTimestamp)}
	},
}

// orNone is s, or "<none>" when empty.
func orNone(s string) string { return cmp.Or(s, "<none>") }
