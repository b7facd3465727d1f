package cronjob

import (
	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/batch"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the cronjobs resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:             batchv1.Resource("cronjobs"),
		Singular:             "cronjob",
		NamespaceScoped:      true,
		New:                  func() runtime.Object { return &batchv1.CronJob{} },
		NewList:              func() runtime.Object { return &batchv1.CronJobList{} },
		ShortNames:           []string{"cj"},
		Categories:           []string{"all"},
		Status:               true,
		Validate:             resource.Validate(batch.ValidateCronJob),
		ValidateUpdate:       resource.ValidateUpdate(batch.ValidateCronJobUpdate),
		ValidateStatusUpdate: resource.ValidateUpdate(batch.ValidateCronJobStatusUpdate),
	}
}
