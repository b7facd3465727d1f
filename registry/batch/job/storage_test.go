package job

import (
	"context"
	"testing"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/apis/batch"
)

func TestPrepareForCreate(t *testing.T) {
	generated := func(extra map[string]string) map[string]string {
		l := map[string]string{
			"job-name": "pi", batchv1.JobNameLabel: "pi",
			"controller-uid": "uid-1", batchv1.ControllerUidLabel: "uid-1",
		}
		for k, v := range extra {
			l[k] = v
		}
		return l
	}
	tests := []struct {
		name         string
		spec         batchv1.JobSpec
		wantSelector *metav1.LabelSelector
		wantLabels   map[string]string
	}{
		{
			name:         "no selector: generated from the uid, template labelled",
			spec:         batchv1.JobSpec{ManualSelector: ptr.To(false)},
			wantSelector: &metav1.LabelSelector{MatchLabels: map[string]string{batchv1.ControllerUidLabel: "uid-1"}},
			wantLabels:   generated(nil),
		},
		{
			name:         "manualSelector unset counts as false",
			spec:         batchv1.JobSpec{Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "pi"}}}},
			wantSelector: &metav1.LabelSelector{MatchLabels: map[string]string{batchv1.ControllerUidLabel: "uid-1"}},
			wantLabels:   generated(map[string]string{"app": "pi"}),
		},
		{
			name: "a user's selector is extended, a user's label kept for validation to judge",
			spec: batchv1.JobSpec{
				Selector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpExists}}},
				Template: corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "pi", "job-name": "other"}}},
			},
			wantSelector: &metav1.LabelSelector{
				MatchLabels:      map[string]string{batchv1.ControllerUidLabel: "uid-1"},
				MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: metav1.LabelSelectorOpExists}},
			},
			wantLabels: generated(map[string]string{"app": "pi", "job-name": "other"}),
		},
		{
			name: "manual selector is left alone",
			spec: batchv1.JobSpec{
				ManualSelector: ptr.To(true),
				Selector:       &metav1.LabelSelector{MatchLabels: map[string]string{"app": "pi"}},
				Template:       corev1.PodTemplateSpec{ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "pi"}}},
			},
			wantSelector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "pi"}},
			wantLabels:   map[string]string{"app": "pi"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "pi", UID: "uid-1"}, Spec: *tt.spec.DeepCopy()}
			prepareForCreate(context.Background(), job)
			if diff := cmp.Diff(tt.wantSelector, job.Spec.Selector); diff != "" {
				t.Errorf("selector (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantLabels, job.Spec.Template.Labels); diff != "" {
				t.Errorf("template labels (-want +got):\n%s", diff)
			}
		})
	}
}

// TestCreatedJobValidates checks that what prepareForCreate makes of a job
// without a selector passes validation, which requires the selector.
func TestCreatedJobValidates(t *testing.T) {
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "pi", Namespace: "default", UID: "uid-1"},
		Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers:    []corev1.Container{{Name: "pi", Image: "perl:5.34"}},
		}}},
	}
	batch.SetObjectDefaultsJob(job)
	if errs := batch.ValidateJob(job); len(errs) == 0 {
		t.Fatalf("a job without a selector validated before preparation; the test proves nothing")
	}
	prepareForCreate(context.Background(), job)
	if errs := batch.ValidateJob(job); len(errs) != 0 {
		t.Errorf("prepared job: %v", errs)
	}
}
