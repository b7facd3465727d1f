package discovery

import "k8s.io/apimachinery/pkg/runtime"

// Install registers the group's defaulting funcs in s.
func Install(s *runtime.Scheme) error {
	return addDefaultingFuncs(s)
}
