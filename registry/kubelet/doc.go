// Package kubelet is how the API server reaches a node's kubelet API: the
// address and port a Node reports (status.addresses in the preferred order,
// status.daemonEndpoints.kubeletEndpoint.Port) and an HTTPS transport that
// presents the API server's kubelet client certificate. pods/log, exec,
// attach, portforward and nodes/proxy are proxied through it, as
// kube-apiserver's pkg/kubelet/client does.
//
//	getter, err := kubelet.NewConnectionInfoGetter(nodeStore, kubelet.Config{
//		CertFile: "pki/apiserver-kubelet-client.crt",
//		KeyFile:  "pki/apiserver-kubelet-client.key",
//	})
//	info, err := getter.GetConnectionInfo(ctx, "node-1")
//	// https://<info.Hostname>:<info.Port>/containerLogs/... through info.Transport
package kubelet
