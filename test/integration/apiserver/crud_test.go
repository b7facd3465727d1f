package apiserver

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/util/retry"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

func deployment(name string) *appsv1.Deployment {
	labels := map[string]string{"app": name}
	return &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: name},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox:1.36"}}},
			},
		},
	}
}

func TestDeploymentDefaultsAndGeneration(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	deployments := client.AppsV1().Deployments(ns)

	d, err := deployments.Create(ctx, deployment("web"), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	type summary struct {
		Replicas, RevisionHistoryLimit, ProgressDeadlineSeconds int32
		Strategy                                                appsv1.DeploymentStrategyType
		Generation                                              int64
		PullPolicy                                              corev1.PullPolicy
		RestartPolicy                                           corev1.RestartPolicy
	}
	got := summary{*d.Spec.Replicas, *d.Spec.RevisionHistoryLimit, *d.Spec.ProgressDeadlineSeconds, d.Spec.Strategy.Type,
		d.Generation, d.Spec.Template.Spec.Containers[0].ImagePullPolicy, d.Spec.Template.Spec.RestartPolicy}
	want := summary{1, 10, 600, appsv1.RollingUpdateDeploymentStrategyType, 1, corev1.PullIfNotPresent, corev1.RestartPolicyAlways}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("created deployment (-want +got):\n%s", diff)
	}

	// The shared server runs the deployment controller, which writes the
	// status meanwhile: every write re-reads and retries on conflicts.
	write := func(what string, status bool, mutate func(*appsv1.Deployment)) *appsv1.Deployment {
		t.Helper()
		var out *appsv1.Deployment
		err := retry.RetryOnConflict(retry.DefaultRetry, func() error {
			cur, err := deployments.Get(ctx, "web", metav1.GetOptions{})
			if err != nil {
				return err
			}
			mutate(cur)
			if status {
				out, err = deployments.UpdateStatus(ctx, cur, metav1.UpdateOptions{})
			} else {
				out, err = deployments.Update(ctx, cur, metav1.UpdateOptions{})
			}
			return err
		})
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		return out
	}
	// A metadata-only change keeps the generation; a spec change bumps it.
	d = write("update labels", false, func(d *appsv1.Deployment) { d.Labels = map[string]string{"tier": "front"} })
	if d.Generation != 1 {
		t.Errorf("generation after a label change = %d, want 1", d.Generation)
	}
	d = write("update replicas", false, func(d *appsv1.Deployment) { d.Spec.Replicas = ptr.To[int32](3) })
	if d.Generation != 2 {
		t.Errorf("generation after a spec change = %d, want 2", d.Generation)
	}

	// Status written through the main resource is ignored.
	d = write("update status through main resource", false, func(d *appsv1.Deployment) { d.Status.Replicas = 42 })
	if d.Status.Replicas == 42 {
		t.Errorf("status.replicas = 42 after an update of the main resource, want it ignored")
	}
	// ...and written through /status it lands, without touching the spec.
	d = write("update status", true, func(d *appsv1.Deployment) {
		d.Status.Replicas = 3
		d.Spec.Replicas = ptr.To[int32](7)
	})
	if d.Status.Replicas != 3 || *d.Spec.Replicas != 3 {
		t.Errorf("after /status update: status.replicas=%d spec.replicas=%d, want 3 and 3", d.Status.Replicas, *d.Spec.Replicas)
	}

	// The scale subresource reads and writes spec.replicas.
	scale, err := deployments.GetScale(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get scale: %v", err)
	}
	if scale.Spec.Replicas != 3 || scale.Status.Selector != "app=web" {
		t.Errorf("scale = %+v, want spec.replicas 3 and selector app=web", scale)
	}
	err = retry.RetryOnConflict(retry.DefaultRetry, func() error {
		cur, err := deployments.GetScale(ctx, "web", metav1.GetOptions{})
		if err != nil {
			return err
		}
		cur.Spec.Replicas = 5
		_, err = deployments.UpdateScale(ctx, "web", cur, metav1.UpdateOptions{})
		return err
	})
	if err != nil {
		t.Fatalf("update scale: %v", err)
	}
	if d, err = deployments.Get(ctx, "web", metav1.GetOptions{}); err != nil || *d.Spec.Replicas != 5 {
		t.Fatalf("after scale: replicas=%v err=%v, want 5", d.Spec.Replicas, err)
	}
	scale.Spec.Replicas = -1
	if _, err := deployments.UpdateScale(ctx, "web", scale, metav1.UpdateOptions{}); !apierrors.IsInvalid(err) && !apierrors.IsConflict(err) {
		t.Errorf("negative scale: err = %v, want Invalid or Conflict", err)
	}
}

func TestConflictAndDryRun(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	cms := client.CoreV1().ConfigMaps(ns)

	cm, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c"}, Data: map[string]string{"k": "1"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	stale := cm.DeepCopy()
	cm.Data["k"] = "2"
	if _, err := cms.Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update: %v", err)
	}
	stale.Data["k"] = "3"
	if _, err := cms.Update(ctx, stale, metav1.UpdateOptions{}); !apierrors.IsConflict(err) {
		t.Errorf("update with a stale resourceVersion: err = %v, want 409 Conflict", err)
	}

	dry := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "dry"}}
	if _, err := cms.Create(ctx, dry, metav1.CreateOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
		t.Fatalf("dry-run create: %v", err)
	}
	if _, err := cms.Get(ctx, "dry", metav1.GetOptions{}); !apierrors.IsNotFound(err) {
		t.Errorf("after a dry-run create: err = %v, want NotFound", err)
	}
	if err := cms.Delete(ctx, "c", metav1.DeleteOptions{DryRun: []string{metav1.DryRunAll}}); err != nil {
		t.Fatalf("dry-run delete: %v", err)
	}
	if _, err := cms.Get(ctx, "c", metav1.GetOptions{}); err != nil {
		t.Errorf("after a dry-run delete: %v, want the object still there", err)
	}
}

func TestSelectorsAndPagination(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	pods := client.CoreV1().Pods(ns)
	for i := 0; i < 7; i++ {
		p := &corev1.Pod{
			ObjectMeta: metav1.ObjectMeta{Name: fmt.Sprintf("p%d", i), Labels: map[string]string{"parity": []string{"even", "odd"}[i%2]}},
			Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox"}}},
		}
		if i < 3 {
			p.Spec.NodeName = "n1"
		}
		if _, err := pods.Create(ctx, p, metav1.CreateOptions{}); err != nil {
			t.Fatalf("create pod: %v", err)
		}
	}
	count := func(opts metav1.ListOptions) int {
		t.Helper()
		list, err := pods.List(ctx, opts)
		if err != nil {
			t.Fatalf("list %+v: %v", opts, err)
		}
		return len(list.Items)
	}
	for _, tc := range []struct {
		name string
		opts metav1.ListOptions
		want int
	}{
		{"label", metav1.ListOptions{LabelSelector: "parity=odd"}, 3},
		{"spec.nodeName", metav1.ListOptions{FieldSelector: "spec.nodeName=n1"}, 3},
		{"unscheduled", metav1.ListOptions{FieldSelector: "spec.nodeName="}, 4},
		{"status.phase", metav1.ListOptions{FieldSelector: "status.phase=Pending"}, 7},
		{"both", metav1.ListOptions{LabelSelector: "parity=even", FieldSelector: "spec.nodeName=n1"}, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := count(tc.opts); got != tc.want {
				t.Errorf("got %d pods, want %d", got, tc.want)
			}
		})
	}
	if _, err := pods.List(ctx, metav1.ListOptions{FieldSelector: "spec.bogus=x"}); !apierrors.IsBadRequest(err) {
		t.Errorf("unknown field selector: err = %v, want 400", err)
	}

	var names []string
	opts := metav1.ListOptions{Limit: 3}
	for pages := 0; ; pages++ {
		list, err := pods.List(ctx, opts)
		if err != nil {
			t.Fatalf("list page: %v", err)
		}
		if len(list.Items) > 3 {
			t.Fatalf("page of %d items, limit 3", len(list.Items))
		}
		for _, p := range list.Items {
			names = append(names, p.Name)
		}
		if list.Continue == "" {
			if pages != 2 {
				t.Errorf("%d pages, want 3", pages+1)
			}
			break
		}
		opts.Continue = list.Continue
	}
	if diff := cmp.Diff([]string{"p0", "p1", "p2", "p3", "p4", "p5", "p6"}, names); diff != "" {
		t.Errorf("paged names (-want +got):\n%s", diff)
	}
}

func TestWatch(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)
	cms := client.CoreV1().ConfigMaps(ns)

	w, err := cms.Watch(ctx, metav1.ListOptions{AllowWatchBookmarks: true})
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	defer w.Stop()
	cm, err := cms.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "w"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	cm.Data = map[string]string{"a": "b"}
	if _, err := cms.Update(ctx, cm, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update: %v", err)
	}
	if err := cms.Delete(ctx, "w", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete: %v", err)
	}
	var got []watch.EventType
	for len(got) < 3 {
		select {
		case e, ok := <-w.ResultChan():
			if !ok {
				t.Fatalf("watch closed after %v", got)
			}
			// The namespace's kube-root-ca.crt comes and goes too.
			if cm, ok := e.Object.(*corev1.ConfigMap); ok && cm.Name == "w" {
				got = append(got, e.Type)
			}
		case <-ctx.Done():
			t.Fatalf("timed out; events so far %v", got)
		}
	}
	if diff := cmp.Diff([]watch.EventType{watch.Added, watch.Modified, watch.Deleted}, got); diff != "" {
		t.Errorf("events (-want +got):\n%s", diff)
	}
}
