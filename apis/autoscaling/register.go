package autoscaling

import (
	"errors"

	"k8s.io/apimachinery/pkg/runtime"
)

// Install registers the group's defaulting and conversion funcs in s.
func Install(s *runtime.Scheme) error {
	return errors.Join(addDefaultingFuncs(s), addConversionFuncs(s))
}
