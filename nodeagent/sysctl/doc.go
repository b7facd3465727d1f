// Package sysctl decides which sysctls of a pod's security context the node
// agent sets, as the kubelet's sysctl admission does: the safe sysctls
// (namespaced, and isolated from other pods and the node) and the unsafe
// ones the node's --allowed-unsafe-sysctls patterns allow. A pod asking for
// any other is rejected before it starts (reason SysctlForbidden). The
// sysctls a pod may have are set in its sandbox, whose IPC and network
// namespaces its containers share.
package sysctl
