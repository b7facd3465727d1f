package scheduling

import (
	corev1 "k8s.io/api/core/v1"
	schedulingv1 "k8s.io/api/scheduling/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

// addDefaultingFuncs registers upstream's defaults for the v1 kinds, as
// k8s.io/kubernetes v1.37 pkg/apis/scheduling/v1 applies them.
func addDefaultingFuncs(s *runtime.Scheme) error {
	s.AddTypeDefaultingFunc(&schedulingv1.PriorityClass{}, func(obj any) { SetObjectDefaultsPriorityClass(obj.(*schedulingv1.PriorityClass)) })
	s.AddTypeDefaultingFunc(&schedulingv1.PriorityClassList{}, func(obj any) {
		defaultEach(obj.(*schedulingv1.PriorityClassList).Items, SetObjectDefaultsPriorityClass)
	})
	return nil
}

// SetObjectDefaultsPriorityClass lets pods of a PriorityClass preempt
// lower-priority pods unless it says otherwise.
func SetObjectDefaultsPriorityClass(pc *schedulingv1.PriorityClass) {
	if pc.PreemptionPolicy == nil {
		pc.PreemptionPolicy = ptr.To(corev1.PreemptLowerPriority)
	}
}

// defaultEach defaults each item of a list in place.
func defaultEach[T any](items []T, setDefaults func(*T)) {
	for i := range items {
		setDefaults(&items[i])
	}
}
