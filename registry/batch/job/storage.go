package job

import (
	"context"

	batchv1 "k8s.io/api/batch/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"

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
		PrepareForCreate:     prepareForCreate,
		Validate:             resource.Validate(batch.ValidateJob),
		ValidateUpdate:       resource.ValidateUpdate(batch.ValidateJobUpdate),
		ValidateStatusUpdate: resource.ValidateUpdate(batch.ValidateJobStatusUpdate),
	}
}

// The unprefixed labels the job controller has always set; k8s.io/api names
// only the batch.kubernetes.io ones.
const (
	legacyJobNameLabel       = "job-name"
	legacyControllerUIDLabel = "controller-uid"
)

// prepareForCreate generates the selector unless the job asks to choose its
// own (manualSelector), as upstream's job strategy does. The request handler
// has assigned the UID by now.
func prepareForCreate(_ context.Context, obj runtime.Object) {
	job := obj.(*batchv1.Job)
	if !ptr.Deref(job.Spec.ManualSelector, false) {
		generateSelector(job)
	}
}

// generateSelector labels the template with the job's name and UID, under
// both the legacy and the batch.kubernetes.io keys, and selects the UID:
// that alone makes the pods this job's and no other's. Labels the user set
// already are kept; validation refuses them if they are wrong, rather than
// the registry silently fixing them.
func generateSelector(job *batchv1.Job) {
	t := &job.Spec.Template
	if t.Labels == nil {
		t.Labels = map[string]string{}
	}
	for _, l := range []struct{ key, value string }{
		{legacyJobNameLabel, job.Name},
		{batchv1.JobNameLabel, job.Name},
		{legacyControllerUIDLabel, string(job.UID)},
		{batchv1.ControllerUidLabel, string(job.UID)},
	} {
		if _, ok := t.Labels[l.key]; !ok {
			t.Labels[l.key] = l.value
		}
	}
	if job.Spec.Selector == nil {
		job.Spec.Selector = &metav1.LabelSelector{}
	}
	if job.Spec.Selector.MatchLabels == nil {
		job.Spec.Selector.MatchLabels = map[string]string{}
	}
	if _, ok := job.Spec.Selector.MatchLabels[batchv1.ControllerUidLabel]; !ok {
		job.Spec.Selector.MatchLabels[batchv1.ControllerUidLabel] = string(job.UID)
	}
}
