package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/wait"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/controllers/deployment"
	"github.com/kubeshim/kubeshim/test/integration/framework"
)

const (
	imageV1 = "registry.k8s.io/pause:3.10"
	imageV2 = "registry.k8s.io/pause:3.9"
	imageV3 = "registry.k8s.io/pause:3.8"
)

func deploymentClients(t *testing.T) (kubernetes.Interface, string) {
	t.Helper()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	return client, framework.Namespace(t, client)
}

func createDeployment(t *testing.T, client kubernetes.Interface, ns string, replicas int32, mutate ...func(*appsv1.Deployment)) *appsv1.Deployment {
	t.Helper()
	tmpl := template("web")
	tmpl.Spec.Containers[0].Image = imageV1
	d := &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Replicas: ptr.To(replicas),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: tmpl,
		},
	}
	for _, m := range mutate {
		m(d)
	}
	created, err := client.AppsV1().Deployments(ns).Create(context.Background(), d, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create deployment: %v", err)
	}
	return created
}

// updateDeployment changes the deployment as kubectl edit would, retrying
// on conflicts with the controller's status writes.
func updateDeployment(t *testing.T, client kubernetes.Interface, ns string, change func(*appsv1.Deployment)) *appsv1.Deployment {
	t.Helper()
	var out *appsv1.Deployment
	// The controller writes status often during a rollout: allow more
	// conflicts than retry.DefaultRetry does.
	backoff := wait.Backoff{Steps: 10, Duration: 20 * time.Millisecond, Factor: 1.5, Cap: time.Second}
	err := retry.RetryOnConflict(backoff, func() error {
		d, err := client.AppsV1().Deployments(ns).Get(context.Background(), "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		change(d)
		out, err = client.AppsV1().Deployments(ns).Update(context.Background(), d, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("update deployment: %v", err)
	}
	return out
}

func setImage(image string) func(*appsv1.Deployment) {
	return func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Image = image }
}

// kubelet plays the node agent for the test's namespace: it marks ready,
// readyFor ago, every active pod that ready accepts, until the test ends.
func kubelet(t *testing.T, client kubernetes.Interface, ns string, readyFor time.Duration, ready func(*corev1.Pod) bool) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			pods, err := client.CoreV1().Pods(ns).List(ctx, metav1.ListOptions{})
			if err == nil {
				for i := range pods.Items {
					p := &pods.Items[i]
					if p.DeletionTimestamp != nil || p.Status.Phase == corev1.PodRunning || !ready(p) {
						continue
					}
					p.Status.Phase = corev1.PodRunning
					p.Status.Conditions = append(p.Status.Conditions, corev1.PodCondition{Type: corev1.PodReady, Status: corev1.ConditionTrue,
						LastTransitionTime: metav1.NewTime(time.Now().Add(-readyFor))})
					// A conflict or a pod gone is retried or moot next round.
					_, _ = client.CoreV1().Pods(ns).UpdateStatus(ctx, p, metav1.UpdateOptions{})
				}
			}
			select {
			case <-ctx.Done():
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
	t.Cleanup(func() {
		cancel()
		wg.Wait()
	})
}

func allPods(*corev1.Pod) bool { return true }

func getDeployment(ctx context.Context, client kubernetes.Interface, ns string) (*appsv1.Deployment, error) {
	return client.AppsV1().Deployments(ns).Get(ctx, "web", metav1.GetOptions{})
}

// rolloutStatus is kubectl rollout status's verdict (kubectl's
// DeploymentStatusViewer): done, or what it waits for, or an error.
func rolloutStatus(d *appsv1.Deployment) (string, bool, error) {
	if d.Generation > d.Status.ObservedGeneration {
		return "Waiting for deployment spec update to be observed...", false, nil
	}
	if c := progressingCondition(d); c != nil && c.Reason == deployment.TimedOutReason {
		return "", false, fmt.Errorf("deployment %q exceeded its progress deadline", d.Name)
	}
	s := d.Status
	switch {
	case d.Spec.Replicas != nil && s.UpdatedReplicas < *d.Spec.Replicas:
		return fmt.Sprintf("%d out of %d new replicas have been updated...", s.UpdatedReplicas, *d.Spec.Replicas), false, nil
	case s.Replicas > s.UpdatedReplicas:
		return fmt.Sprintf("%d old replicas are pending termination...", s.Replicas-s.UpdatedReplicas), false, nil
	case s.AvailableReplicas < s.UpdatedReplicas:
		return fmt.Sprintf("%d of %d updated replicas are available...", s.AvailableReplicas, s.UpdatedReplicas), false, nil
	}
	return "successfully rolled out", true, nil
}

func progressingCondition(d *appsv1.Deployment) *appsv1.DeploymentCondition {
	for i := range d.Status.Conditions {
		if d.Status.Conditions[i].Type == appsv1.DeploymentProgressing {
			return &d.Status.Conditions[i]
		}
	}
	return nil
}

// waitRolledOut waits until kubectl rollout status would report success at
// the given revision, and returns the deployment then.
func waitRolledOut(t *testing.T, client kubernetes.Interface, ns, revision string) *appsv1.Deployment {
	t.Helper()
	var d *appsv1.Deployment
	eventually(t, "rolled out at revision "+revision, func(ctx context.Context) (string, bool) {
		var err error
		if d, err = getDeployment(ctx, client, ns); err != nil {
			return err.Error(), false
		}
		msg, done, err := rolloutStatus(d)
		if err != nil {
			return err.Error(), false
		}
		rev := d.Annotations[deployment.RevisionAnnotation]
		return fmt.Sprintf("%s; revision %q; status %+v", msg, rev, d.Status), done && rev == revision
	})
	return d
}

// replicaSets lists the namespace's ReplicaSets, oldest revision first.
func replicaSets(ctx context.Context, client kubernetes.Interface, ns string) ([]appsv1.ReplicaSet, error) {
	list, err := client.AppsV1().ReplicaSets(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil, err
	}
	rev := func(rs appsv1.ReplicaSet) int {
		n, _ := strconv.Atoi(rs.Annotations[deployment.RevisionAnnotation])
		return n
	}
	sort.Slice(list.Items, func(i, j int) bool { return rev(list.Items[i]) < rev(list.Items[j]) })
	return list.Items, nil
}

// rsSummary is "name:image:spec.replicas:revision" for each ReplicaSet.
func rsSummary(rss []appsv1.ReplicaSet) []string {
	var out []string
	for _, rs := range rss {
		out = append(out, fmt.Sprintf("%s:%s:%d:%s", rs.Name, rs.Spec.Template.Spec.Containers[0].Image, ptr.Deref(rs.Spec.Replicas, -1),
			rs.Annotations[deployment.RevisionAnnotation]))
	}
	return out
}

// rsByImage finds the ReplicaSet whose template runs image.
func rsByImage(t *testing.T, client kubernetes.Interface, ns, image string) appsv1.ReplicaSet {
	t.Helper()
	rss, err := replicaSets(context.Background(), client, ns)
	if err != nil {
		t.Fatal(err)
	}
	for _, rs := range rss {
		if rs.Spec.Template.Spec.Containers[0].Image == image {
			return rs
		}
	}
	t.Fatalf("no replica set of %s among %v", image, rsSummary(rss))
	return appsv1.ReplicaSet{}
}

// undo does what kubectl rollout undo does: the ReplicaSet of the
// previous revision gives the Deployment its template (without the hash
// label) and its annotations, in one JSON patch.
func undo(t *testing.T, client kubernetes.Interface, ns string) {
	t.Helper()
	ctx := context.Background()
	d, err := getDeployment(ctx, client, ns)
	if err != nil {
		t.Fatal(err)
	}
	rss, err := replicaSets(ctx, client, ns)
	if err != nil {
		t.Fatal(err)
	}
	var owned []appsv1.ReplicaSet
	for _, rs := range rss {
		if metav1.IsControlledBy(&rs, d) {
			owned = append(owned, rs)
		}
	}
	if len(owned) < 2 {
		t.Fatalf("nothing to undo to: %v", rsSummary(owned))
	}
	previous := owned[len(owned)-2]
	skip := map[string]bool{corev1.LastAppliedConfigAnnotation: true, deployment.RevisionAnnotation: true, deployment.RevisionHistoryAnnotation: true,
		deployment.DesiredReplicasAnnotation: true, deployment.MaxReplicasAnnotation: true, appsv1.DeprecatedRollbackTo: true}
	annotations := map[string]string{}
	for k, v := range d.Annotations {
		if skip[k] {
			annotations[k] = v
		}
	}
	for k, v := range previous.Annotations {
		if !skip[k] {
			annotations[k] = v
		}
	}
	tmpl := previous.Spec.Template.DeepCopy()
	delete(tmpl.Labels, appsv1.DefaultDeploymentUniqueLabelKey)
	patch, err := json.Marshal([]any{
		map[string]any{"op": "replace", "path": "/spec/template", "value": tmpl},
		map[string]any{"op": "replace", "path": "/metadata/annotations", "value": annotations},
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := client.AppsV1().Deployments(ns).Patch(ctx, "web", types.JSONPatchType, patch, metav1.PatchOptions{}); err != nil {
		t.Fatalf("undo: %v", err)
	}
}

// eventMessages lists the messages of the events about the deployment.
func eventMessages(ctx context.Context, client kubernetes.Interface, ns string) []string {
	list, err := client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{})
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range list.Items {
		if e.InvolvedObject.Kind == "Deployment" && e.InvolvedObject.Name == "web" {
			out = append(out, e.Reason+": "+e.Message)
		}
	}
	return out
}

// TestDeploymentRollout creates a Deployment, rolls out a new image, and
// undoes it the way kubectl does, checking what kubectl rollout status and
// history read.
func TestDeploymentRollout(t *testing.T) {
	client, ns := deploymentClients(t)
	ctx := context.Background()
	kubelet(t, client, ns, 0, allPods)
	created := createDeployment(t, client, ns, 3, func(d *appsv1.Deployment) {
		d.Annotations = map[string]string{"kubernetes.io/change-cause": "create"}
	})

	d := waitRolledOut(t, client, ns, "1")
	if diff := cmp.Diff(appsv1.DeploymentStatus{ObservedGeneration: created.Generation, Replicas: 3, UpdatedReplicas: 3, ReadyReplicas: 3,
		AvailableReplicas: 3, TerminatingReplicas: ptr.To[int32](0)}, withoutConditions(d.Status)); diff != "" {
		t.Errorf("status (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"Available=True/MinimumReplicasAvailable", "Progressing=True/NewReplicaSetAvailable"}, conditionSummary(d)); diff != "" {
		t.Errorf("conditions (-want +got):\n%s", diff)
	}
	first := rsByImage(t, client, ns, imageV1)
	hash := first.Labels[appsv1.DefaultDeploymentUniqueLabelKey]
	if first.Name != "web-"+hash || first.Spec.Selector.MatchLabels[appsv1.DefaultDeploymentUniqueLabelKey] != hash ||
		first.Spec.Template.Labels[appsv1.DefaultDeploymentUniqueLabelKey] != hash || hash == "" {
		t.Errorf("replica set %s: labels %v, selector %v, template labels %v; want web-<hash> with the hash in all three",
			first.Name, first.Labels, first.Spec.Selector.MatchLabels, first.Spec.Template.Labels)
	}
	if ref := metav1.GetControllerOf(&first); ref == nil || ref.UID != d.UID || ref.Kind != "Deployment" || !ptr.Deref(ref.BlockOwnerDeletion, false) {
		t.Errorf("replica set controller = %+v, want Deployment web", ref)
	}
	if diff := cmp.Diff(map[string]string{"kubernetes.io/change-cause": "create", deployment.RevisionAnnotation: "1",
		deployment.DesiredReplicasAnnotation: "3", deployment.MaxReplicasAnnotation: "4"}, first.Annotations); diff != "" {
		t.Errorf("replica set annotations (-want +got):\n%s", diff)
	}
	// The template as stored, hashed as upstream hashes it (the unit
	// tests check the hash against upstream's), names the ReplicaSet: a
	// real cluster would name it the same.
	if want := deployment.PodTemplateHash(&d.Spec.Template, d.Status.CollisionCount); hash != want {
		t.Errorf("pod-template-hash %q, want %q", hash, want)
	}

	// kubectl set image.
	updateDeployment(t, client, ns, func(d *appsv1.Deployment) {
		setImage(imageV2)(d)
		d.Annotations["kubernetes.io/change-cause"] = "set image"
	})
	waitRolledOut(t, client, ns, "2")
	second := rsByImage(t, client, ns, imageV2)
	eventually(t, "old replica set scaled to zero and its pods gone", func(ctx context.Context) (string, bool) {
		rss, err := replicaSets(ctx, client, ns)
		if err != nil {
			return err.Error(), false
		}
		pods, err := activePods(ctx, client, ns, "web")
		if err != nil {
			return err.Error(), false
		}
		images := map[string]int{}
		for _, p := range pods {
			images[p.Spec.Containers[0].Image]++
		}
		want := []string{first.Name + ":" + imageV1 + ":0:1", second.Name + ":" + imageV2 + ":3:2"}
		got := rsSummary(rss)
		return fmt.Sprintf("replica sets %v, pod images %v", got, images), cmp.Equal(want, got) && cmp.Equal(map[string]int{imageV2: 3}, images)
	})
	eventually(t, "scaling events", func(ctx context.Context) (string, bool) {
		msgs := eventMessages(ctx, client, ns)
		// The later steps depend on how fast pods come and go; these do
		// not: 3 at once, 1 new within the surge, 1 old once it is
		// available.
		want := []string{
			"ScalingReplicaSet: Scaled up replica set " + first.Name + " from 0 to 3",
			"ScalingReplicaSet: Scaled up replica set " + second.Name + " from 0 to 1",
			"ScalingReplicaSet: Scaled down replica set " + first.Name + " from 3 to 2",
		}
		return fmt.Sprintf("events %q", msgs), containsAll(msgs, want)
	})

	// kubectl rollout undo: back to revision 1's template, which becomes
	// revision 3; no third ReplicaSet.
	undo(t, client, ns)
	d = waitRolledOut(t, client, ns, "3")
	if got := d.Annotations["kubernetes.io/change-cause"]; got != "create" {
		t.Errorf("change-cause after undo = %q, want create (from revision 1)", got)
	}
	rss, err := replicaSets(ctx, client, ns)
	if err != nil {
		t.Fatal(err)
	}
	eventually(t, "rolled back replica sets", func(ctx context.Context) (string, bool) {
		rss, err = replicaSets(ctx, client, ns)
		if err != nil {
			return err.Error(), false
		}
		got := rsSummary(rss)
		want := []string{second.Name + ":" + imageV2 + ":0:2", first.Name + ":" + imageV1 + ":3:3"}
		return fmt.Sprintf("%v", got), cmp.Equal(want, got)
	})
	if got := rss[1].Annotations[deployment.RevisionHistoryAnnotation]; got != "1" {
		t.Errorf("revision-history of %s = %q, want 1", rss[1].Name, got)
	}
}

func withoutConditions(s appsv1.DeploymentStatus) appsv1.DeploymentStatus {
	s.Conditions = nil
	return s
}

func conditionSummary(d *appsv1.Deployment) []string {
	var out []string
	for _, c := range d.Status.Conditions {
		out = append(out, string(c.Type)+"="+string(c.Status)+"/"+c.Reason)
	}
	sort.Strings(out)
	return out
}

func containsAll(have, want []string) bool {
	set := map[string]bool{}
	for _, h := range have {
		set[h] = true
	}
	for _, w := range want {
		if !set[w] {
			return false
		}
	}
	return true
}

// TestDeploymentRestart: kubectl rollout restart stamps the template, which
// rolls out a new ReplicaSet.
func TestDeploymentRestart(t *testing.T) {
	client, ns := deploymentClients(t)
	kubelet(t, client, ns, 0, allPods)
	createDeployment(t, client, ns, 2)
	waitRolledOut(t, client, ns, "1")
	updateDeployment(t, client, ns, func(d *appsv1.Deployment) {
		d.Spec.Template.Annotations = map[string]string{"kubectl.kubernetes.io/restartedAt": time.Now().Format(time.RFC3339)}
	})
	waitRolledOut(t, client, ns, "2")
	eventually(t, "pods of the restarted template only", func(ctx context.Context) (string, bool) {
		pods, err := activePods(ctx, client, ns, "web")
		if err != nil {
			return err.Error(), false
		}
		restarted := 0
		for _, p := range pods {
			if p.Annotations["kubectl.kubernetes.io/restartedAt"] != "" {
				restarted++
			}
		}
		return fmt.Sprintf("%d pods, %d restarted", len(pods), restarted), len(pods) == 2 && restarted == 2
	})
}

// TestDeploymentPauseResume: a paused Deployment takes no rollout step but
// still scales; resumed, it rolls out.
func TestDeploymentPauseResume(t *testing.T) {
	client, ns := deploymentClients(t)
	ctx := context.Background()
	kubelet(t, client, ns, 0, allPods)
	createDeployment(t, client, ns, 2)
	waitRolledOut(t, client, ns, "1")

	updateDeployment(t, client, ns, func(d *appsv1.Deployment) { d.Spec.Paused = true })
	updated := updateDeployment(t, client, ns, setImage(imageV2))
	eventually(t, "paused", func(ctx context.Context) (string, bool) {
		d, err := getDeployment(ctx, client, ns)
		if err != nil {
			return err.Error(), false
		}
		c := progressingCondition(d)
		return fmt.Sprintf("observed %d, Progressing %+v", d.Status.ObservedGeneration, c),
			d.Status.ObservedGeneration >= updated.Generation && c != nil && c.Status == corev1.ConditionUnknown && c.Reason == deployment.PausedDeployReason
	})
	// The new template was observed: no ReplicaSet for it.
	rss, err := replicaSets(ctx, client, ns)
	if err != nil {
		t.Fatal(err)
	}
	if len(rss) != 1 || rss[0].Spec.Template.Spec.Containers[0].Image != imageV1 {
		t.Fatalf("replica sets while paused: %v, want the first only", rsSummary(rss))
	}

	updateDeployment(t, client, ns, func(d *appsv1.Deployment) { d.Spec.Replicas = ptr.To[int32](4) })
	eventually(t, "scaled while paused", func(ctx context.Context) (string, bool) {
		rss, err := replicaSets(ctx, client, ns)
		if err != nil {
			return err.Error(), false
		}
		return fmt.Sprintf("%v", rsSummary(rss)), len(rss) == 1 && ptr.Deref(rss[0].Spec.Replicas, 0) == 4
	})

	updateDeployment(t, client, ns, func(d *appsv1.Deployment) { d.Spec.Paused = false })
	d := waitRolledOut(t, client, ns, "2")
	if d.Status.UpdatedReplicas != 4 {
		t.Errorf("updatedReplicas = %d, want 4", d.Status.UpdatedReplicas)
	}
}

// TestDeploymentRecreate: the new ReplicaSet's pods start only after every
// old pod is gone.
func TestDeploymentRecreate(t *testing.T) {
	client, ns := deploymentClients(t)
	kubelet(t, client, ns, 0, allPods)
	createDeployment(t, client, ns, 3, func(d *appsv1.Deployment) {
		d.Spec.Strategy = appsv1.DeploymentStrategy{Type: appsv1.RecreateDeploymentStrategyType}
	})
	waitRolledOut(t, client, ns, "1")

	// Watch the pods from here on: old and new must never be active
	// together.
	pods, err := client.CoreV1().Pods(ns).List(context.Background(), metav1.ListOptions{})
	if err != nil {
		t.Fatal(err)
	}
	w, err := client.CoreV1().Pods(ns).Watch(context.Background(), metav1.ListOptions{ResourceVersion: pods.ResourceVersion})
	if err != nil {
		t.Fatal(err)
	}
	defer w.Stop()
	active := map[string]string{}
	for _, p := range pods.Items {
		active[p.Name] = p.Spec.Containers[0].Image
	}
	var overlap atomic.Value
	var wg sync.WaitGroup
	wg.Go(func() {
		for ev := range w.ResultChan() {
			p, ok := ev.Object.(*corev1.Pod)
			if !ok {
				continue
			}
			if ev.Type == watch.Deleted || p.DeletionTimestamp != nil {
				delete(active, p.Name)
			} else {
				active[p.Name] = p.Spec.Containers[0].Image
			}
			images := map[string]bool{}
			for _, img := range active {
				images[img] = true
			}
			if len(images) > 1 && overlap.Load() == nil {
				overlap.Store(fmt.Sprintf("%v", active))
			}
		}
	})

	updateDeployment(t, client, ns, setImage(imageV2))
	waitRolledOut(t, client, ns, "2")
	eventually(t, "only new pods", func(ctx context.Context) (string, bool) {
		pods, err := activePods(ctx, client, ns, "web")
		if err != nil {
			return err.Error(), false
		}
		var images []string
		for _, p := range pods {
			images = append(images, p.Spec.Containers[0].Image)
		}
		return fmt.Sprintf("%v", images), cmp.Equal([]string{imageV2, imageV2, imageV2}, images)
	})
	w.Stop()
	wg.Wait()
	if o := overlap.Load(); o != nil {
		t.Errorf("old and new pods ran together: %v", o)
	}
}

// TestDeploymentScaleDuringRollout: a rollout stuck on unavailable new
// pods is scaled; the ReplicaSets grow in proportion (upstream's example:
// 10 replicas, maxSurge 3, maxUnavailable 2).
func TestDeploymentScaleDuringRollout(t *testing.T) {
	client, ns := deploymentClients(t)
	// The new image never becomes ready.
	kubelet(t, client, ns, 0, func(p *corev1.Pod) bool { return p.Spec.Containers[0].Image == imageV1 })
	createDeployment(t, client, ns, 10, func(d *appsv1.Deployment) {
		d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxSurge: ptr.To(intstr.FromInt32(3)), MaxUnavailable: ptr.To(intstr.FromInt32(2))}
	})
	waitRolledOut(t, client, ns, "1")
	updateDeployment(t, client, ns, setImage(imageV2))
	sizes := func(want map[string]int32, annotations map[string]string) func(ctx context.Context) (string, bool) {
		return func(ctx context.Context) (string, bool) {
			rss, err := replicaSets(ctx, client, ns)
			if err != nil {
				return err.Error(), false
			}
			got := map[string]int32{}
			ok := true
			for _, rs := range rss {
				got[rs.Spec.Template.Spec.Containers[0].Image] = ptr.Deref(rs.Spec.Replicas, -1)
				for k, v := range annotations {
					ok = ok && rs.Annotations[k] == v
				}
			}
			return fmt.Sprintf("%v", rsSummary(rss)), ok && cmp.Equal(want, got)
		}
	}
	// 13 pods at most, 8 available at least: the new ReplicaSet stops at
	// 5, the old one at 8.
	eventually(t, "rollout stuck at 8 old, 5 new", sizes(map[string]int32{imageV1: 8, imageV2: 5}, nil))

	updateDeployment(t, client, ns, func(d *appsv1.Deployment) { d.Spec.Replicas = ptr.To[int32](20) })
	// 23 pods at most now: 10 more, shared 8:5 (14.2 and 8.8, rounded).
	eventually(t, "scaled in proportion", sizes(map[string]int32{imageV1: 14, imageV2: 9},
		map[string]string{deployment.DesiredReplicasAnnotation: "20", deployment.MaxReplicasAnnotation: "23"}))
}

// TestDeploymentProgressDeadline: a rollout that makes no progress for
// progressDeadlineSeconds is reported failed, as kubectl rollout status
// shows; progress afterwards completes it.
func TestDeploymentProgressDeadline(t *testing.T) {
	client, ns := deploymentClients(t)
	var ready atomic.Bool
	kubelet(t, client, ns, 0, func(*corev1.Pod) bool { return ready.Load() })
	createDeployment(t, client, ns, 2, func(d *appsv1.Deployment) { d.Spec.ProgressDeadlineSeconds = ptr.To[int32](2) })
	eventually(t, "progress deadline exceeded", func(ctx context.Context) (string, bool) {
		d, err := getDeployment(ctx, client, ns)
		if err != nil {
			return err.Error(), false
		}
		_, _, err = rolloutStatus(d)
		c := progressingCondition(d)
		return fmt.Sprintf("Progressing %+v; rollout status error %v", c, err),
			c != nil && c.Status == corev1.ConditionFalse && c.Reason == deployment.TimedOutReason &&
				err != nil && strings.Contains(err.Error(), "exceeded its progress deadline")
	})
	ready.Store(true)
	d := waitRolledOut(t, client, ns, "1")
	if c := progressingCondition(d); c == nil || c.Status != corev1.ConditionTrue || c.Reason != deployment.NewRSAvailableReason {
		t.Errorf("Progressing after the pods became ready: %+v", c)
	}
}

// TestDeploymentRevisionHistoryLimit: old ReplicaSets beyond the limit are
// deleted, oldest revision first.
func TestDeploymentRevisionHistoryLimit(t *testing.T) {
	client, ns := deploymentClients(t)
	kubelet(t, client, ns, 0, allPods)
	createDeployment(t, client, ns, 1, func(d *appsv1.Deployment) { d.Spec.RevisionHistoryLimit = ptr.To[int32](1) })
	waitRolledOut(t, client, ns, "1")
	updateDeployment(t, client, ns, setImage(imageV2))
	waitRolledOut(t, client, ns, "2")
	updateDeployment(t, client, ns, setImage(imageV3))
	waitRolledOut(t, client, ns, "3")
	eventually(t, "revision 1 deleted", func(ctx context.Context) (string, bool) {
		rss, err := replicaSets(ctx, client, ns)
		if err != nil {
			return err.Error(), false
		}
		var got []string
		for _, rs := range rss {
			got = append(got, rs.Spec.Template.Spec.Containers[0].Image+"@"+rs.Annotations[deployment.RevisionAnnotation])
		}
		return fmt.Sprintf("%v", got), cmp.Equal([]string{imageV2 + "@2", imageV3 + "@3"}, got)
	})
}

// TestDeploymentMinReadySeconds: pods count as available only after being
// ready for minReadySeconds.
func TestDeploymentMinReadySeconds(t *testing.T) {
	client, ns := deploymentClients(t)
	ctx := context.Background()
	kubelet(t, client, ns, 0, allPods)
	createDeployment(t, client, ns, 2, func(d *appsv1.Deployment) {
		d.Spec.MinReadySeconds = 3600
		d.Spec.ProgressDeadlineSeconds = ptr.To[int32](7200)
	})
	var d *appsv1.Deployment
	eventually(t, "2 ready", func(ctx context.Context) (string, bool) {
		var err error
		if d, err = getDeployment(ctx, client, ns); err != nil {
			return err.Error(), false
		}
		return fmt.Sprintf("%+v", d.Status), d.Status.ReadyReplicas == 2
	})
	// Ready for less than an hour: not available (both counts come from
	// the same ReplicaSet status).
	if d.Status.AvailableReplicas != 0 || d.Status.UnavailableReplicas != 2 {
		t.Errorf("available %d, unavailable %d; want 0 and 2", d.Status.AvailableReplicas, d.Status.UnavailableReplicas)
	}
	if rs := rsByImage(t, client, ns, imageV1); rs.Spec.MinReadySeconds != 3600 {
		t.Errorf("replica set minReadySeconds = %d, want 3600", rs.Spec.MinReadySeconds)
	}

	// One pod has been ready for two hours.
	pods, err := activePods(ctx, client, ns, "web")
	if err != nil || len(pods) == 0 {
		t.Fatalf("pods: %v (%d)", err, len(pods))
	}
	p := pods[0]
	for i := range p.Status.Conditions {
		if p.Status.Conditions[i].Type == corev1.PodReady {
			p.Status.Conditions[i].LastTransitionTime = metav1.NewTime(time.Now().Add(-2 * time.Hour))
		}
	}
	if _, err := client.CoreV1().Pods(ns).UpdateStatus(ctx, &p, metav1.UpdateOptions{}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "1 available", func(ctx context.Context) (string, bool) {
		d, err := getDeployment(ctx, client, ns)
		if err != nil {
			return err.Error(), false
		}
		return fmt.Sprintf("%+v", d.Status), d.Status.AvailableReplicas == 1
	})
}

// TestDeploymentAdoption: a Deployment adopts a matching orphan ReplicaSet
// of its template instead of making one; deleted with orphan propagation,
// it lets go of it.
func TestDeploymentAdoption(t *testing.T) {
	client, ns := deploymentClients(t)
	ctx := context.Background()
	tmpl := template("web")
	tmpl.Spec.Containers[0].Image = imageV1
	orphan, err := client.AppsV1().ReplicaSets(ns).Create(ctx, &appsv1.ReplicaSet{
		ObjectMeta: metav1.ObjectMeta{Name: "web-by-hand", Labels: map[string]string{"app": "web"}},
		Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To[int32](1),
			Selector: &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}},
			Template: tmpl,
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d := createDeployment(t, client, ns, 2)
	eventually(t, "orphan adopted and scaled", func(ctx context.Context) (string, bool) {
		rs, err := client.AppsV1().ReplicaSets(ns).Get(ctx, orphan.Name, metav1.GetOptions{})
		if err != nil {
			return err.Error(), false
		}
		ref := metav1.GetControllerOf(rs)
		return fmt.Sprintf("controller %+v, replicas %d, revision %q", ref, ptr.Deref(rs.Spec.Replicas, -1), rs.Annotations[deployment.RevisionAnnotation]),
			ref != nil && ref.UID == d.UID && ptr.Deref(rs.Spec.Replicas, -1) == 2 && rs.Annotations[deployment.RevisionAnnotation] == "1"
	})
	rss, err := replicaSets(ctx, client, ns)
	if err != nil {
		t.Fatal(err)
	}
	if len(rss) != 1 {
		t.Errorf("replica sets %v, want the adopted one only", rsSummary(rss))
	}
	if !apiequality.Semantic.DeepEqual(rss[0].Spec.Template.Spec, d.Spec.Template.Spec) {
		t.Errorf("adopted template differs from the deployment's")
	}

	orphanPolicy := metav1.DeletePropagationOrphan
	if err := client.AppsV1().Deployments(ns).Delete(ctx, "web", metav1.DeleteOptions{PropagationPolicy: &orphanPolicy}); err != nil {
		t.Fatal(err)
	}
	eventually(t, "released by the garbage collector", func(ctx context.Context) (string, bool) {
		rs, err := client.AppsV1().ReplicaSets(ns).Get(ctx, orphan.Name, metav1.GetOptions{})
		if err != nil {
			return err.Error(), false
		}
		return fmt.Sprintf("ownerReferences %+v", rs.OwnerReferences), len(rs.OwnerReferences) == 0
	})
}
