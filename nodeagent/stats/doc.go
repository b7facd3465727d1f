// Package stats reads the CPU and memory usage of the node and of the pods' and
// containers' cgroups, computed as the kubelet (through cAdvisor) computes them, for the
// kubelet API's /stats/summary and /metrics/resource:
//
//   - CPU: cumulative core-nanoseconds, from cpuacct.usage (cgroup v1) or cpu.stat's
//     usage_usec (v2); the node's from the root cgroup, or /proc/stat where the root has
//     no accounting file.
//   - Memory: usage (memory.usage_in_bytes, memory.current) and the working set, which is
//     usage minus inactive file pages (memory.stat total_inactive_file in v1, inactive_file
//     in v2): what the kubelet evicts on and metrics-server reports. The node's comes from
//     the root memory cgroup in v1 and from /proc/meminfo in v2 (whose root cgroup has no
//     memory.current), as runc does.
//
// Both cgroup layouts are supported: v1 with one hierarchy per controller (cpuacct alone
// or co-mounted with cpu, and memory), and the v2 unified hierarchy. A hybrid host (v1
// controllers, an empty v2 tree at <root>/unified) is v1, as containerd treats it.
//
//	r, err := stats.New(stats.Config{})                    // /sys/fs/cgroup and /proc
//	cpu, mem, err := r.Cgroup(runtime.PodCgroup(podUID))   // a pod's usage
//	cpu, mem, err = r.Node()                                // the node's
package stats
