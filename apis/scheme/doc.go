// Package scheme is the API server's private runtime.Scheme.
//
// kubeshim serves the versioned types of k8s.io/api directly: there are no
// hand-written internal types. Each served kind is registered twice, once at
// its real version (v1, v2, ...) and once, with the same Go type, at the
// group's internal version. k8s.io/apiserver asks for an internal "hub"
// version to convert through; with one Go type behind both, that conversion is
// a no-op in runtime.Scheme (copyAndSetTargetKind), so requests cost nothing
// extra. Defaulting funcs, field-label conversions and query-parameter
// conversions are registered here from the apis/<group> packages.
//
// This scheme must stay private to the server: client-go's scheme
// (k8s.io/client-go/kubernetes/scheme) must never learn the internal versions,
// or its clients would start to send __internal objects.
package scheme
