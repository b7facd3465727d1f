package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

func stsClients(t *testing.T) (kubernetes.Interface, string) {
	t.Helper()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	return client, framework.Namespace(t, client)
}

// createStatefulSet creates StatefulSet "web" of imageV1 behind headless
// service "web-svc", changed by mutate.
func createStatefulSet(t *testing.T, client kubernetes.Interface, ns string, replicas int32, mutate ...func(*appsv1.StatefulSet)) *appsv1.StatefulSet {
	t.Helper()
	tmpl := template("web")
	tmpl.Spec.Containers[0].Image = imageV1
	set := &appsv1.StatefulSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.StatefulSetSpec{
			Replicas:    ptr.To(replicas),
			ServiceName: "web-svc",
			Selector:    &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template:    tmpl,
		},
	}
	for _, m := range mutate {
		m(set)
	}
	created, err := client.AppsV1().StatefulSets(ns).Create(context.Background(), set, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create statefulset: %v", err)
	}
	return created
}

func getStatefulSet(ctx context.Context, client kubernetes.Interface, ns string) (*appsv1.StatefulSet, error) {
	return client.AppsV1().StatefulSets(ns).Get(ctx, "web", metav1.GetOptions{})
}

// updateStatefulSet changes the set as kubectl edit would, retrying on
// conflicts with the controller's status writes.
func updateStatefulSet(t *testing.T, client kubernetes.Interface, ns string, change func(*appsv1.StatefulSet)) *appsv1.StatefulSet {
	t.Helper()
	var out *appsv1.StatefulSet
	backoff := wait.Backoff{Steps: 10, Duration: 20 * time.Millisecond, Factor: 1.5, Cap: time.Second}
	err := retry.RetryOnConflict(backoff, func() error {
		set, err := getStatefulSet(context.Background(), client, ns)
		if err != nil {
			return err
		}
		change(set)
		out, err = client.AppsV1().StatefulSets(ns).Update(context.Background(), set, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("update statefulset: %v", err)
	}
	return out
}

func setStsImage(image string) func(*appsv1.StatefulSet) {
	return func(s *appsv1.StatefulSet) { s.Spec.Template.Spec.Containers[0].Image = image }
}

// scaleStatefulSet scales as kubectl scale does, through the scale
// subresource.
func scaleStatefulSet(t *testing.T, client kubernetes.Interface, ns string, replicas int32) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		scale, err := client.AppsV1().StatefulSets(ns).GetScale(context.Background(), "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		scale.Spec.Replicas = replicas
		_, err = client.AppsV1().StatefulSets(ns).UpdateScale(context.Background(), "web", &autoscalingv1.Scale{ObjectMeta: scale.ObjectMeta, Spec: scale.Spec}, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("scale statefulset to %d: %v", replicas, err)
	}
}

// stsPods lists the set's pods not being deleted, by name.
func stsPods(ctx context.Context, client kubernetes.Interface, ns string) ([]corev1.Pod, error) {
	return activePods(ctx, client, ns, "web")
}

// stsPodSummary is "name:image:controller-revision-hash" for each pod.
func stsPodSummary(pods []corev1.Pod) []string {
	var out []string
	for _, p := range pods {
		out = append(out, fmt.Sprintf("%s:%s:%s", p.Name, p.Spec.Containers[0].Image, p.Labels[appsv1.StatefulSetRevisionLabel]))
	}
	return out
}

func podNames(pods []corev1.Pod) []string {
	out := []string{}
	for _, p := range pods {
		out = append(out, p.Name)
	}
	return out
}

// setReady writes pod's status as a kubelet would: Running, and Ready or not.
func setReady(t *testing.T, client kubernetes.Interface, ns, name string, ready bool) {
	t.Helper()
	err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
		p, err := client.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
		if err != nil {
			return err
		}
		status := corev1.ConditionFalse
		if ready {
			status = corev1.ConditionTrue
		}
		p.Status.Phase = corev1.PodRunning
		p.Status.Conditions = []corev1.PodCondition{{Type: corev1.PodReady, Status: status, LastTransitionTime: metav1.Now()}}
		_, err = client.CoreV1().Pods(ns).UpdateStatus(context.Background(), p, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("set %s ready=%v: %v", name, ready, err)
	}
}

// waitStsStatus waits until the set's status satisfies done, and returns
// the set then.
func waitStsStatus(t *testing.T, client kubernetes.Interface, ns, what string, done func(*appsv1.StatefulSet) bool) *appsv1.StatefulSet {
	t.Helper()
	var set *appsv1.StatefulSet
	eventually(t, what, func(ctx context.Context) (string, bool) {
		var err error
		if set, err = getStatefulSet(ctx, client, ns); err != nil {
			return err.Error(), false
		}
		return fmt.Sprintf("generation %d, status %+v", set.Generation, set.Status), set.Status.ObservedGeneration == set.Generation && done(set)
	})
	return set
}

// stsRolloutStatus is kubectl rollout status's verdict on a StatefulSet
// (kubectl's StatefulSetStatusViewer).
func stsRolloutStatus(sts *appsv1.StatefulSet) (string, bool, error) {
	if sts.Spec.UpdateStrategy.Type != appsv1.RollingUpdateStatefulSetStrategyType {
		return "", true, fmt.Errorf("rollout status is only available for %s strategy type", appsv1.RollingUpdateStatefulSetStrategyType)
	}
	if sts.Status.ObservedGeneration == 0 || sts.Generation > sts.Status.ObservedGeneration {
		return "Waiting for statefulset spec update to be observed...", false, nil
	}
	if sts.Spec.Replicas != nil && sts.Status.ReadyReplicas < *sts.Spec.Replicas {
		return fmt.Sprintf("Waiting for %d pods to be ready...", *sts.Spec.Replicas-sts.Status.ReadyReplicas), false, nil
	}
	if ru := sts.Spec.UpdateStrategy.RollingUpdate; ru != nil {
		if sts.Spec.Replicas != nil && ru.Partition != nil && sts.Status.UpdatedReplicas < *sts.Spec.Replicas-*ru.Partition {
			return fmt.Sprintf("Waiting for partitioned roll out to finish: %d out of %d new pods have been updated...",
				sts.Status.UpdatedReplicas, *sts.Spec.Replicas-*ru.Partition), false, nil
		}
		return fmt.Sprintf("partitioned roll out complete: %d new pods have been updated...", sts.Status.UpdatedReplicas), true, nil
	}
	if sts.Status.UpdateRevision != sts.Status.CurrentRevision {
		return fmt.Sprintf("waiting for statefulset rolling update to complete %d pods at revision %s...",
			sts.Status.UpdatedReplicas, sts.Status.UpdateRevision), false, nil
	}
	return fmt.Sprintf("statefulset rolling update complete %d pods at revision %s...", sts.Status.CurrentReplicas, sts.Status.CurrentRevision), true, nil
}

// waitStsRolledOut waits until kubectl rollout status would be done and
// every pod runs image, and returns the set then.
func waitStsRolledOut(t *testing.T, client kubernetes.Interface, ns, image string) *appsv1.StatefulSet {
	t.Helper()
	var set *appsv1.StatefulSet
	eventually(t, "rolled out "+image, func(ctx context.Context) (string, bool) {
		var err error
		if set, err = getStatefulSet(ctx, client, ns); err != nil {
			return err.Error(), false
		}
		msg, done, err := stsRolloutStatus(set)
		if err != nil {
			return err.Error(), false
		}
		pods, err := stsPods(ctx, client, ns)
		if err != nil {
			return err.Error(), false
		}
		all := len(pods) == int(*set.Spec.Replicas)
		for _, p := range pods {
			all = all && p.Spec.Containers[0].Image == image
		}
		return fmt.Sprintf("%s; status %+v; pods %v", msg, set.Status, stsPodSummary(pods)), done && all
	})
	return set
}

// stsHistory is what kubectl rollout history sts reads: the revisions the
// set controls, by number.
func stsHistory(ctx context.Context, client kubernetes.Interface, ns string) ([]*appsv1.ControllerRevision, error) {
	set, err := getStatefulSet(ctx, client, ns)
	if err != nil {
		return nil, err
	}
	sel, err := metav1.LabelSelectorAsSelector(set.Spec.Selector)
	if err != nil {
		return nil, err
	}
	list, err := client.AppsV1().ControllerRevisions(ns).List(ctx, metav1.ListOptions{LabelSelector: sel.String()})
	if err != nil {
		return nil, err
	}
	var out []*appsv1.ControllerRevision
	for i := range list.Items {
		if metav1.IsControlledBy(&list.Items[i], set) {
			out = append(out, &list.Items[i])
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Revision < out[j].Revision })
	return out, nil
}

// kubectlStatefulSetPatch is kubectl's getStatefulSetPatch: the set
// encoded as apps/v1 JSON, cut down to its template with "$patch":"replace".
// kubectl compares it byte for byte with a revision's data.
func kubectlStatefulSetPatch(t *testing.T, set *appsv1.StatefulSet) []byte {
	t.Helper()
	data, err := runtime.Encode(scheme.Codecs.LegacyCodec(appsv1.SchemeGroupVersion), set)
	if err != nil {
		t.Fatal(err)
	}
	var raw map[string]any
	if err := json.Unmarshal(data, &raw); err != nil {
		t.Fatal(err)
	}
	tmpl := raw["spec"].(map[string]any)["template"].(map[string]any)
	tmpl["$patch"] = "replace"
	patch, err := json.Marshal(map[string]any{"spec": map[string]any{"template": tmpl}})
	if err != nil {
		t.Fatal(err)
	}
	return patch
}

// stsUndo does what kubectl rollout undo sts does: the previous revision's
// data, a strategic merge patch, is applied to the set.
func stsUndo(t *testing.T, client kubernetes.Interface, ns string) {
	t.Helper()
	ctx := context.Background()
	history, err := stsHistory(ctx, client, ns)
	if err != nil {
		t.Fatal(err)
	}
	if len(history) < 2 {
		t.Fatalf("no last revision to roll back to: %d revisions", len(history))
	}
	prev := history[len(history)-2]
	if _, err := client.AppsV1().StatefulSets(ns).Patch(ctx, "web", types.StrategicMergePatchType, prev.Data.Raw, metav1.PatchOptions{}); err != nil {
		t.Fatalf("restore revision %d: %v", prev.Revision, err)
	}
}

func stsEvents(ctx context.Context, client kubernetes.Interface, ns string) []string {
	list, err := client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range list.Items {
		if e.InvolvedObject.Kind == "StatefulSet" && e.InvolvedObject.Name == "web" {
			out = append(out, e.Reason+": "+e.Message)
		}
	}
	sort.Strings(out)
	return out
}

func waitStsEvents(t *testing.T, client kubernetes.Interface, ns string, want ...string) {
	t.Helper()
	eventually(t, "events "+strings.Join(want, ", "), func(ctx context.Context) (string, bool) {
		got := stsEvents(ctx, client, ns)
		return strings.Join(got, "; "), containsAll(got, want)
	})
}

// podDeletions records the names of the namespace's pods in the order
// their deletions are seen, until the test ends.
func podDeletions(t *testing.T, client kubernetes.Interface, ns string) func() []string {
	t.Helper()
	w, err := client.CoreV1().Pods(ns).Watch(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatalf("watch pods: %v", err)
	}
	var (
		mu      sync.Mutex
		deleted []string
		wg      sync.WaitGroup
	)
	wg.Go(func() {
		for e := range w.ResultChan() {
			if p, ok := e.Object.(*corev1.Pod); ok && e.Type == watch.Deleted {
				mu.Lock()
				deleted = append(deleted, p.Name)
				mu.Unlock()
			}
		}
	})
	t.Cleanup(func() {
		w.Stop()
		wg.Wait()
	})
	return func() []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), deleted...)
	}
}

// TestStatefulSetOrderedReady: pods come one at a time, each only after
// the one before is Ready, with their identity, and go in reverse order;
// kubectl rollout status and scale work.
func TestStatefulSetOrderedReady(t *testing.T) {
	client, ns := stsClients(t)
	ctx := context.Background()
	created := createStatefulSet(t, client, ns, 3)

	for i := range 3 {
		name := fmt.Sprintf("web-%d", i)
		// Once the controller reports the new pod in status.replicas, it
		// has synced with the pod Pending: OrderedReady must not have
		// created the next one.
		waitStsStatus(t, client, ns, name+" created", func(s *appsv1.StatefulSet) bool { return s.Status.Replicas == int32(i+1) })
		pods, err := stsPods(ctx, client, ns)
		if err != nil {
			t.Fatal(err)
		}
		want := []string{}
		for j := 0; j <= i; j++ {
			want = append(want, fmt.Sprintf("web-%d", j))
		}
		if diff := cmp.Diff(want, podNames(pods)); diff != "" {
			t.Fatalf("pods before %s is ready (-want +got):\n%s", name, diff)
		}
		if msg, done, _ := stsRolloutStatus(getSts(t, client, ns)); done {
			t.Errorf("rollout status done before all pods are ready: %s", msg)
		}
		setReady(t, client, ns, name, true)
	}
	set := waitStsRolledOut(t, client, ns, imageV1)
	history, err := stsHistory(ctx, client, ns)
	if err != nil {
		t.Fatal(err)
	}
	if len(history) != 1 || history[0].Revision != 1 || !strings.HasPrefix(history[0].Name, "web-") {
		t.Fatalf("history = %v, want one revision web-<hash> numbered 1", history)
	}
	rev := history[0].Name
	want := appsv1.StatefulSetStatus{ObservedGeneration: 1, Replicas: 3, ReadyReplicas: 3, AvailableReplicas: 3, CurrentReplicas: 3, UpdatedReplicas: 3,
		CurrentRevision: rev, UpdateRevision: rev, CollisionCount: ptr.To[int32](0)}
	if diff := cmp.Diff(want, set.Status); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	if msg, done, err := stsRolloutStatus(set); !done || err != nil || !strings.Contains(msg, "partitioned roll out complete: 3 new pods") {
		t.Errorf("rollout status = %q, %v, %v", msg, done, err)
	}

	// Identity.
	p := getPod(t, client, ns, "web-1")
	wantLabels := map[string]string{"app": "web", appsv1.StatefulSetPodNameLabel: "web-1", appsv1.PodIndexLabel: "1", appsv1.StatefulSetRevisionLabel: rev}
	if diff := cmp.Diff(wantLabels, p.Labels); diff != "" {
		t.Errorf("web-1 labels (-want +got):\n%s", diff)
	}
	if p.Spec.Hostname != "web-1" || p.Spec.Subdomain != "web-svc" || !metav1.IsControlledBy(p, created) {
		t.Errorf("web-1 hostname %q, subdomain %q, owners %v", p.Spec.Hostname, p.Spec.Subdomain, p.OwnerReferences)
	}

	// kubectl scale sts web --replicas=1: web-2 goes, then web-1.
	deletions := podDeletions(t, client, ns)
	scaleStatefulSet(t, client, ns, 1)
	waitStsStatus(t, client, ns, "scaled to 1", func(s *appsv1.StatefulSet) bool { return s.Status.Replicas == 1 && s.Status.ReadyReplicas == 1 })
	eventually(t, "deletions seen", func(context.Context) (string, bool) {
		d := deletions()
		return fmt.Sprint(d), len(d) >= 2
	})
	if diff := cmp.Diff([]string{"web-2", "web-1"}, deletions()); diff != "" {
		t.Errorf("deletion order (-want +got):\n%s", diff)
	}
	waitStsEvents(t, client, ns,
		"SuccessfulCreate: Create Pod web-0 in StatefulSet web successful",
		"SuccessfulCreate: Create Pod web-2 in StatefulSet web successful",
		"SuccessfulDelete: Delete Pod web-2 in StatefulSet web successful",
		"SuccessfulDelete: Delete Pod web-1 in StatefulSet web successful")
}

func getSts(t *testing.T, client kubernetes.Interface, ns string) *appsv1.StatefulSet {
	t.Helper()
	set, err := getStatefulSet(context.Background(), client, ns)
	if err != nil {
		t.Fatal(err)
	}
	return set
}

func getPod(t *testing.T, client kubernetes.Interface, ns, name string) *corev1.Pod {
	t.Helper()
	p, err := client.CoreV1().Pods(ns).Get(context.Background(), name, metav1.GetOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// TestStatefulSetParallel: Parallel creates and deletes every pod without
// waiting for any to be ready.
func TestStatefulSetParallel(t *testing.T) {
	client, ns := stsClients(t)
	ctx := context.Background()
	createStatefulSet(t, client, ns, 3, func(s *appsv1.StatefulSet) { s.Spec.PodManagementPolicy = appsv1.ParallelPodManagement })
	eventually(t, "three pods, none ready", func(ctx context.Context) (string, bool) {
		pods, err := stsPods(ctx, client, ns)
		if err != nil {
			return err.Error(), false
		}
		return fmt.Sprint(podNames(pods)), cmp.Equal([]string{"web-0", "web-1", "web-2"}, podNames(pods))
	})
	scaleStatefulSet(t, client, ns, 0)
	waitStsStatus(t, client, ns, "scaled to 0", func(s *appsv1.StatefulSet) bool { return s.Status.Replicas == 0 })
	pods, err := stsPods(ctx, client, ns)
	if err != nil {
		t.Fatal(err)
	}
	if len(pods) != 0 {
		t.Errorf("pods left: %v", podNames(pods))
	}
}

// TestStatefulSetRollingUpdate: a partitioned rollout updates only the
// pods at or above the partition, from the top; lowering the partition
// finishes it; kubectl rollout undo goes back to the previous revision,
// which gets the next number.
func TestStatefulSetRollingUpdate(t *testing.T) {
	client, ns := stsClients(t)
	ctx := context.Background()
	kubelet(t, client, ns, 0, allPods)
	createStatefulSet(t, client, ns, 3, func(s *appsv1.StatefulSet) {
		s.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{
			Type:          appsv1.RollingUpdateStatefulSetStrategyType,
			RollingUpdate: &appsv1.RollingUpdateStatefulSetStrategy{Partition: ptr.To[int32](2)},
		}
	})
	v1 := waitStsRolledOut(t, client, ns, imageV1).Status.UpdateRevision

	updateStatefulSet(t, client, ns, setStsImage(imageV2))
	set := waitStsStatus(t, client, ns, "web-2 updated", func(s *appsv1.StatefulSet) bool {
		return s.Status.UpdatedReplicas == 1 && s.Status.ReadyReplicas == 3
	})
	v2 := set.Status.UpdateRevision
	if v2 == v1 || set.Status.CurrentRevision != v1 {
		t.Fatalf("revisions: current %s, update %s; want current %s and a new update revision", set.Status.CurrentRevision, v2, v1)
	}
	if msg, done, _ := stsRolloutStatus(set); !done || !strings.Contains(msg, "partitioned roll out complete: 1 new pods") {
		t.Errorf("rollout status = %q, %v", msg, done)
	}
	pods, err := stsPods(ctx, client, ns)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"web-0:" + imageV1 + ":" + v1, "web-1:" + imageV1 + ":" + v1, "web-2:" + imageV2 + ":" + v2}
	if diff := cmp.Diff(want, stsPodSummary(pods)); diff != "" {
		t.Errorf("pods with partition 2 (-want +got):\n%s", diff)
	}

	deletions := podDeletions(t, client, ns)
	updateStatefulSet(t, client, ns, func(s *appsv1.StatefulSet) { s.Spec.UpdateStrategy.RollingUpdate.Partition = ptr.To[int32](0) })
	set = waitStsRolledOut(t, client, ns, imageV2)
	set = waitStsStatus(t, client, ns, "update complete", func(s *appsv1.StatefulSet) bool { return s.Status.CurrentRevision == v2 })
	if s := set.Status; s.CurrentReplicas != 3 || s.UpdatedReplicas != 3 || s.UpdateRevision != v2 {
		t.Errorf("status after the rollout: %+v", s)
	}
	if diff := cmp.Diff([]string{"web-1", "web-0"}, deletions()); diff != "" {
		t.Errorf("deletion order (-want +got):\n%s", diff)
	}

	// kubectl rollout undo: the set's template matched revision 2, so the
	// patch of revision 1 must differ from it byte for byte.
	history, err := stsHistory(ctx, client, ns)
	if err != nil {
		t.Fatal(err)
	}
	if len(history) != 2 || history[1].Name != v2 || string(history[1].Data.Raw) != string(kubectlStatefulSetPatch(t, set)) {
		t.Fatalf("history %v: want revision 2 (%s) to hold kubectl's patch of the set, %s", history, v2, kubectlStatefulSetPatch(t, set))
	}
	stsUndo(t, client, ns)
	set = waitStsRolledOut(t, client, ns, imageV1)
	set = waitStsStatus(t, client, ns, "rolled back", func(s *appsv1.StatefulSet) bool { return s.Status.CurrentRevision == v1 })
	if set.Status.UpdateRevision != v1 {
		t.Errorf("update revision after undo = %s, want the first revision %s again", set.Status.UpdateRevision, v1)
	}
	history, err = stsHistory(ctx, client, ns)
	if err != nil {
		t.Fatal(err)
	}
	var numbers []string
	for _, h := range history {
		numbers = append(numbers, fmt.Sprintf("%s:%d", h.Name, h.Revision))
	}
	if diff := cmp.Diff([]string{v2 + ":2", v1 + ":3"}, numbers); diff != "" {
		t.Errorf("history after undo (-want +got):\n%s", diff)
	}
}

// TestStatefulSetOnDelete: a new template reaches only the pods the user
// deletes.
func TestStatefulSetOnDelete(t *testing.T) {
	client, ns := stsClients(t)
	ctx := context.Background()
	kubelet(t, client, ns, 0, allPods)
	createStatefulSet(t, client, ns, 2, func(s *appsv1.StatefulSet) {
		s.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{Type: appsv1.OnDeleteStatefulSetStrategyType}
	})
	v1 := waitStsStatus(t, client, ns, "running", func(s *appsv1.StatefulSet) bool { return s.Status.ReadyReplicas == 2 }).Status.CurrentRevision
	updateStatefulSet(t, client, ns, setStsImage(imageV2))
	set := waitStsStatus(t, client, ns, "new revision seen", func(s *appsv1.StatefulSet) bool { return s.Status.UpdateRevision != v1 })
	v2 := set.Status.UpdateRevision
	pods, err := stsPods(ctx, client, ns)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"web-0:" + imageV1 + ":" + v1, "web-1:" + imageV1 + ":" + v1}, stsPodSummary(pods)); diff != "" {
		t.Errorf("pods after the update (-want +got):\n%s", diff)
	}
	old := getPod(t, client, ns, "web-1")
	if err := client.CoreV1().Pods(ns).Delete(ctx, "web-1", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	set = waitStsStatus(t, client, ns, "web-1 replaced", func(s *appsv1.StatefulSet) bool {
		return s.Status.UpdatedReplicas == 1 && s.Status.ReadyReplicas == 2
	})
	if s := set.Status; s.CurrentReplicas != 1 || s.CurrentRevision != v1 || s.UpdateRevision != v2 {
		t.Errorf("status = %+v", s)
	}
	if p := getPod(t, client, ns, "web-1"); p.UID == old.UID || p.Spec.Containers[0].Image != imageV2 || p.Labels[appsv1.StatefulSetRevisionLabel] != v2 {
		t.Errorf("web-1 = %s %s %s, want a new pod of %s at %s", p.UID, p.Spec.Containers[0].Image, p.Labels[appsv1.StatefulSetRevisionLabel], imageV2, v2)
	}
}

// TestStatefulSetRecreatesFailedPod: a pod that failed is deleted and
// created again.
func TestStatefulSetRecreatesFailedPod(t *testing.T) {
	client, ns := stsClients(t)
	ctx := context.Background()
	createStatefulSet(t, client, ns, 1)
	waitStsStatus(t, client, ns, "web-0 created", func(s *appsv1.StatefulSet) bool { return s.Status.Replicas == 1 })
	old := getPod(t, client, ns, "web-0")
	old.Status.Phase = corev1.PodFailed
	if _, err := client.CoreV1().Pods(ns).UpdateStatus(ctx, old, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "web-0 recreated", func(ctx context.Context) (string, bool) {
		p, err := client.CoreV1().Pods(ns).Get(ctx, "web-0", metav1.GetOptions{})
		if err != nil {
			return err.Error(), false
		}
		return fmt.Sprintf("uid %s, phase %s", p.UID, p.Status.Phase), p.UID != old.UID && p.Status.Phase == corev1.PodPending
	})
	waitStsEvents(t, client, ns, "SuccessfulDelete: Delete Pod web-0 in StatefulSet web successful")
}

// TestStatefulSetClaims: each pod gets its claims from the claim
// templates before it is created; whenScaled=Delete lets the garbage
// collector delete the claims of scaled-away pods, whenDeleted=Delete all
// of them with the set.
func TestStatefulSetClaims(t *testing.T) {
	client, ns := stsClients(t)
	ctx := context.Background()
	kubelet(t, client, ns, 0, allPods)
	set := createStatefulSet(t, client, ns, 2, func(s *appsv1.StatefulSet) {
		s.Spec.PodManagementPolicy = appsv1.ParallelPodManagement
		s.Spec.VolumeClaimTemplates = []corev1.PersistentVolumeClaim{{
			ObjectMeta: metav1.ObjectMeta{Name: "data", Labels: map[string]string{"tier": "storage"}},
			Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
			},
		}}
		s.Spec.PersistentVolumeClaimRetentionPolicy = &appsv1.StatefulSetPersistentVolumeClaimRetentionPolicy{
			WhenScaled: appsv1.DeletePersistentVolumeClaimRetentionPolicyType, WhenDeleted: appsv1.DeletePersistentVolumeClaimRetentionPolicyType,
		}
	})
	claimOwners := func(ctx context.Context) (map[string]string, error) {
		list, err := client.CoreV1().PersistentVolumeClaims(ns).List(ctx, metav1.ListOptions{})
		if err != nil {
			return nil, err
		}
		out := map[string]string{}
		for _, c := range list.Items {
			var owners []string
			for _, r := range c.OwnerReferences {
				owners = append(owners, r.Kind+"/"+r.Name)
			}
			out[c.Name] = strings.Join(owners, ",")
		}
		return out, nil
	}
	eventually(t, "claims owned by the set", func(ctx context.Context) (string, bool) {
		got, err := claimOwners(ctx)
		if err != nil {
			return err.Error(), false
		}
		return fmt.Sprint(got), cmp.Equal(map[string]string{"data-web-0": "StatefulSet/web", "data-web-1": "StatefulSet/web"}, got)
	})
	for _, i := range []int{0, 1} {
		c, err := client.CoreV1().PersistentVolumeClaims(ns).Get(ctx, fmt.Sprintf("data-web-%d", i), metav1.GetOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(map[string]string{"app": "web", "tier": "storage"}, c.Labels); diff != "" {
			t.Errorf("%s labels (-want +got):\n%s", c.Name, diff)
		}
		p := getPod(t, client, ns, fmt.Sprintf("web-%d", i))
		var vol *corev1.Volume
		for j := range p.Spec.Volumes {
			if p.Spec.Volumes[j].Name == "data" {
				vol = &p.Spec.Volumes[j]
			}
		}
		if vol == nil || vol.PersistentVolumeClaim == nil || vol.PersistentVolumeClaim.ClaimName != c.Name {
			t.Errorf("%s volumes %+v, want data from claim %s", p.Name, p.Spec.Volumes, c.Name)
		}
	}

	scaleStatefulSet(t, client, ns, 1)
	eventually(t, "the scaled-away pod's claim deleted", func(ctx context.Context) (string, bool) {
		got, err := claimOwners(ctx)
		if err != nil {
			return err.Error(), false
		}
		return fmt.Sprint(got), cmp.Equal(map[string]string{"data-web-0": "StatefulSet/web"}, got)
	})

	// Deleting the set takes the remaining claims with it.
	if err := client.AppsV1().StatefulSets(ns).Delete(ctx, "web", metav1.DeleteOptions{PropagationPolicy: ptr.To(metav1.DeletePropagationBackground)}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "claims deleted with the set", func(ctx context.Context) (string, bool) {
		got, err := claimOwners(ctx)
		if err != nil {
			return err.Error(), false
		}
		_, err = client.AppsV1().StatefulSets(ns).Get(ctx, set.Name, metav1.GetOptions{})
		return fmt.Sprintf("claims %v, set: %v", got, err), len(got) == 0 && apierrors.IsNotFound(err)
	})
}

// TestStatefulSetAdoption: a matching orphan with a member's name is
// adopted and kept instead of created again; a pod relabelled out of the
// selector is released and replaced.
func TestStatefulSetAdoption(t *testing.T) {
	client, ns := stsClients(t)
	ctx := context.Background()
	tmpl := template("web")
	orphan := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Name: "web-0", Labels: tmpl.Labels}, Spec: tmpl.Spec}
	orphan, err := client.CoreV1().Pods(ns).Create(ctx, orphan, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	set := createStatefulSet(t, client, ns, 1)
	eventually(t, "orphan adopted", func(ctx context.Context) (string, bool) {
		p, err := client.CoreV1().Pods(ns).Get(ctx, "web-0", metav1.GetOptions{})
		if err != nil {
			return err.Error(), false
		}
		return fmt.Sprintf("uid %s, owners %v", p.UID, p.OwnerReferences), p.UID == orphan.UID && metav1.IsControlledBy(p, set)
	})
	// Released when relabelled; a new web-0 cannot be made while the
	// released one holds the name, so delete it too, as a user would.
	patch := []byte(`{"metadata":{"labels":{"app":"debug"}}}`)
	if _, err := client.CoreV1().Pods(ns).Patch(ctx, "web-0", types.StrategicMergePatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "relabelled pod released", func(ctx context.Context) (string, bool) {
		p, err := client.CoreV1().Pods(ns).Get(ctx, "web-0", metav1.GetOptions{})
		if err != nil {
			return err.Error(), false
		}
		return fmt.Sprintf("owners %v", p.OwnerReferences), metav1.GetControllerOf(p) == nil
	})
	if err := client.CoreV1().Pods(ns).Delete(ctx, "web-0", metav1.DeleteOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "web-0 replaced", func(ctx context.Context) (string, bool) {
		list, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{LabelSelector: labels.Set{"app": "web"}.String()})
		if err != nil {
			return err.Error(), false
		}
		for _, p := range list.Items {
			if p.Name == "web-0" && p.UID != orphan.UID && metav1.IsControlledBy(&p, set) {
				return "", true
			}
		}
		return fmt.Sprint(len(list.Items), " pods"), false
	})
}
