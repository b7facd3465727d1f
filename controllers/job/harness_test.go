package job

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	"k8s.io/client-go/tools/cache"
	"k8s.io/client-go/tools/record"
	testclock "k8s.io/utils/clock/testing"
	"k8s.io/utils/ptr"
)

var now = time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)

const jobUID = types.UID("pi-uid")

// newJob returns a defaulted, validated-looking job "pi" (one completion,
// parallelism 1, backoffLimit 6, restartPolicy Never) changed by edits.
func newJob(edits ...func(*batchv1.Job)) *batchv1.Job {
	labels := map[string]string{batchv1.ControllerUidLabel: string(jobUID), batchv1.JobNameLabel: "pi"}
	j := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Name: "pi", Namespace: "ns", UID: jobUID, ResourceVersion: "1"},
		Spec: batchv1.JobSpec{
			Completions:          ptr.To[int32](1),
			Parallelism:          ptr.To[int32](1),
			BackoffLimit:         ptr.To[int32](6),
			CompletionMode:       ptr.To(batchv1.NonIndexedCompletion),
			Suspend:              ptr.To(false),
			PodReplacementPolicy: ptr.To(batchv1.TerminatingOrFailed),
			ManualSelector:       ptr.To(false),
			Selector:             &metav1.LabelSelector{MatchLabels: map[string]string{batchv1.ControllerUidLabel: string(jobUID)}},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					RestartPolicy: corev1.RestartPolicyNever,
					Containers:    []corev1.Container{{Name: "main", Image: "perl"}},
				},
			},
		},
	}
	for _, e := range edits {
		e(j)
	}
	return j
}

func indexed(completions, parallelism int32) func(*batchv1.Job) {
	return func(j *batchv1.Job) {
		j.Spec.CompletionMode = ptr.To(batchv1.IndexedCompletion)
		j.Spec.Completions = ptr.To(completions)
		j.Spec.Parallelism = ptr.To(parallelism)
	}
}

func started(ago time.Duration) func(*batchv1.Job) {
	return func(j *batchv1.Job) { j.Status.StartTime = ptr.To(metav1.NewTime(now.Add(-ago))) }
}

// newPod returns a pod "name" of job pi, tracked with the finalizer,
// created an hour ago, in phase, changed by edits.
func newPod(name string, phase corev1.PodPhase, edits ...func(*corev1.Pod)) *corev1.Pod {
	p := &corev1.Pod{
		ObjectMeta: metav1.ObjectMeta{
			Name: name, Namespace: "ns", UID: types.UID(name + "-uid"), ResourceVersion: "1",
			Labels:            map[string]string{batchv1.ControllerUidLabel: string(jobUID), batchv1.JobNameLabel: "pi"},
			Finalizers:        []string{batchv1.JobTrackingFinalizer},
			CreationTimestamp: metav1.NewTime(now.Add(-time.Hour)),
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "batch/v1", Kind: "Job", Name: "pi", UID: jobUID,
				Controller: ptr.To(true), BlockOwnerDeletion: ptr.To(true)}},
		},
		Status: corev1.PodStatus{Phase: phase},
	}
	for _, e := range edits {
		e(p)
	}
	return p
}

func atIndex(ix int) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		if p.Annotations == nil {
			p.Annotations = map[string]string{}
		}
		p.Annotations[batchv1.JobCompletionIndexAnnotation] = fmt.Sprint(ix)
		p.Labels[batchv1.JobCompletionIndexAnnotation] = fmt.Sprint(ix)
	}
}

func annotated(k, v string) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		if p.Annotations == nil {
			p.Annotations = map[string]string{}
		}
		p.Annotations[k] = v
	}
}

// exited gives the pod's main container a termination with code at
// finishedAgo before now.
func exited(code int32, finishedAgo time.Duration) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Status.ContainerStatuses = []corev1.ContainerStatus{{Name: "main", State: corev1.ContainerState{
			Terminated: &corev1.ContainerStateTerminated{ExitCode: code, FinishedAt: metav1.NewTime(now.Add(-finishedAgo))},
		}}}
	}
}

func withCondition(t corev1.PodConditionType) func(*corev1.Pod) {
	return func(p *corev1.Pod) {
		p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: t, Status: corev1.ConditionTrue})
	}
}

func readyPod(p *corev1.Pod) {
	p.Spec.NodeName = "node"
	p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue})
}

func untracked(p *corev1.Pod) { p.Finalizers = nil }

func orphaned(p *corev1.Pod) { p.OwnerReferences = nil; p.Finalizers = nil }

func deleting(p *corev1.Pod) { p.DeletionTimestamp = ptr.To(metav1.NewTime(now.Add(-time.Second))) }

type harness struct {
	c          *Controller
	jobIndexer cache.Indexer
	client     *fake.Clientset
	clock      *testclock.FakeClock
	recorder   *record.FakeRecorder
}

// newHarness builds a controller whose caches and fake API hold job and
// pods; the informers do not run, each test calls sync itself. The fake
// API names created pods from their generateName and a counter per
// generateName, as the server would with random suffixes.
func newHarness(t *testing.T, job *batchv1.Job, pods ...*corev1.Pod) *harness {
	t.Helper()
	objs := []runtime.Object{job}
	for _, p := range pods {
		objs = append(objs, p)
	}
	client := fake.NewClientset(objs...)
	var mu sync.Mutex
	counters := map[string]int{}
	client.PrependReactor("create", "pods", func(action clienttesting.Action) (bool, runtime.Object, error) {
		p := action.(clienttesting.CreateAction).GetObject().(*corev1.Pod)
		if p.Name == "" {
			mu.Lock()
			counters[p.GenerateName]++
			p.Name = fmt.Sprintf("%s%d", p.GenerateName, counters[p.GenerateName])
			mu.Unlock()
			p.UID = types.UID(p.Name + "-uid")
		}
		return false, nil, nil
	})
	factory := informers.NewSharedInformerFactory(client, 0)
	clk := testclock.NewFakeClock(now)
	recorder := record.NewFakeRecorder(100)
	c := newController(client, factory.Batch().V1().Jobs(), factory.Core().V1().Pods(), clk, recorder)
	if err := factory.Batch().V1().Jobs().Informer().GetIndexer().Add(job); err != nil {
		t.Fatal(err)
	}
	for _, p := range pods {
		if err := factory.Core().V1().Pods().Informer().GetIndexer().Add(p); err != nil {
			t.Fatal(err)
		}
	}
	return &harness{c: c, jobIndexer: factory.Batch().V1().Jobs().Informer().GetIndexer(), client: client, clock: clk, recorder: recorder}
}

// podSummary is what a test checks of a pod in the fake API after a sync.
// Created pods are named by their generateName, since the order of
// parallel creates is not fixed.
type podSummary struct {
	Name        string
	Owned       bool
	Index       string
	Hostname    string
	Tracked     bool
	FailedCount string
	Env         string
}

func (h *harness) pods(t *testing.T) []podSummary {
	t.Helper()
	list, err := h.client.CoreV1().Pods("ns").List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var out []podSummary
	for _, p := range list.Items {
		name := p.Name
		if p.GenerateName != "" {
			name = p.GenerateName + "*"
		}
		s := podSummary{
			Name:        name,
			Owned:       metav1.IsControlledBy(&p, &metav1.ObjectMeta{UID: jobUID}),
			Index:       p.Annotations[batchv1.JobCompletionIndexAnnotation],
			Hostname:    p.Spec.Hostname,
			Tracked:     hasTrackingFinalizer(&p),
			FailedCount: p.Annotations[batchv1.JobIndexFailureCountAnnotation],
		}
		if p.GenerateName != "" && s.Index != p.Labels[batchv1.JobCompletionIndexAnnotation] {
			t.Errorf("pod %s: index annotation %q, label %q", p.Name, s.Index, p.Labels[batchv1.JobCompletionIndexAnnotation])
		}
		for _, e := range containerEnv(&p) {
			if e.Name == completionIndexEnv && e.ValueFrom != nil && e.ValueFrom.FieldRef != nil {
				s.Env = e.ValueFrom.FieldRef.FieldPath
			}
		}
		out = append(out, s)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Index < out[j].Index
	})
	return out
}

func containerEnv(p *corev1.Pod) []corev1.EnvVar {
	if len(p.Spec.Containers) == 0 {
		return nil
	}
	return p.Spec.Containers[0].Env
}

func (h *harness) job(t *testing.T) *batchv1.Job {
	t.Helper()
	j, err := h.client.BatchV1().Jobs("ns").Get(context.Background(), "pi", metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return j
}

// events returns the recorded events, sorted, with created pod names
// replaced by their generateName as in podSummary.
func (h *harness) events() []string {
	var out []string
	for {
		select {
		case e := <-h.recorder.Events:
			if i := strings.Index(e, "Created pod: "); i >= 0 {
				name := e[i+len("Created pod: "):]
				e = e[:i+len("Created pod: ")] + strings.TrimRight(name, "0123456789") + "*"
			}
			out = append(out, e)
		default:
			sort.Strings(out)
			return out
		}
	}
}

// refresh brings the caches up to the fake API, calling the event handlers
// as the informers would, so that expectations see the writes.
func (h *harness) refresh(t *testing.T) {
	t.Helper()
	ctx := context.Background()
	pods, err := h.client.CoreV1().Pods("ns").List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	indexer := h.c.pods
	seen := map[string]bool{}
	for i := range pods.Items {
		p := &pods.Items[i]
		k := p.Namespace + "/" + p.Name
		seen[k] = true
		old, exists, _ := indexer.GetByKey(k)
		if err := indexer.Update(p); err != nil {
			t.Fatal(err)
		}
		if !exists {
			h.c.podAdded(p)
			continue
		}
		// The fake API does not bump resource versions.
		oldPod := old.(*corev1.Pod).DeepCopy()
		oldPod.ResourceVersion = "old"
		h.c.podUpdated(oldPod, p)
	}
	for _, obj := range indexer.List() {
		if p := obj.(*corev1.Pod); !seen[p.Namespace+"/"+p.Name] {
			if err := indexer.Delete(p); err != nil {
				t.Fatal(err)
			}
			h.c.podDeleted(p, true)
		}
	}
	job := h.job(t)
	jobs := h.jobIndexer
	old, _, _ := jobs.GetByKey("ns/pi")
	if err := jobs.Update(job); err != nil {
		t.Fatal(err)
	}
	h.c.jobUpdated(old, job)
}
