package printers

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
)

// podWith is a pod created 10m ago, changed by fs.
func podWith(fs ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{Name: "web", CreationTimestamp: ago(10 * time.Minute)},
		Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "app"}}},
		Status:     corev1.PodStatus{Phase: corev1.PodRunning},
	}
	for _, f := range fs {
		f(p)
	}
	return p
}

func running(name string, ready bool, restarts int32) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, Ready: ready, RestartCount: restarts,
		State: corev1.ContainerState{Running: &corev1.ContainerStateRunning{}}}
}

func waiting(name, reason string) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name, State: corev1.ContainerState{Waiting: &corev1.ContainerStateWaiting{Reason: reason}}}
}

func terminated(name, reason string, exitCode, signal int32) corev1.ContainerStatus {
	return corev1.ContainerStatus{Name: name,
		State: corev1.ContainerState{Terminated: &corev1.ContainerStateTerminated{Reason: reason, ExitCode: exitCode, Signal: signal}}}
}

// lastTerminated makes st have last terminated d ago.
func lastTerminated(st corev1.ContainerStatus, d time.Duration) corev1.ContainerStatus {
	st.LastTerminationState.Terminated = &corev1.ContainerStateTerminated{FinishedAt: ago(d)}
	return st
}

func containers(names ...string) []corev1.Container {
	var cs []corev1.Container
	for _, n := range names {
		cs = append(cs, corev1.Container{Name: n})
	}
	return cs
}

func TestPods(t *testing.T) {
	columns := []string{"Name", "Ready", "Status", "Restarts", "Age",
		"IP (wide)", "Node (wide)", "Nominated Node (wide)", "Readiness Gates (wide)"}
	row := func(ready, status, restarts string) []any {
		return []any{"web", ready, status, restarts, "10m", "<none>", "<none>", "<none>", "<none>"}
	}
	initContainers := func(p *corev1.Pod) {
		p.Spec.InitContainers = containers("migrate", "seed")
		p.Status.Phase = corev1.PodPending
	}
	deleted := func(p *corev1.Pod) { p.DeletionTimestamp = ptr.To(ago(time.Second)) }

	testRows(t, schema.GroupResource{Resource: "pods"}, columns, []rowCase{
		{
			name: "pending without status",
			obj:  podWith(func(p *corev1.Pod) { p.Status.Phase = corev1.PodPending }),
			row:  row("0/1", "Pending", "0"),
		},
		{
			name: "running on a node",
			obj: podWith(func(p *corev1.Pod) {
				p.Spec.Containers = containers("app", "proxy")
				p.Spec.NodeName = "node-1"
				p.Status.PodIPs = []corev1.PodIP{{IP: "10.244.0.5"}, {IP: "fd00::5"}}
				p.Status.NominatedNodeName = "node-2"
				p.Status.ContainerStatuses = []corev1.ContainerStatus{
					running("app", true, 0), lastTerminated(running("proxy", false, 3), 5*time.Minute)}
			}),
			row: []any{"web", "1/2", "Running", "3 (5m ago)", "10m", "10.244.0.5", "node-1", "node-2", "<none>"},
		},
		{
			name: "restarts without a termination time",
			obj: podWith(func(p *corev1.Pod) {
				p.Status.ContainerStatuses = []corev1.ContainerStatus{running("app", true, 2)}
			}),
			row: row("1/1", "Running", "2"),
		},
		{
			name: "crash loop",
			obj: podWith(func(p *corev1.Pod) {
				p.Status.ContainerStatuses = []corev1.ContainerStatus{lastTerminated(waiting("app", "CrashLoopBackOff"), 90*time.Second)}
				p.Status.ContainerStatuses[0].RestartCount = 4
			}),
			row: row("0/1", "CrashLoopBackOff", "4 (90s ago)"),
		},
		{
			name: "second of two init containers running",
			obj: podWith(initContainers, func(p *corev1.Pod) {
				p.Status.InitContainerStatuses = []corev1.ContainerStatus{terminated("migrate", "Completed", 0, 0), running("seed", false, 0)}
				p.Status.ContainerStatuses = []corev1.ContainerStatus{waiting("app", "PodInitializing")}
			}),
			row: row("0/1", "Init:1/2", "0"),
		},
		{
			name: "init container waiting to initialize",
			obj: podWith(initContainers, func(p *corev1.Pod) {
				p.Status.InitContainerStatuses = []corev1.ContainerStatus{waiting("migrate", "PodInitializing"), waiting("seed", "PodInitializing")}
			}),
			row: row("0/1", "Init:0/2", "0"),
		},
		{
			name: "init container crash loop counts init restarts",
			obj: podWith(initContainers, func(p *corev1.Pod) {
				st := lastTerminated(waiting("migrate", "CrashLoopBackOff"), 3*time.Minute)
				st.RestartCount = 5
				p.Status.InitContainerStatuses = []corev1.ContainerStatus{st, waiting("seed", "PodInitializing")}
			}),
			row: row("0/1", "Init:CrashLoopBackOff", "5 (3m ago)"),
		},
		{
			name: "init container failed with an exit code",
			obj: podWith(initContainers, func(p *corev1.Pod) {
				p.Status.InitContainerStatuses = []corev1.ContainerStatus{terminated("migrate", "", 2, 0)}
			}),
			row: row("0/1", "Init:ExitCode:2", "0"),
		},
		{
			name: "init container killed by a signal",
			obj: podWith(initContainers, func(p *corev1.Pod) {
				p.Status.InitContainerStatuses = []corev1.ContainerStatus{terminated("migrate", "", 137, 9)}
			}),
			row: row("0/1", "Init:Signal:9", "0"),
		},
		{
			name: "init container failed with a reason",
			obj: podWith(initContainers, func(p *corev1.Pod) {
				p.Status.InitContainerStatuses = []corev1.ContainerStatus{terminated("migrate", "OOMKilled", 137, 0)}
			}),
			row: row("0/1", "Init:OOMKilled", "0"),
		},
		{
			name: "started sidecar counts as a container",
			obj: podWith(func(p *corev1.Pod) {
				p.Spec.InitContainers = []corev1.Container{{Name: "mesh", RestartPolicy: ptr.To(corev1.ContainerRestartPolicyAlways)}}
				sidecar := lastTerminated(running("mesh", true, 2), time.Minute)
				sidecar.Started = ptr.To(true)
				p.Status.InitContainerStatuses = []corev1.ContainerStatus{sidecar}
				p.Status.ContainerStatuses = []corev1.ContainerStatus{running("app", true, 1)}
				p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodInitialized, Status: corev1.ConditionTrue}}
			}),
			row: row("2/2", "Running", "3 (60s ago)"),
		},
		{
			name: "completed",
			obj: podWith(func(p *corev1.Pod) {
				p.Status.Phase = corev1.PodSucceeded
				p.Status.ContainerStatuses = []corev1.ContainerStatus{terminated("app", "Completed", 0, 0)}
			}),
			row: row("0/1", "Completed", "0"),
		},
		{
			name: "one container completed, one running and ready",
			obj: podWith(func(p *corev1.Pod) {
				p.Spec.Containers = containers("app", "job")
				p.Status.ContainerStatuses = []corev1.ContainerStatus{running("app", true, 0), terminated("job", "Completed", 0, 0)}
				p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: corev1.ConditionTrue}}
			}),
			row: row("1/2", "Running", "0"),
		},
		{
			name: "one container completed, one running, pod not ready",
			obj: podWith(func(p *corev1.Pod) {
				p.Spec.Containers = containers("app", "job")
				p.Status.ContainerStatuses = []corev1.ContainerStatus{running("app", true, 0), terminated("job", "Completed", 0, 0)}
			}),
			row: row("1/2", "NotReady", "0"),
		},
		{
			name: "one container completed, one failed",
			obj: podWith(func(p *corev1.Pod) {
				p.Spec.Containers = containers("app", "job")
				p.Status.Phase = corev1.PodFailed
				p.Status.ContainerStatuses = []corev1.ContainerStatus{terminated("app", "Completed", 0, 0), terminated("job", "Error", 1, 0)}
			}),
			row: row("0/2", "Error", "0"),
		},
		{
			name: "terminated without a reason",
			obj: podWith(func(p *corev1.Pod) {
				p.Status.ContainerStatuses = []corev1.ContainerStatus{terminated("app", "", 0, 15)}
			}),
			row: row("0/1", "Signal:15", "0"),
		},
		{
			name: "evicted",
			obj: podWith(func(p *corev1.Pod) {
				p.Status.Phase = corev1.PodFailed
				p.Status.Reason = "Evicted"
			}),
			row: row("0/1", "Evicted", "0"),
		},
		{
			name: "scheduling gated",
			obj: podWith(func(p *corev1.Pod) {
				p.Status.Phase = corev1.PodPending
				p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodScheduled, Status: corev1.ConditionFalse, Reason: corev1.PodReasonSchedulingGated}}
			}),
			row: row("0/1", "SchedulingGated", "0"),
		},
		{
			name: "terminating",
			obj: podWith(deleted, func(p *corev1.Pod) {
				p.Status.ContainerStatuses = []corev1.ContainerStatus{running("app", true, 0)}
			}),
			row: row("1/1", "Terminating", "0"),
		},
		{
			name: "deleted after it completed",
			obj: podWith(deleted, func(p *corev1.Pod) {
				p.Status.Phase = corev1.PodSucceeded
				p.Status.ContainerStatuses = []corev1.ContainerStatus{terminated("app", "Completed", 0, 0)}
			}),
			row: row("0/1", "Completed", "0"),
		},
		{
			name: "deleted on a lost node",
			obj:  podWith(deleted, func(p *corev1.Pod) { p.Status.Reason = "NodeLost" }),
			row:  row("0/1", "Unknown", "0"),
		},
		{
			name: "readiness gates",
			obj: podWith(func(p *corev1.Pod) {
				p.Spec.ReadinessGates = []corev1.PodReadinessGate{{ConditionType: "lb-ready"}, {ConditionType: "dns-ready"}}
				p.Status.Conditions = []corev1.PodCondition{{Type: "lb-ready", Status: corev1.ConditionTrue}, {Type: "dns-ready", Status: corev1.ConditionFalse}}
			}),
			row: []any{"web", "0/1", "Running", "0", "10m", "<none>", "<none>", "<none>", "1/2"},
		},
	})
}

func TestPodRowConditions(t *testing.T) {
	tests := []struct {
		name  string
		phase corev1.PodPhase
		want  []metav1.TableRowCondition
	}{
		{name: "running", phase: corev1.PodRunning},
		{name: "succeeded", phase: corev1.PodSucceeded, want: []metav1.TableRowCondition{
			{Type: metav1.RowCompleted, Status: metav1.ConditionTrue, Reason: "Succeeded", Message: "The pod has completed successfully."}}},
		{name: "failed", phase: corev1.PodFailed, want: []metav1.TableRowCondition{
			{Type: metav1.RowCompleted, Status: metav1.ConditionTrue, Reason: "Failed", Message: "The pod failed."}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := podWith(func(p *corev1.Pod) { p.Status.Phase = tc.phase })
			got := convert(t, schema.GroupResource{Resource: "pods"}, p, nil).Rows[0].Conditions
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("conditions (-want +got):\n%s", diff)
			}
		})
	}
}

func objectMeta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: "default", CreationTimestamp: ago(3 * time.Hour)}
}

func TestServices(t *testing.T) {
	svc := func(typ corev1.ServiceType, f func(*corev1.Service)) *corev1.Service {
		s := &corev1.Service{ObjectMeta: objectMeta("web"), Spec: corev1.ServiceSpec{
			Type:       typ,
			ClusterIPs: []string{"10.96.0.20"},
			Ports:      []corev1.ServicePort{{Port: 80, Protocol: corev1.ProtocolTCP}},
			Selector:   map[string]string{"app": "web"},
		}}
		f(s)
		return s
	}
	testRows(t, schema.GroupResource{Resource: "services"},
		[]string{"Name", "Type", "Cluster-IP", "External-IP", "Port(s)", "Age", "Selector (wide)"},
		[]rowCase{
			{
				name: "cluster IP",
				obj:  svc(corev1.ServiceTypeClusterIP, func(s *corev1.Service) {}),
				row:  []any{"web", "ClusterIP", "10.96.0.20", "<none>", "80/TCP", "3h", "app=web"},
			},
			{
				name: "headless without ports",
				obj: svc(corev1.ServiceTypeClusterIP, func(s *corev1.Service) {
					s.Spec.ClusterIPs, s.Spec.Ports, s.Spec.Selector = []string{"None"}, nil, nil
				}),
				row: []any{"web", "ClusterIP", "None", "<none>", "<none>", "3h", "<none>"},
			},
			{
				name: "node port with external IPs",
				obj: svc(corev1.ServiceTypeNodePort, func(s *corev1.Service) {
					s.Spec.Ports = append(s.Spec.Ports, corev1.ServicePort{Port: 53, NodePort: 30053, Protocol: corev1.ProtocolUDP})
					s.Spec.Ports[0].NodePort = 30080
					s.Spec.ExternalIPs = []string{"192.0.2.1", "192.0.2.2"}
				}),
				row: []any{"web", "NodePort", "10.96.0.20", "192.0.2.1,192.0.2.2", "80:30080/TCP,53:30053/UDP", "3h", "app=web"},
			},
			{
				name: "load balancer pending",
				obj:  svc(corev1.ServiceTypeLoadBalancer, func(s *corev1.Service) {}),
				row:  []any{"web", "LoadBalancer", "10.96.0.20", "<pending>", "80/TCP", "3h", "app=web"},
			},
			{
				name: "load balancer with ingress and external IPs",
				obj: svc(corev1.ServiceTypeLoadBalancer, func(s *corev1.Service) {
					s.Spec.ExternalIPs = []string{"192.0.2.9"}
					s.Status.LoadBalancer.Ingress = []corev1.LoadBalancerIngress{
						{Hostname: "lb.example.com"}, {IP: "198.51.100.7"}, {IP: "198.51.100.7"}}
				}),
				row: []any{"web", "LoadBalancer", "10.96.0.20", "198.51.100.7,lb.example.com,192.0.2.9", "80/TCP", "3h", "app=web"},
			},
			{
				name: "external name",
				obj: svc(corev1.ServiceTypeExternalName, func(s *corev1.Service) {
					s.Spec.ClusterIPs, s.Spec.Ports, s.Spec.ExternalName = nil, nil, "db.example.com"
				}),
				row: []any{"web", "ExternalName", "<none>", "db.example.com", "<none>", "3h", "app=web"},
			},
		})
}

func TestNodes(t *testing.T) {
	columns := []string{"Name", "Status", "Roles", "Age", "Version",
		"Internal-IP (wide)", "External-IP (wide)", "OS-Image (wide)", "Kernel-Version (wide)", "Container-Runtime (wide)"}
	ready := func(s corev1.ConditionStatus) []corev1.NodeCondition {
		return []corev1.NodeCondition{{Type: corev1.NodeMemoryPressure, Status: corev1.ConditionFalse}, {Type: corev1.NodeReady, Status: s}}
	}
	testRows(t, schema.GroupResource{Resource: "nodes"}, columns, []rowCase{
		{
			name: "ready control plane, cordoned",
			obj: &corev1.Node{
				ObjectMeta: metav1.ObjectMeta{Name: "cp-1", CreationTimestamp: ago(49 * time.Hour), Labels: map[string]string{
					"node-role.kubernetes.io/control-plane": "", "node-role.kubernetes.io/etcd": "", "node-role.kubernetes.io/": "x"}},
				Spec: corev1.NodeSpec{Unschedulable: true},
				Status: corev1.NodeStatus{
					Conditions: ready(corev1.ConditionTrue),
					Addresses: []corev1.NodeAddress{{Type: corev1.NodeHostName, Address: "cp-1"},
						{Type: corev1.NodeInternalIP, Address: "192.168.1.10"}, {Type: corev1.NodeExternalIP, Address: "203.0.113.10"}},
					NodeInfo: corev1.NodeSystemInfo{KubeletVersion: "v1.37.2", OSImage: "Debian GNU/Linux 13", KernelVersion: "6.12.0",
						Architecture: "amd64", ContainerRuntimeVersion: "containerd://2.1.0"},
				},
			},
			row: []any{"cp-1", "Ready,SchedulingDisabled", "control-plane,etcd", "2d1h", "v1.37.2",
				"192.168.1.10", "203.0.113.10", "Debian GNU/Linux 13", "6.12.0 (amd64)", "containerd://2.1.0"},
		},
		{
			name: "not ready with an old role label",
			obj: &corev1.Node{
				ObjectMeta: metav1.ObjectMeta{Name: "worker-1", CreationTimestamp: ago(time.Hour),
					Labels: map[string]string{"kubernetes.io/role": "worker"}},
				Status: corev1.NodeStatus{Conditions: ready(corev1.ConditionUnknown)},
			},
			row: []any{"worker-1", "NotReady", "worker", "60m", "", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"},
		},
		{
			name: "no ready condition",
			obj:  &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: "new", CreationTimestamp: ago(5 * time.Second)}},
			row:  []any{"new", "Unknown", "<none>", "5s", "", "<none>", "<none>", "<unknown>", "<unknown>", "<unknown>"},
		},
	})
}

// eventColumns are the columns of events of both APIs.
var eventColumns = []string{"Last Seen", "Type", "Reason", "Object", "Subobject (wide)", "Source (wide)", "Message",
	"First Seen (wide)", "Count (wide)", "Name (wide)"}

func TestEvents(t *testing.T) {
	testRows(t, schema.GroupResource{Resource: "events"}, eventColumns, []rowCase{
		{
			name: "repeated core event",
			obj: &corev1.Event{
				ObjectMeta:     objectMeta("web.17f"),
				InvolvedObject: corev1.ObjectReference{Kind: "Pod", Name: "web", FieldPath: "spec.containers{app}"},
				Reason:         "BackOff",
				Message:        "Back-off restarting failed container\n",
				Type:           corev1.EventTypeWarning,
				Source:         corev1.EventSource{Component: "kubelet", Host: "node-1"},
				FirstTimestamp: ago(20 * time.Minute),
				LastTimestamp:  ago(30 * time.Second),
				Count:          7,
			},
			row: []any{"30s", "Warning", "BackOff", "pod/web", "spec.containers{app}", "kubelet, node-1",
				"Back-off restarting failed container", "20m", int64(7), "web.17f"},
		},
		{
			name: "new-style event without timestamps or count",
			obj: &corev1.Event{
				ObjectMeta:          objectMeta("ns.1"),
				InvolvedObject:      corev1.ObjectReference{Kind: "Namespace"},
				Reason:              "Created",
				Type:                corev1.EventTypeNormal,
				EventTime:           metav1.NewMicroTime(now.Add(-4 * time.Minute)),
				ReportingController: "kubeshim/controllers",
			},
			row: []any{"4m", "Normal", "Created", "namespace", "", "kubeshim/controllers", "", "4m", int64(1), "ns.1"},
		},
	})

}

func TestCoreResources(t *testing.T) {
	q := resource.MustParse
	template := corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{Containers: []corev1.Container{
			{Name: "app", Image: "nginx:1.27"}, {Name: "proxy", Image: "envoy:1.30"}}},
	}
	ipsOf := func(ips ...string) []corev1.EndpointAddress {
		var as []corev1.EndpointAddress
		for _, ip := range ips {
			as = append(as, corev1.EndpointAddress{IP: ip})
		}
		return as
	}
	tests := []struct {
		name     string
		resource string
		columns  []string
		cases    []rowCase
	}{
		{
			name: "podtemplates", resource: "podtemplates",
			columns: []string{"Name", "Containers", "Images", "Pod Labels"},
			cases: []rowCase{{
				name: "two containers",
				obj:  &corev1.PodTemplate{ObjectMeta: objectMeta("web"), Template: template},
				row:  []any{"web", "app,proxy", "nginx:1.27,envoy:1.30", "app=web"},
			}},
		},
		{
			name: "replicationcontrollers", resource: "replicationcontrollers",
			columns: []string{"Name", "Desired", "Current", "Ready", "Age", "Containers (wide)", "Images (wide)", "Selector (wide)"},
			cases: []rowCase{
				{
					name: "scaled",
					obj: &corev1.ReplicationController{ObjectMeta: objectMeta("web"),
						Spec:   corev1.ReplicationControllerSpec{Replicas: ptr.To[int32](3), Selector: map[string]string{"app": "web"}, Template: &template},
						Status: corev1.ReplicationControllerStatus{Replicas: 3, ReadyReplicas: 2}},
					row: []any{"web", int64(3), int64(3), int64(2), "3h", "app,proxy", "nginx:1.27,envoy:1.30", "app=web"},
				},
				{
					name: "no template",
					obj:  &corev1.ReplicationController{ObjectMeta: objectMeta("web")},
					row:  []any{"web", int64(0), int64(0), int64(0), "3h", "", "", "<none>"},
				},
			},
		},
		{
			name: "endpoints", resource: "endpoints",
			columns: []string{"Name", "Endpoints", "Age"},
			cases: []rowCase{
				{
					name: "none",
					obj:  &corev1.Endpoints{ObjectMeta: objectMeta("web")},
					row:  []any{"web", "<none>", "3h"},
				},
				{
					name: "two ports, more than three",
					obj: &corev1.Endpoints{ObjectMeta: objectMeta("web"), Subsets: []corev1.EndpointSubset{{
						Addresses: ipsOf("10.244.0.1", "10.244.0.2"),
						Ports:     []corev1.EndpointPort{{Name: "http", Port: 80}, {Name: "https", Port: 443}},
					}}},
					row: []any{"web", "10.244.0.1:80,10.244.0.2:80,10.244.0.1:443 + 1 more...", "3h"},
				},
				{
					name: "headless without ports",
					obj: &corev1.Endpoints{ObjectMeta: objectMeta("db"), Subsets: []corev1.EndpointSubset{{
						Addresses: ipsOf("fd00::1", "10.244.0.3")}}},
					row: []any{"db", "fd00::1,10.244.0.3", "3h"},
				},
			},
		},
		{
			name: "namespaces", resource: "namespaces",
			columns: []string{"Name", "Status", "Age"},
			cases: []rowCase{{
				name: "terminating",
				obj:  &corev1.Namespace{ObjectMeta: objectMeta("old"), Status: corev1.NamespaceStatus{Phase: corev1.NamespaceTerminating}},
				row:  []any{"old", "Terminating", "3h"},
			}},
		},
		{
			name: "secrets", resource: "secrets",
			columns: []string{"Name", "Type", "Data", "Age"},
			cases: []rowCase{{
				name: "tls",
				obj: &corev1.Secret{ObjectMeta: objectMeta("cert"), Type: corev1.SecretTypeTLS,
					Data: map[string][]byte{"tls.crt": nil, "tls.key": nil}},
				row: []any{"cert", "kubernetes.io/tls", int64(2), "3h"},
			}},
		},
		{
			name: "serviceaccounts", resource: "serviceaccounts",
			columns: []string{"Name", "Age"},
			cases: []rowCase{{
				name: "default",
				obj:  &corev1.ServiceAccount{ObjectMeta: objectMeta("default")},
				row:  []any{"default", "3h"},
			}},
		},
		{
			name: "configmaps", resource: "configmaps",
			columns: []string{"Name", "Data", "Age"},
			cases: []rowCase{{
				name: "data and binary data",
				obj: &corev1.ConfigMap{ObjectMeta: objectMeta("conf"), Data: map[string]string{"a": "1"},
					BinaryData: map[string][]byte{"b": nil}},
				row: []any{"conf", int64(2), "3h"},
			}},
		},
		{
			name: "persistentvolumes", resource: "persistentvolumes",
			columns: []string{"Name", "Capacity", "Access Modes", "Reclaim Policy", "Status", "Claim", "StorageClass",
				"VolumeAttributesClass", "Reason", "Age", "VolumeMode (wide)"},
			cases: []rowCase{
				{
					name: "bound",
					obj: &corev1.PersistentVolume{ObjectMeta: objectMeta("pv-1"),
						Spec: corev1.PersistentVolumeSpec{
							Capacity:                      corev1.ResourceList{corev1.ResourceStorage: q("10Gi")},
							AccessModes:                   []corev1.PersistentVolumeAccessMode{corev1.ReadWriteMany, corev1.ReadWriteOnce, corev1.ReadWriteOnce},
							PersistentVolumeReclaimPolicy: corev1.PersistentVolumeReclaimRetain,
							ClaimRef:                      &corev1.ObjectReference{Namespace: "default", Name: "data"},
							StorageClassName:              "fast",
							VolumeMode:                    ptr.To(corev1.PersistentVolumeFilesystem),
						},
						Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeBound}},
					row: []any{"pv-1", "10Gi", "RWO,RWX", "Retain", "Bound", "default/data", "fast", "<unset>", "", "3h", "Filesystem"},
				},
				{
					name: "terminating, class from the beta annotation",
					obj: &corev1.PersistentVolume{
						ObjectMeta: metav1.ObjectMeta{Name: "pv-2", CreationTimestamp: ago(3 * time.Hour), DeletionTimestamp: ptr.To(ago(0)),
							Annotations: map[string]string{corev1.BetaStorageClassAnnotation: "slow"}},
						Spec:   corev1.PersistentVolumeSpec{StorageClassName: "fast", VolumeAttributesClassName: ptr.To("gold")},
						Status: corev1.PersistentVolumeStatus{Phase: corev1.VolumeFailed, Reason: "Recycling failed"}},
					row: []any{"pv-2", "0", "", "", "Terminating", "", "slow", "gold", "Recycling failed", "3h", "<unset>"},
				},
			},
		},
		{
			name: "persistentvolumeclaims", resource: "persistentvolumeclaims",
			columns: []string{"Name", "Status", "Volume", "Capacity", "Access Modes", "StorageClass",
				"VolumeAttributesClass", "Age", "VolumeMode (wide)"},
			cases: []rowCase{
				{
					name: "bound",
					obj: &corev1.PersistentVolumeClaim{ObjectMeta: objectMeta("data"),
						Spec: corev1.PersistentVolumeClaimSpec{VolumeName: "pv-1", StorageClassName: ptr.To("fast"),
							VolumeMode: ptr.To(corev1.PersistentVolumeBlock),
							Resources:  corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: q("5Gi")}}},
						Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimBound,
							AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOncePod},
							Capacity:    corev1.ResourceList{corev1.ResourceStorage: q("10Gi")}}},
					row: []any{"data", "Bound", "pv-1", "10Gi", "RWOP", "fast", "<unset>", "3h", "Block"},
				},
				{
					name: "pending",
					obj: &corev1.PersistentVolumeClaim{ObjectMeta: objectMeta("data"),
						Spec:   corev1.PersistentVolumeClaimSpec{Resources: corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: q("5Gi")}}},
						Status: corev1.PersistentVolumeClaimStatus{Phase: corev1.ClaimPending}},
					row: []any{"data", "Pending", "", "", "", "", "<unset>", "3h", "<unset>"},
				},
			},
		},
		{
			name: "resourcequotas", resource: "resourcequotas",
			columns: []string{"Name", "Request", "Limit", "Age"},
			cases: []rowCase{{
				name: "requests and limits",
				obj: &corev1.ResourceQuota{ObjectMeta: objectMeta("quota"), Status: corev1.ResourceQuotaStatus{
					Hard: corev1.ResourceList{"pods": q("10"), "requests.cpu": q("2"), "limits.memory": q("4Gi"), "limits.cpu": q("4")},
					Used: corev1.ResourceList{"pods": q("3"), "requests.cpu": q("500m"), "limits.cpu": q("1")},
				}},
				row: []any{"quota", "pods: 3/10, requests.cpu: 500m/2", "limits.cpu: 1/4, limits.memory: 0/4Gi", "3h"},
			}},
		},
		{
			name: "limitranges have the default columns", resource: "limitranges",
			columns: []string{"Name", "Created At"},
			cases: []rowCase{{
				name: "default",
				obj:  &corev1.LimitRange{ObjectMeta: objectMeta("limits")},
				row:  []any{"limits", "2025-06-01T09:00:00Z"},
			}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			testRows(t, schema.GroupResource{Resource: tc.resource}, tc.columns, tc.cases)
		})
	}
}
