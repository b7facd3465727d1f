package autoscaling

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	autoscalingv1 "k8s.io/api/autoscaling/v1"
	autoscalingv2 "k8s.io/api/autoscaling/v2"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/apiserver/pkg/endpoints/discovery"
	autoscalingv1ac "k8s.io/client-go/applyconfigurations/autoscaling/v1"
	"k8s.io/client-go/kubernetes"
	"k8s.io/client-go/rest"
	"k8s.io/client-go/tools/clientcmd"
	clientcmdapi "k8s.io/client-go/tools/clientcmd/api"
	"k8s.io/utils/ptr"
)

// The annotation that carries the metrics autoscaling/v1 cannot express.
const metricsAnnotation = "autoscaling.alpha.kubernetes.io/metrics"

var (
	webV1 = autoscalingv1.CrossVersionObjectReference{Kind: "Deployment", Name: "web", APIVersion: "apps/v1"}
	webV2 = autoscalingv2.CrossVersionObjectReference(webV1)

	memory = autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
		Name:   corev1.ResourceMemory,
		Target: autoscalingv2.MetricTarget{Type: autoscalingv2.AverageValueMetricType, AverageValue: ptr.To(resource.MustParse("1Gi"))},
	}}
	// memoryJSON is memory in the annotation, as upstream writes it.
	memoryJSON = `[{"type":"Resource","resource":{"name":"memory","targetAverageValue":"1Gi"}}]`
)

func cpu(percent int32) autoscalingv2.MetricSpec {
	return autoscalingv2.MetricSpec{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricSource{
		Name:   corev1.ResourceCPU,
		Target: autoscalingv2.MetricTarget{Type: autoscalingv2.UtilizationMetricType, AverageUtilization: ptr.To(percent)},
	}}
}

// clients returns a client of the package's server and a new namespace.
// Without the controllers no default service account comes: the tests
// create no pods.
func clients(t *testing.T) (*kubernetes.Clientset, string) {
	t.Helper()
	client := kubernetes.NewForConfigOrDie(serverConfig(t))
	name := strings.ToLower(strings.NewReplacer("/", "-", "_", "-").Replace(t.Name()))
	ns, err := client.CoreV1().Namespaces().Create(context.Background(),
		&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: strings.Trim(name, "-") + "-"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create namespace: %v", err)
	}
	return client, ns.Name
}

// TestDiscovery: `kubectl api-versions` lists both versions with v2
// preferred, and both serve one resource stored at v2.
func TestDiscovery(t *testing.T) {
	client, _ := clients(t)
	groups, err := client.Discovery().ServerGroups()
	if err != nil {
		t.Fatalf("server groups: %v", err)
	}
	i := slices.IndexFunc(groups.Groups, func(g metav1.APIGroup) bool { return g.Name == "autoscaling" })
	if i < 0 {
		t.Fatal("no autoscaling group")
	}
	var versions []string
	for _, v := range groups.Groups[i].Versions {
		versions = append(versions, v.GroupVersion)
	}
	if diff := cmp.Diff([]string{"autoscaling/v2", "autoscaling/v1"}, versions); diff != "" {
		t.Errorf("autoscaling versions (-want +got):\n%s", diff)
	}
	if got := groups.Groups[i].PreferredVersion.GroupVersion; got != "autoscaling/v2" {
		t.Errorf("preferred version = %s, want autoscaling/v2", got)
	}

	stored := discovery.StorageVersionHash("autoscaling", "v2", "HorizontalPodAutoscaler")
	for _, gv := range []string{"autoscaling/v1", "autoscaling/v2"} {
		list, err := client.Discovery().ServerResourcesForGroupVersion(gv)
		if err != nil {
			t.Fatalf("resources of %s: %v", gv, err)
		}
		type summary struct {
			Name, Kind, StorageVersionHash string
			Namespaced                     bool
			ShortNames                     []string
		}
		var got []summary
		for _, r := range list.APIResources {
			got = append(got, summary{r.Name, r.Kind, r.StorageVersionHash, r.Namespaced, r.ShortNames})
		}
		want := []summary{
			{"horizontalpodautoscalers", "HorizontalPodAutoscaler", stored, true, []string{"hpa"}},
			{"horizontalpodautoscalers/status", "HorizontalPodAutoscaler", "", true, nil},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s resources (-want +got):\n%s", gv, diff)
		}
	}
}

// TestCreateThroughV1: v1's CPU target is a v2 CPU utilization metric, and
// v1's implicit 80% target is explicit in v2.
func TestCreateThroughV1(t *testing.T) {
	ctx := context.Background()
	client, ns := clients(t)
	v1 := client.AutoscalingV1().HorizontalPodAutoscalers(ns)
	v2 := client.AutoscalingV2().HorizontalPodAutoscalers(ns)

	tests := []struct {
		name      string
		targetCPU *int32
		want      int32
	}{
		{name: "target", targetCPU: ptr.To[int32](50), want: 50},
		{name: "implicit", want: 80},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			created, err := v1.Create(ctx, &autoscalingv1.HorizontalPodAutoscaler{
				ObjectMeta: metav1.ObjectMeta{Name: tt.name},
				Spec:       autoscalingv1.HorizontalPodAutoscalerSpec{ScaleTargetRef: webV1, MaxReplicas: 3, TargetCPUUtilizationPercentage: tt.targetCPU},
			}, metav1.CreateOptions{})
			if err != nil {
				t.Fatalf("create through v1: %v", err)
			}
			wantV1 := autoscalingv1.HorizontalPodAutoscalerSpec{ScaleTargetRef: webV1, MinReplicas: ptr.To[int32](1), MaxReplicas: 3, TargetCPUUtilizationPercentage: &tt.want}
			if diff := cmp.Diff(wantV1, created.Spec); diff != "" {
				t.Errorf("created v1 spec (-want +got):\n%s", diff)
			}
			if len(created.Annotations) != 0 {
				t.Errorf("created v1 annotations = %v, want none", created.Annotations)
			}
			got, err := v2.Get(ctx, tt.name, metav1.GetOptions{})
			if err != nil {
				t.Fatalf("get through v2: %v", err)
			}
			wantV2 := autoscalingv2.HorizontalPodAutoscalerSpec{ScaleTargetRef: webV2, MinReplicas: ptr.To[int32](1), MaxReplicas: 3, Metrics: []autoscalingv2.MetricSpec{cpu(tt.want)}}
			if diff := cmp.Diff(wantV2, got.Spec); diff != "" {
				t.Errorf("v2 spec (-want +got):\n%s", diff)
			}
			if len(got.Annotations) != 0 {
				t.Errorf("v2 annotations = %v, want none", got.Annotations)
			}
		})
	}
}

// TestCreateThroughV2: what v1 cannot express reads as annotations through
// v1, and survives a v1 client's read-modify-write.
func TestCreateThroughV2(t *testing.T) {
	ctx := context.Background()
	client, ns := clients(t)
	v1 := client.AutoscalingV1().HorizontalPodAutoscalers(ns)
	v2 := client.AutoscalingV2().HorizontalPodAutoscalers(ns)

	created, err := v2.Create(ctx, &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "memory", Annotations: map[string]string{"team": "a"}},
		Spec: autoscalingv2.HorizontalPodAutoscalerSpec{
			ScaleTargetRef: webV2, MaxReplicas: 5, Metrics: []autoscalingv2.MetricSpec{memory},
			Behavior: &autoscalingv2.HorizontalPodAutoscalerBehavior{ScaleDown: &autoscalingv2.HPAScalingRules{StabilizationWindowSeconds: ptr.To[int32](60)}},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create through v2: %v", err)
	}

	old, err := v1.Get(ctx, "memory", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get through v1: %v", err)
	}
	if old.Spec.TargetCPUUtilizationPercentage != nil {
		t.Errorf("v1 targetCPUUtilizationPercentage = %d, want none", *old.Spec.TargetCPUUtilizationPercentage)
	}
	if got := old.Annotations[metricsAnnotation]; got != memoryJSON {
		t.Errorf("v1 %s = %s, want %s", metricsAnnotation, got, memoryJSON)
	}
	for _, key := range []string{"team", "autoscaling.alpha.kubernetes.io/behavior"} {
		if _, ok := old.Annotations[key]; !ok {
			t.Errorf("v1 annotations %v lack %s", old.Annotations, key)
		}
	}

	old.Spec.MaxReplicas = 7
	updated, err := v1.Update(ctx, old, metav1.UpdateOptions{})
	if err != nil {
		t.Fatalf("update through v1: %v", err)
	}
	if updated.Generation != 2 || updated.Annotations[metricsAnnotation] != memoryJSON {
		t.Errorf("updated through v1: generation %d, annotations %v", updated.Generation, updated.Annotations)
	}
	got, err := v2.Get(ctx, "memory", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get through v2: %v", err)
	}
	want := created.Spec.DeepCopy()
	want.MaxReplicas = 7
	if diff := cmp.Diff(*want, got.Spec); diff != "" {
		t.Errorf("v2 spec after a v1 update (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]string{"team": "a"}, got.Annotations); diff != "" {
		t.Errorf("v2 annotations (-want +got):\n%s", diff)
	}
}

// TestStatus: status written through either version reads through the
// other; a v1 status update keeps what only v2 shows.
func TestStatus(t *testing.T) {
	ctx := context.Background()
	client, ns := clients(t)
	v1 := client.AutoscalingV1().HorizontalPodAutoscalers(ns)
	v2 := client.AutoscalingV2().HorizontalPodAutoscalers(ns)
	if _, err := v2.Create(ctx, &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec:       autoscalingv2.HorizontalPodAutoscalerSpec{ScaleTargetRef: webV2, MaxReplicas: 5, Metrics: []autoscalingv2.MetricSpec{cpu(50)}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create: %v", err)
	}

	h1, err := v1.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get through v1: %v", err)
	}
	h1.Status = autoscalingv1.HorizontalPodAutoscalerStatus{CurrentReplicas: 2, DesiredReplicas: 3, CurrentCPUUtilizationPercentage: ptr.To[int32](30)}
	if _, err := v1.UpdateStatus(ctx, h1, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update status through v1: %v", err)
	}
	h2, err := v2.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get through v2: %v", err)
	}
	want := autoscalingv2.HorizontalPodAutoscalerStatus{CurrentReplicas: 2, DesiredReplicas: 3, CurrentMetrics: []autoscalingv2.MetricStatus{{
		Type:     autoscalingv2.ResourceMetricSourceType,
		Resource: &autoscalingv2.ResourceMetricStatus{Name: corev1.ResourceCPU, Current: autoscalingv2.MetricValueStatus{AverageUtilization: ptr.To[int32](30)}},
	}}}
	if diff := cmp.Diff(want, h2.Status); diff != "" {
		t.Errorf("v2 status after a v1 status update (-want +got):\n%s", diff)
	}

	h2.Status.CurrentMetrics = []autoscalingv2.MetricStatus{
		{Type: autoscalingv2.ResourceMetricSourceType, Resource: &autoscalingv2.ResourceMetricStatus{
			Name: corev1.ResourceCPU, Current: autoscalingv2.MetricValueStatus{AverageUtilization: ptr.To[int32](40), AverageValue: ptr.To(resource.MustParse("200m"))},
		}},
	}
	h2.Status.Conditions = []autoscalingv2.HorizontalPodAutoscalerCondition{{
		Type: autoscalingv2.AbleToScale, Status: corev1.ConditionTrue, Reason: "ReadyForNewScale",
		LastTransitionTime: metav1.NewTime(time.Now().Truncate(time.Second)),
	}}
	if h2, err = v2.UpdateStatus(ctx, h2, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update status through v2: %v", err)
	}
	if h1, err = v1.Get(ctx, "web", metav1.GetOptions{}); err != nil {
		t.Fatalf("get through v1: %v", err)
	}
	if got := h1.Status.CurrentCPUUtilizationPercentage; got == nil || *got != 40 {
		t.Errorf("v1 currentCPUUtilizationPercentage = %v, want 40", got)
	}
	for _, key := range []string{"autoscaling.alpha.kubernetes.io/current-metrics", "autoscaling.alpha.kubernetes.io/conditions"} {
		if _, ok := h1.Annotations[key]; !ok {
			t.Errorf("v1 annotations %v lack %s", h1.Annotations, key)
		}
	}

	h1.Status.DesiredReplicas = 4
	if _, err := v1.UpdateStatus(ctx, h1, metav1.UpdateOptions{}); err != nil {
		t.Fatalf("update status through v1: %v", err)
	}
	got, err := v2.Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get through v2: %v", err)
	}
	wantStatus := h2.Status.DeepCopy()
	wantStatus.DesiredReplicas = 4
	if diff := cmp.Diff(*wantStatus, got.Status); diff != "" {
		t.Errorf("v2 status after a second v1 status update (-want +got):\n%s", diff)
	}
}

// TestListWatchTableApply: both versions list, watch, print and apply the
// same objects.
func TestListWatchTableApply(t *testing.T) {
	ctx := context.Background()
	client, ns := clients(t)
	v1 := client.AutoscalingV1().HorizontalPodAutoscalers(ns)
	v2 := client.AutoscalingV2().HorizontalPodAutoscalers(ns)
	if _, err := v1.Create(ctx, &autoscalingv1.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "a"},
		Spec:       autoscalingv1.HorizontalPodAutoscalerSpec{ScaleTargetRef: webV1, MaxReplicas: 3, TargetCPUUtilizationPercentage: ptr.To[int32](50)},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create through v1: %v", err)
	}
	list1, err := v1.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list through v1: %v", err)
	}
	w, err := v1.Watch(ctx, metav1.ListOptions{ResourceVersion: list1.ResourceVersion})
	if err != nil {
		t.Fatalf("watch through v1: %v", err)
	}
	defer w.Stop()
	if _, err := v2.Create(ctx, &autoscalingv2.HorizontalPodAutoscaler{
		ObjectMeta: metav1.ObjectMeta{Name: "b"},
		Spec:       autoscalingv2.HorizontalPodAutoscalerSpec{ScaleTargetRef: webV2, MaxReplicas: 3, Metrics: []autoscalingv2.MetricSpec{memory}},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create through v2: %v", err)
	}
	select {
	case ev := <-w.ResultChan():
		hpa, ok := ev.Object.(*autoscalingv1.HorizontalPodAutoscaler)
		if ev.Type != watch.Added || !ok || hpa.Name != "b" || hpa.Annotations[metricsAnnotation] != memoryJSON {
			t.Errorf("v1 watch event = %s %#v, want ADDED b with its metrics annotation", ev.Type, ev.Object)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("no v1 watch event for an autoscaler created through v2")
	}

	ac := autoscalingv1ac.HorizontalPodAutoscaler("c", ns).WithSpec(autoscalingv1ac.HorizontalPodAutoscalerSpec().
		WithScaleTargetRef(autoscalingv1ac.CrossVersionObjectReference().WithKind("Deployment").WithName("web").WithAPIVersion("apps/v1")).
		WithMaxReplicas(4).WithTargetCPUUtilizationPercentage(60))
	if _, err := v1.Apply(ctx, ac, metav1.ApplyOptions{FieldManager: "test"}); err != nil {
		t.Fatalf("apply through v1: %v", err)
	}
	if c, err := v2.Get(ctx, "c", metav1.GetOptions{}); err != nil || !cmp.Equal([]autoscalingv2.MetricSpec{cpu(60)}, c.Spec.Metrics) {
		t.Errorf("v2 view of an autoscaler applied through v1: %v, %v", c, err)
	}

	names := func(items []string) []string { slices.Sort(items); return items }
	list1, err = v1.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list through v1: %v", err)
	}
	list2, err := v2.List(ctx, metav1.ListOptions{})
	if err != nil {
		t.Fatalf("list through v2: %v", err)
	}
	var got1, got2 []string
	for _, h := range list1.Items {
		got1 = append(got1, h.Name)
	}
	for _, h := range list2.Items {
		got2 = append(got2, h.Name)
	}
	want := []string{"a", "b", "c"}
	if diff := cmp.Diff(want, names(got1)); diff != "" {
		t.Errorf("v1 list (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, names(got2)); diff != "" {
		t.Errorf("v2 list (-want +got):\n%s", diff)
	}

	// `kubectl get hpa` asks for a table; both versions print the v2 columns.
	for gv, rc := range map[string]rest.Interface{"v1": client.AutoscalingV1().RESTClient(), "v2": client.AutoscalingV2().RESTClient()} {
		raw, err := rc.Get().Namespace(ns).Resource("horizontalpodautoscalers").
			SetHeader("Accept", "application/json;as=Table;v=v1;g=meta.k8s.io").DoRaw(ctx)
		if err != nil {
			t.Fatalf("table through %s: %v", gv, err)
		}
		var table metav1.Table
		if err := json.Unmarshal(raw, &table); err != nil {
			t.Fatalf("decode %s table: %v", gv, err)
		}
		var columns []string
		for _, c := range table.ColumnDefinitions {
			columns = append(columns, c.Name)
		}
		if diff := cmp.Diff([]string{"Name", "Reference", "Targets", "MinPods", "MaxPods", "Replicas", "Age"}, columns); diff != "" {
			t.Errorf("%s table columns (-want +got):\n%s", gv, diff)
		}
		var rows [][]any
		for _, r := range table.Rows {
			rows = append(rows, r.Cells[:3])
		}
		wantRows := [][]any{
			{"a", "Deployment/web", "cpu: <unknown>/50%"},
			{"b", "Deployment/web", "memory: <unknown>/1Gi"},
			{"c", "Deployment/web", "cpu: <unknown>/60%"},
		}
		if diff := cmp.Diff(wantRows, rows); diff != "" {
			t.Errorf("%s table rows (-want +got):\n%s", gv, diff)
		}
	}
}

// TestApplyResetFields: server-side apply through either version owns only
// the spec through the main resource and only the status through status.
func TestApplyResetFields(t *testing.T) {
	ctx := context.Background()
	client, ns := clients(t)
	for _, version := range []string{"v1", "v2"} {
		t.Run(version, func(t *testing.T) {
			rc := client.AutoscalingV1().RESTClient()
			if version == "v2" {
				rc = client.AutoscalingV2().RESTClient()
			}
			body := []byte(`{"apiVersion":"autoscaling/` + version + `","kind":"HorizontalPodAutoscaler","metadata":{"name":"` + version + `"},` +
				`"spec":{"scaleTargetRef":{"apiVersion":"apps/v1","kind":"Deployment","name":"web"},"maxReplicas":4},"status":{"currentReplicas":5,"desiredReplicas":2}}`)
			apply := func(manager string, subresources ...string) {
				t.Helper()
				err := rc.Patch(types.ApplyPatchType).Namespace(ns).Resource("horizontalpodautoscalers").Name(version).SubResource(subresources...).
					Param("fieldManager", manager).Body(body).Do(ctx).Error()
				if err != nil {
					t.Fatalf("apply as %s: %v", manager, err)
				}
			}
			apply("spec-owner")
			apply("status-owner", "status")
			h, err := client.AutoscalingV2().HorizontalPodAutoscalers(ns).Get(ctx, version, metav1.GetOptions{})
			if err != nil {
				t.Fatalf("get: %v", err)
			}
			got := map[string][]string{}
			for _, m := range h.ManagedFields {
				var fields map[string]any
				if err := json.Unmarshal(m.FieldsV1.Raw, &fields); err != nil {
					t.Fatalf("managed fields of %s: %v", m.Manager, err)
				}
				for f := range fields {
					got[m.Manager] = append(got[m.Manager], m.APIVersion+" "+f)
				}
			}
			want := map[string][]string{
				"spec-owner":   {"autoscaling/" + version + " f:spec"},
				"status-owner": {"autoscaling/" + version + " f:status"},
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("managed fields (-want +got):\n%s", diff)
			}
		})
	}
}

// TestKubectl runs the kubectl on PATH: api-versions, autoscale and get hpa.
func TestKubectl(t *testing.T) {
	kubectl, err := exec.LookPath("kubectl")
	if err != nil {
		t.Skipf("kubectl is not installed: %v", err)
	}
	ctx := context.Background()
	config := serverConfig(t)
	client, ns := clients(t)
	kubeconfig := writeKubeconfig(t, config)
	run := func(args ...string) string {
		t.Helper()
		args = append([]string{"--kubeconfig", kubeconfig, "--cache-dir", t.TempDir()}, args...)
		out, err := exec.CommandContext(ctx, kubectl, args...).CombinedOutput()
		if err != nil {
			t.Fatalf("kubectl %s: %v\n%s", strings.Join(args[4:], " "), err, out)
		}
		return string(out)
	}

	versions := strings.Fields(run("api-versions"))
	for _, gv := range []string{"autoscaling/v1", "autoscaling/v2"} {
		if !slices.Contains(versions, gv) {
			t.Errorf("kubectl api-versions lacks %s: %v", gv, versions)
		}
	}

	labels := map[string]string{"app": "web"}
	if _, err := client.AppsV1().Deployments(ns).Create(ctx, &appsv1.Deployment{
		ObjectMeta: metav1.ObjectMeta{Name: "web"},
		Spec: appsv1.DeploymentSpec{
			Selector: &metav1.LabelSelector{MatchLabels: labels},
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec:       corev1.PodSpec{Containers: []corev1.Container{{Name: "c", Image: "busybox:1.36"}}},
			},
		},
	}, metav1.CreateOptions{}); err != nil {
		t.Fatalf("create deployment: %v", err)
	}
	run("autoscale", "-n", ns, "deployment", "web", "--min=2", "--max=4", "--cpu-percent=70")
	h, err := client.AutoscalingV1().HorizontalPodAutoscalers(ns).Get(ctx, "web", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get the autoscaler kubectl made through v1: %v", err)
	}
	if h.Spec.MaxReplicas != 4 || ptr.Deref(h.Spec.MinReplicas, 0) != 2 || ptr.Deref(h.Spec.TargetCPUUtilizationPercentage, 0) != 70 {
		t.Errorf("kubectl autoscale made %+v", h.Spec)
	}
	if out := run("get", "hpa", "-n", ns); !strings.Contains(out, "Deployment/web") || !strings.Contains(out, "70%") {
		t.Errorf("kubectl get hpa:\n%s", out)
	}
}

// writeKubeconfig writes config, the admin's, where kubectl can read it.
func writeKubeconfig(t *testing.T, config *rest.Config) string {
	t.Helper()
	kc := clientcmdapi.NewConfig()
	kc.Clusters["kubeshim"] = &clientcmdapi.Cluster{Server: config.Host, CertificateAuthority: config.CAFile, CertificateAuthorityData: config.CAData}
	kc.AuthInfos["admin"] = &clientcmdapi.AuthInfo{
		ClientCertificate: config.CertFile, ClientCertificateData: config.CertData,
		ClientKey: config.KeyFile, ClientKeyData: config.KeyData, Token: config.BearerToken,
	}
	kc.Contexts["admin"] = &clientcmdapi.Context{Cluster: "kubeshim", AuthInfo: "admin"}
	kc.CurrentContext = "admin"
	path := filepath.Join(t.TempDir(), "kubeconfig")
	if err := clientcmd.WriteToFile(*kc, path); err != nil {
		t.Fatalf("write kubeconfig: %v", err)
	}
	return path
}
