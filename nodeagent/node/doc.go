// Package node keeps this host's Node object and its heartbeat, as the
// kubelet's node status manager and node lease controller do upstream
// (pkg/kubelet/kubelet_node_status.go, pkg/kubelet/nodestatus,
// k8s.io/component-helpers/apimachinery/lease).
//
// An Agent registers the Node (creating it, or adopting one that already
// exists), then runs two loops until its context ends:
//
//   - status: every StatusUpdateFrequency it recomputes the status (capacity,
//     allocatable, addresses, nodeInfo, the pressure and Ready conditions,
//     images) and writes it through nodes/status when anything but a
//     heartbeat time changed, or when StatusReportFrequency has passed since
//     the last write;
//   - lease: every RenewInterval it renews the Lease named after the node in
//     kube-node-lease, which is what the node lifecycle controller watches
//     between status reports.
//
// A typical agent wires it as
//
//	addrs, err := node.DefaultAddresses(hostname)
//	a, err := node.New(node.Config{
//		Client:         client,
//		NodeName:       hostname,
//		Addresses:      addrs,
//		KubeletPort:    10250,
//		RuntimeVersion: "containerd://1.6.20",
//		DataDir:        "/var/lib/kubeshim",
//		ImageFSDir:     "/var/lib/containerd",
//		Ready:          runtimeAndNetworkReady,
//	})
//	go a.Run(ctx)
//	cidr, err := a.WaitForPodCIDR(ctx) // the CNI configuration needs it
//
// Everything the status reads from the host goes through the Host
// interface, so that tests inject the machine they need.
package node
