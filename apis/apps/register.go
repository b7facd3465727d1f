package apps

import (
	appsv1 "k8s.io/api/apps/v1"
	"k8s.io/apimachinery/pkg/fields"
	"k8s.io/apimachinery/pkg/runtime"
	"strconv"

	"github.com/kubeshim/kubeshim/apis/fieldselector"
)

// Install registers the group's defaulting and conversion funcs in s.
func Install(s *runtime.Scheme) error {
	if err := addDefaultingFuncs(s); err != nil {
		return err
	}
	return fieldselector.Register(s, appsv1.SchemeGroupVersion, map[string]fieldselector.Func{"ReplicaSet": ReplicaSetFields})
}

// ReplicaSetFields are the selectable fields of a replica set.
func ReplicaSetFields(obj runtime.Object) fields.Set {
	return fields.Set{"status.replicas": strconv.Itoa(int(obj.(*appsv1.ReplicaSet).Status.Replicas))}
}
