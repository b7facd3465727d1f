package ttlafterfinished

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	testclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
)

var now = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

func job(edits ...func(*batchv1.Job)) *batchv1.Job {
	j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: "pi", Namespace: "ns", UID: "uid-1"}}
	for _, e := range edits {
		e(j)
	}
	return j
}

func ttl(s int32) func(*batchv1.Job) {
	return func(j *batchv1.Job) { j.Spec.TTLSecondsAfterFinished = ptr.To(s) }
}

func finished(t batchv1.JobConditionType, ago time.Duration) func(*batchv1.Job) {
	return func(j *batchv1.Job) {
		j.Status.Conditions = append(j.Status.Conditions, batchv1.JobCondition{Type: t, Status: corev1.ConditionTrue, LastTransitionTime: metav1.NewTime(now.Add(-ago))})
	}
}

// deleteCall is what a test checks of a delete request.
type deleteCall struct {
	Name            string
	Propagation     metav1.DeletionPropagation
	UIDPrecondition string
}

func TestSync(t *testing.T) {
	tests := []struct {
		name        string
		cached      *batchv1.Job
		live        *batchv1.Job // nil: the same as cached
		wantDeletes []deleteCall
		wantRequeue time.Duration
		wantErr     bool
	}{
		{name: "no TTL", cached: job(finished(batchv1.JobComplete, time.Hour))},
		{name: "not finished", cached: job(ttl(0))},
		{
			name:        "complete and expired: foreground delete of this object",
			cached:      job(ttl(60), finished(batchv1.JobComplete, 61*time.Second)),
			wantDeletes: []deleteCall{{Name: "pi", Propagation: metav1.DeletePropagationForeground, UIDPrecondition: "uid-1"}},
		},
		{
			name:        "failed counts as finished",
			cached:      job(ttl(0), finished(batchv1.JobFailureTarget, time.Hour), finished(batchv1.JobFailed, time.Second)),
			wantDeletes: []deleteCall{{Name: "pi", Propagation: metav1.DeletePropagationForeground, UIDPrecondition: "uid-1"}},
		},
		{name: "not yet expired: come back when it is", cached: job(ttl(60), finished(batchv1.JobComplete, 15*time.Second)), wantRequeue: 45 * time.Second},
		{
			name:        "the live TTL was raised: no delete",
			cached:      job(ttl(0), finished(batchv1.JobComplete, time.Minute)),
			live:        job(ttl(3600), finished(batchv1.JobComplete, time.Minute)),
			wantRequeue: 59 * time.Minute,
		},
		{name: "the live job is being deleted", cached: job(ttl(0), finished(batchv1.JobComplete, time.Minute)),
			live: job(ttl(0), finished(batchv1.JobComplete, time.Minute), func(j *batchv1.Job) { j.DeletionTimestamp = ptr.To(metav1.NewTime(now)) })},
		{name: "being deleted", cached: job(ttl(0), finished(batchv1.JobComplete, time.Minute), func(j *batchv1.Job) { j.DeletionTimestamp = ptr.To(metav1.NewTime(now)) })},
		{
			name: "a finished condition without a time is retried, not guessed",
			cached: job(ttl(0), func(j *batchv1.Job) {
				j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}}
			}),
			wantErr: true,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := tt.live
			if live == nil {
				live = tt.cached
			}
			client := fake.NewClientset(live)
			var deletes []deleteCall
			client.PrependReactor("delete", "jobs", func(a clienttesting.Action) (bool, runtime.Object, error) {
				d := a.(clienttesting.DeleteActionImpl)
				c := deleteCall{Name: d.Name}
				if p := d.DeleteOptions.PropagationPolicy; p != nil {
					c.Propagation = *p
				}
				if pre := d.DeleteOptions.Preconditions; pre != nil && pre.UID != nil {
					c.UIDPrecondition = string(*pre.UID)
				}
				deletes = append(deletes, c)
				return false, nil, nil
			})
			factory := informers.NewSharedInformerFactory(client, 0)
			c := newController(client, factory.Batch().V1().Jobs(), testclock.NewFakePassiveClock(now))
			if err := factory.Batch().V1().Jobs().Informer().GetIndexer().Add(tt.cached); err != nil {
				t.Fatal(err)
			}
			requeue, err := c.sync(context.Background(), "ns/pi")
			if (err != nil) != tt.wantErr {
				t.Fatalf("sync error %v, want error %v", err, tt.wantErr)
			}
			if requeue != tt.wantRequeue {
				t.Errorf("requeue after %v, want %v", requeue, tt.wantRequeue)
			}
			if diff := cmp.Diff(tt.wantDeletes, deletes); diff != "" {
				t.Errorf("deletes (-want +got):\n%s", diff)
			}
		})
	}
}

// TestNeedsCleanup: only a finished job with a TTL is ever deleted.
func TestNeedsCleanup(t *testing.T) {
	tests := []struct {
		name string
		job  *batchv1.Job
		want bool
	}{
		{name: "finished with TTL", job: job(ttl(10), finished(batchv1.JobComplete, 0)), want: true},
		{name: "finished without TTL", job: job(finished(batchv1.JobComplete, 0))},
		{name: "running with TTL", job: job(ttl(10), finished(batchv1.JobSuccessCriteriaMet, 0))},
		{name: "a False Failed condition is not the end", job: job(ttl(10), func(j *batchv1.Job) {
			j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobFailed, Status: corev1.ConditionFalse}}
		})},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := needsCleanup(tt.job); got != tt.want {
				t.Errorf("needsCleanup() = %v, want %v", got, tt.want)
			}
		})
	}
}
