// Package printers turns the served objects into the metav1.Table that
// `kubectl get` asks for (Accept: application/json;as=Table;v=v1;g=meta.k8s.io),
// with upstream kube-apiserver's columns and cell contents for every resource.
//
// Upstream prints its internal types (k8s.io/kubernetes/pkg/printers/internalversion);
// kubeshim has none, so each resource here declares its columns and a row
// function over its k8s.io/api type, and printers.go holds the plumbing every
// resource shares. The registry asks for a resource's convertor by name:
//
//	store.TableConvertor = printers.TableConvertor(schema.GroupResource{Group: "apps", Resource: "deployments"})
//
// As upstream's server side does, every table carries the cells of all
// columns, -o wide ones included; kubectl drops the priority-1 columns itself.
package printers
