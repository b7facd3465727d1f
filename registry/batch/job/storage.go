package job

import (
	batchv1 "k8s.io/api/batch/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/kubeshim/kubeshim/apis/batch"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the jobs resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:             batchv1.Resource("jobs"),
		Singular:             "job",
		NamespaceScoped:      true,
		New:                  func() runtime.Object { return &batchv1.Job{} },
		Fields:               batch.JobFields,
		NewList:              func() runtime.Object { return &batchv1.JobList{} },
		Categories:           []string{"all"},
		Status:               true,
		Validate:             resource.Validate(batch.ValidateJob),
		ValidateUpdate:       resource.ValidateUpdate(batch.ValidateJobUpdate),
		ValidateStatusUpdate: resource.ValidateUpdate(batch.ValidateJobStatusUpdate),
	}
}
