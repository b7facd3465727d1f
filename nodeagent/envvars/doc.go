// Package envvars computes a container's environment the way the kubelet does
// (makeEnvironmentVariables in upstream pkg/kubelet/kubelet_pods.go): envFrom
// config maps and secrets, env values with $(VAR) expansion, the downward API
// (fieldRef and resourceFieldRef), configMapKeyRef and secretKeyRef, and the
// Docker-link style service variables (FOO_SERVICE_HOST, FOO_PORT_80_TCP, ...).
//
// It reads objects only through the Getter interface, so the node agent can back
// it with informer listers and tests with maps. The downward API helpers are
// exported because downwardAPI and projected volumes (package volumes) project
// the same values into files.
package envvars
