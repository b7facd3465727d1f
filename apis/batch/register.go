package batch

import (
	"strconv"

	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/fieldselector"
)

// Install registers the group's defaulting and conversion funcs in s.
func Install(s *runtime.Scheme) error {
	if err := addDefaultingFuncs(s); err != nil {
		return err
	}
	return fieldselector.Register(s, batchv1.SchemeGroupVersion, map[string]fieldselector.Func{"Job": JobFields})
}

// JobFields are the selectable fields of a job.
func JobFields(obj runtime.Object) fields.Set {
	return fields.Set{"status.successful": strconv.Itoa(int(obj.(*batchv1.Job).Status.Succeeded))}
}
