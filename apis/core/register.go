package core

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// Install registers the group's defaulting and conversion funcs in s.
func Install(s *runtime.Scheme) error {
	if err := addDefaultingFuncs(s); err != nil {
		return err
	}
	if err := addParameterConversions(s); err != nil {
		return err
	}
	return addFieldSelectors(s, corev1.SchemeGroupVersion)
}
