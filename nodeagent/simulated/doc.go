// Package simulated is the node agent's simulation mode (`kubeshim agent
// --simulate N`): one process registers N Nodes and keeps them alive
// without running anything, so that the scheduler, the controllers and the
// API server can be exercised and measured at thousands of nodes on one
// machine, as kubemark's hollow nodes and kwok do upstream.
//
// For each node <Prefix>-<i> (i from 0 to Count-1) the agent
//
//   - registers the Node: capacity and allocatable from the configuration
//     (cpu, memory, ephemeral-storage, pods), the Ready condition and the
//     three pressure conditions, nodeInfo with this binary's kubelet
//     version and a containerRuntimeVersion of "simulated://<version>", the
//     usual hostname/os/arch labels and LabelSimulated=true; its InternalIP
//     is a loopback address (127.x.y.z), so that a request the API server
//     proxies to the "kubelet" of a simulated node (logs, exec, nodes/proxy)
//     can never leave the host;
//   - renews its Lease in kube-node-lease every RenewInterval. The renewals
//     of all nodes are spread evenly over the interval (node i first renews
//     i/Count of an interval after registration), so that 5,000 nodes make
//     a steady 500 writes a second rather than 5,000 at once every 10 s;
//   - writes its status again when anything else (the node lifecycle
//     controller, after the agent was stopped) set Ready to anything but
//     True, as a restarted kubelet's first status update does.
//
// One pod informer (pods with a spec.nodeName, filtered by the set of the
// agent's node names) drives the pods bound to those nodes:
//
//   - a pod not yet running is marked Running without any container: a pod
//     IP allocated from its node's spec.podCIDR (as the node IPAM
//     controller assigns it; the network address, the first address, which
//     the real agent's bridge holds, and the broadcast address are never
//     handed out, and freed addresses are reused), the node's address as
//     hostIP (and as podIP for hostNetwork pods), the conditions
//     PodReadyToStartContainers, Initialized, ContainersReady and Ready
//     (False with reason ReadinessGatesNotReady while a readiness gate's
//     condition is not True, as the kubelet does), init containers
//     terminated with exit code 0 and containers running and ready since
//     now. Pods stay Running whatever their restartPolicy: nothing runs, so
//     nothing exits;
//   - a pod with a deletionTimestamp is deleted with grace period 0 (and a
//     UID precondition), the kubelet's final delete, and its IP is freed.
//
// A pod on a node that has no podCIDR yet waits for one. Nothing of the
// host is touched: no containerd, CNI, iptables, cluster DNS, service proxy
// or kubelet API port; probes are not run, volumes are not mounted and no
// events are recorded. When Run's context ends the agent stops renewing the
// leases and leaves the Nodes in place, so that the node lifecycle
// controller marks them Unknown after its grace period, as for a node that
// died.
//
//	agent, err := simulated.New(simulated.Config{
//		Client: client, // with QPS raised: 5,000 nodes renew 500 leases a second
//		Prefix: "sim",
//		Count:  1000,
//		CPU:    resource.MustParse("4"),
//		Memory: resource.MustParse("16Gi"),
//	})
//	err = agent.Run(ctx)
package simulated
