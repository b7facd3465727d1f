// Package server is the node agent's kubelet API: the HTTPS endpoint on :10250 that the
// API server proxies pods/log, pods/exec, pods/attach, pods/portforward and nodes/proxy to,
// and that metrics-server scrapes.
//
// It serves upstream kubelet's routes with upstream's parameters, status codes and
// streaming protocols (SPDY, and WebSocket as kubectl 1.29+ speaks it: v5.channel.k8s.io
// for exec and attach, SPDY tunnelled through WebSocket for port forwarding), and
// authenticates and authorizes like upstream kubelet in webhook mode: client certificates
// against a CA bundle, bearer tokens through TokenReview, then a SubjectAccessReview on the
// node's nodes/<subresource>.
//
// What runs in the pods is the Provider's: the server only finds the pod, parses the
// request and hands the streams or the log file path over.
//
//	srv, err := server.New(server.Config{
//		NodeName: "node-1", CertDir: "/var/lib/kubeshim/pki", ClientCAFile: "/etc/kubeshim/ca.crt",
//		Client: clientset, Provider: agent,
//	})
//	if err != nil { ... }
//	err = srv.Run(ctx) // serves until ctx is done
package server
