package batch

import (
	"math"
	"testing"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/utils/ptr"
)

// template is a job's pod template, before defaulting.
func template() corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "batch"}},
		Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyOnFailure,
			Containers:    []corev1.Container{{Name: "work", Image: "busybox:1.36"}},
		},
	}
}

// defaultedTemplate is template() after defaulting.
func defaultedTemplate() corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "batch"}},
		Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyOnFailure,
			Containers: []corev1.Container{{
				Name:                     "work",
				Image:                    "busybox:1.36",
				ImagePullPolicy:          corev1.PullIfNotPresent,
				TerminationMessagePath:   "/dev/termination-log",
				TerminationMessagePolicy: corev1.TerminationMessageReadFile,
			}},
			DNSPolicy:                     corev1.DNSClusterFirst,
			TerminationGracePeriodSeconds: ptr.To[int64](30),
			SchedulerName:                 "default-scheduler",
			SecurityContext:               &corev1.PodSecurityContext{},
		},
	}
}

// defaultedJobSpec is an otherwise empty job's spec after defaulting, changed
// by edit.
func defaultedJobSpec(edit func(*batchv1.JobSpec)) batchv1.JobSpec {
	spec := batchv1.JobSpec{
		Completions:          ptr.To[int32](1),
		Parallelism:          ptr.To[int32](1),
		BackoffLimit:         ptr.To[int32](6),
		CompletionMode:       ptr.To(batchv1.NonIndexedCompletion),
		Suspend:              ptr.To(false),
		PodReplacementPolicy: ptr.To(batchv1.TerminatingOrFailed),
		ManualSelector:       ptr.To(false),
		Template:             defaultedTemplate(),
	}
	if edit != nil {
		edit(&spec)
	}
	return spec
}

func TestSetObjectDefaultsJob(t *testing.T) {
	tests := []struct {
		name string
		in   *batchv1.Job
		want *batchv1.Job
	}{
		{
			name: "non-parallel job; labels come from the template",
			in:   &batchv1.Job{Spec: batchv1.JobSpec{Template: template()}},
			want: &batchv1.Job{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "batch"}},
				Spec:       defaultedJobSpec(nil),
			},
		},
		{
			name: "set labels are kept",
			in: &batchv1.Job{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"team": "a"}},
				Spec:       batchv1.JobSpec{Template: template()},
			},
			want: &batchv1.Job{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"team": "a"}},
				Spec:       defaultedJobSpec(nil),
			},
		},
		{
			name: "completions only runs one pod at a time",
			in:   &batchv1.Job{Spec: batchv1.JobSpec{Completions: ptr.To[int32](5), Template: template()}},
			want: &batchv1.Job{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "batch"}},
				Spec:       defaultedJobSpec(func(s *batchv1.JobSpec) { s.Completions = ptr.To[int32](5) }),
			},
		},
		{
			name: "parallelism only is a work queue without completions",
			in:   &batchv1.Job{Spec: batchv1.JobSpec{Parallelism: ptr.To[int32](3), Template: template()}},
			want: &batchv1.Job{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "batch"}},
				Spec: defaultedJobSpec(func(s *batchv1.JobSpec) {
					s.Completions, s.Parallelism = nil, ptr.To[int32](3)
				}),
			},
		},
		{
			name: "per-index backoff lifts the global backoff limit",
			in: &batchv1.Job{Spec: batchv1.JobSpec{
				Completions: ptr.To[int32](4), Parallelism: ptr.To[int32](2),
				CompletionMode:       ptr.To(batchv1.IndexedCompletion),
				BackoffLimitPerIndex: ptr.To[int32](1),
				Template:             template(),
			}},
			want: &batchv1.Job{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "batch"}},
				Spec: defaultedJobSpec(func(s *batchv1.JobSpec) {
					s.Completions, s.Parallelism = ptr.To[int32](4), ptr.To[int32](2)
					s.CompletionMode = ptr.To(batchv1.IndexedCompletion)
					s.BackoffLimitPerIndex = ptr.To[int32](1)
					s.BackoffLimit = ptr.To[int32](math.MaxInt32)
				}),
			},
		},
		{
			name: "pod failure policy waits for failed pods and matches True conditions",
			in: &batchv1.Job{Spec: batchv1.JobSpec{
				PodFailurePolicy: &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
					Action: batchv1.PodFailurePolicyActionIgnore,
					OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{
						{Type: corev1.DisruptionTarget},
						{Type: "Custom", Status: corev1.ConditionFalse},
					},
				}}},
				Template: template(),
			}},
			want: &batchv1.Job{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "batch"}},
				Spec: defaultedJobSpec(func(s *batchv1.JobSpec) {
					s.PodFailurePolicy = &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
						Action: batchv1.PodFailurePolicyActionIgnore,
						OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{
							{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue},
							{Type: "Custom", Status: corev1.ConditionFalse},
						},
					}}}
					s.PodReplacementPolicy = ptr.To(batchv1.Failed)
				}),
			},
		},
		{
			name: "set fields are kept",
			in: &batchv1.Job{Spec: batchv1.JobSpec{
				BackoffLimit:         ptr.To[int32](0),
				Suspend:              ptr.To(true),
				PodReplacementPolicy: ptr.To(batchv1.Failed),
				ManualSelector:       ptr.To(true),
				Template:             template(),
			}},
			want: &batchv1.Job{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "batch"}},
				Spec: defaultedJobSpec(func(s *batchv1.JobSpec) {
					s.BackoffLimit = ptr.To[int32](0)
					s.Suspend = ptr.To(true)
					s.PodReplacementPolicy = ptr.To(batchv1.Failed)
					s.ManualSelector = ptr.To(true)
				}),
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.DeepCopy()
			SetObjectDefaultsJob(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("SetObjectDefaultsJob() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSetObjectDefaultsCronJob(t *testing.T) {
	tests := []struct {
		name string
		in   batchv1.CronJobSpec
		want batchv1.CronJobSpec
	}{
		{
			name: "job template gets pod defaults but not job defaults",
			in: batchv1.CronJobSpec{
				Schedule: "*/5 * * * *",
				JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{
					PodFailurePolicy: &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
						Action:          batchv1.PodFailurePolicyActionFailJob,
						OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{{Type: corev1.DisruptionTarget}},
					}}},
					Template: template(),
				}},
			},
			want: batchv1.CronJobSpec{
				Schedule:                   "*/5 * * * *",
				ConcurrencyPolicy:          batchv1.AllowConcurrent,
				Suspend:                    ptr.To(false),
				SuccessfulJobsHistoryLimit: ptr.To[int32](3),
				FailedJobsHistoryLimit:     ptr.To[int32](1),
				JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{
					PodFailurePolicy: &batchv1.PodFailurePolicy{Rules: []batchv1.PodFailurePolicyRule{{
						Action: batchv1.PodFailurePolicyActionFailJob,
						OnPodConditions: []batchv1.PodFailurePolicyOnPodConditionsPattern{
							{Type: corev1.DisruptionTarget, Status: corev1.ConditionTrue},
						},
					}}},
					Template: defaultedTemplate(),
				}},
			},
		},
		{
			name: "set fields are kept",
			in: batchv1.CronJobSpec{
				ConcurrencyPolicy:          batchv1.ForbidConcurrent,
				Suspend:                    ptr.To(true),
				SuccessfulJobsHistoryLimit: ptr.To[int32](0),
				FailedJobsHistoryLimit:     ptr.To[int32](0),
				JobTemplate:                batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: template()}},
			},
			want: batchv1.CronJobSpec{
				ConcurrencyPolicy:          batchv1.ForbidConcurrent,
				Suspend:                    ptr.To(true),
				SuccessfulJobsHistoryLimit: ptr.To[int32](0),
				FailedJobsHistoryLimit:     ptr.To[int32](0),
				JobTemplate:                batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: defaultedTemplate()}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := &batchv1.CronJob{Spec: *tt.in.DeepCopy()}
			SetObjectDefaultsCronJob(got)
			if diff := cmp.Diff(&batchv1.CronJob{Spec: tt.want}, got); diff != "" {
				t.Errorf("SetObjectDefaultsCronJob() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSchemeDefault(t *testing.T) {
	s := runtime.NewScheme()
	if err := batchv1.AddToScheme(s); err != nil {
		t.Fatal(err)
	}
	if err := Install(s); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		in   runtime.Object
		want runtime.Object
	}{
		{
			name: "job",
			in:   &batchv1.Job{Spec: batchv1.JobSpec{Template: template()}},
			want: &batchv1.Job{
				ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "batch"}},
				Spec:       defaultedJobSpec(nil),
			},
		},
		{
			name: "cron job list",
			in: &batchv1.CronJobList{Items: []batchv1.CronJob{{Spec: batchv1.CronJobSpec{
				JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: template()}},
			}}}},
			want: &batchv1.CronJobList{Items: []batchv1.CronJob{{Spec: batchv1.CronJobSpec{
				ConcurrencyPolicy:          batchv1.AllowConcurrent,
				Suspend:                    ptr.To(false),
				SuccessfulJobsHistoryLimit: ptr.To[int32](3),
				FailedJobsHistoryLimit:     ptr.To[int32](1),
				JobTemplate:                batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: defaultedTemplate()}},
			}}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.in.DeepCopyObject()
			s.Default(got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Default() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
