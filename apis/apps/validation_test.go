package apps

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/intstr"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// Expected errors are written as the API reports them.

func check(t *testing.T, want []string, got field.ErrorList) {
	t.Helper()
	var gotStrings []string
	for _, e := range got {
		gotStrings = append(gotStrings, e.Error())
	}
	if diff := cmp.Diff(want, gotStrings); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

var webLabels = map[string]string{"app": "web"}

func meta(name string) metav1.ObjectMeta {
	return metav1.ObjectMeta{Name: name, Namespace: "default", ResourceVersion: "1"}
}

// template is a pod template as it looks after upstream's defaulting.
func podTemplate() corev1.PodTemplateSpec {
	return corev1.PodTemplateSpec{
		ObjectMeta: metav1.ObjectMeta{Labels: map[string]string{"app": "web"}},
		Spec: corev1.PodSpec{
			Containers: []corev1.Container{{
				Name: "app", Image: "nginx", ImagePullPolicy: corev1.PullIfNotPresent,
				TerminationMessagePolicy: corev1.TerminationMessageReadFile,
			}},
			RestartPolicy:                 corev1.RestartPolicyAlways,
			DNSPolicy:                     corev1.DNSClusterFirst,
			TerminationGracePeriodSeconds: ptr.To[int64](30),
			SecurityContext:               &corev1.PodSecurityContext{},
		},
	}
}

func validDeployment() *appsv1.Deployment {
	maxUnavailable, maxSurge := intstr.FromString("25%"), intstr.FromString("25%")
	return &appsv1.Deployment{ObjectMeta: meta("web"), Spec: appsv1.DeploymentSpec{
		Replicas: ptr.To[int32](3),
		Selector: &metav1.LabelSelector{MatchLabels: webLabels},
		Template: podTemplate(),
		Strategy: appsv1.DeploymentStrategy{Type: appsv1.RollingUpdateDeploymentStrategyType,
			RollingUpdate: &appsv1.RollingUpdateDeployment{MaxUnavailable: &maxUnavailable, MaxSurge: &maxSurge}},
		RevisionHistoryLimit:    ptr.To[int32](10),
		ProgressDeadlineSeconds: ptr.To[int32](600),
	}}
}

func TestValidateDeployment(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*appsv1.Deployment)
		want   []string
	}{
		{name: "valid", mutate: func(*appsv1.Deployment) {}},
		{
			name:   "selector does not match template",
			mutate: func(d *appsv1.Deployment) { d.Spec.Template.Labels = map[string]string{"app": "db"} },
			want:   []string{"spec.template.metadata.labels: Invalid value: {\"app\":\"db\"}: `selector` does not match template `labels`"},
		},
		{
			name:   "empty selector",
			mutate: func(d *appsv1.Deployment) { d.Spec.Selector = &metav1.LabelSelector{} },
			want:   []string{`spec.selector: Invalid value: {}: empty selector is invalid for deployment`},
		},
		{
			name:   "missing selector",
			mutate: func(d *appsv1.Deployment) { d.Spec.Selector = nil },
			want: []string{
				`spec.selector: Required value`,
				"spec.template.metadata.labels: Invalid value: {\"app\":\"web\"}: `selector` does not match template `labels`",
			},
		},
		{
			name:   "negative replicas",
			mutate: func(d *appsv1.Deployment) { d.Spec.Replicas = ptr.To[int32](-1) },
			want:   []string{`spec.replicas: Invalid value: -1: must be greater than or equal to 0`},
		},
		{
			name: "rolling update with nothing to do",
			mutate: func(d *appsv1.Deployment) {
				zero := intstr.FromInt32(0)
				d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxUnavailable: &zero, MaxSurge: &zero}
			},
			want: []string{"spec.strategy.rollingUpdate.maxUnavailable: Invalid value: 0: may not be 0 when `maxSurge` is 0"},
		},
		{
			name: "percent over 100 and malformed",
			mutate: func(d *appsv1.Deployment) {
				over, bad := intstr.FromString("120%"), intstr.FromString("x")
				d.Spec.Strategy.RollingUpdate = &appsv1.RollingUpdateDeployment{MaxUnavailable: &over, MaxSurge: &bad}
			},
			want: []string{
				`spec.strategy.rollingUpdate.maxSurge: Invalid value: "x": a valid percent string must be a numeric string followed by an ending '%' (e.g. '1%',  or '93%', regex used for validation is '[0-9]+%')`,
				`spec.strategy.rollingUpdate.maxUnavailable: Invalid value: "120%": must not be greater than 100%`,
			},
		},
		{
			name:   "recreate with rolling update",
			mutate: func(d *appsv1.Deployment) { d.Spec.Strategy.Type = appsv1.RecreateDeploymentStrategyType },
			want:   []string{`spec.strategy.rollingUpdate: Forbidden: may not be specified when strategy ` + "`type`" + ` is 'Recreate'`},
		},
		{
			name: "unknown strategy",
			mutate: func(d *appsv1.Deployment) {
				d.Spec.Strategy = appsv1.DeploymentStrategy{Type: "BlueGreen"}
			},
			want: []string{`spec.strategy: Unsupported value: {"Type":"BlueGreen","RollingUpdate":null}: supported values: "Recreate", "RollingUpdate"`},
		},
		{
			name:   "progress deadline not above minReadySeconds",
			mutate: func(d *appsv1.Deployment) { d.Spec.MinReadySeconds = 600 },
			want:   []string{`spec.progressDeadlineSeconds: Invalid value: 600: must be greater than minReadySeconds`},
		},
		{
			name:   "template restart policy",
			mutate: func(d *appsv1.Deployment) { d.Spec.Template.Spec.RestartPolicy = corev1.RestartPolicyOnFailure },
			want:   []string{`spec.template.spec.restartPolicy: Unsupported value: "OnFailure": supported values: "Always"`},
		},
		{
			name:   "template container invalid",
			mutate: func(d *appsv1.Deployment) { d.Spec.Template.Spec.Containers[0].Name = "" },
			want:   []string{`spec.template.spec.containers[0].name: Required value`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := validDeployment()
			tc.mutate(d)
			check(t, tc.want, ValidateDeployment(d))
		})
	}

	t.Run("selector is immutable", func(t *testing.T) {
		old, d := validDeployment(), validDeployment()
		d.Spec.Selector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web", "tier": "front"}}
		d.Spec.Template.Labels = d.Spec.Selector.MatchLabels
		check(t, []string{`spec.selector: Invalid value: {"matchLabels":{"app":"web","tier":"front"}}: field is immutable`}, ValidateDeploymentUpdate(d, old))
	})

	t.Run("status counts", func(t *testing.T) {
		old, d := validDeployment(), validDeployment()
		d.Status = appsv1.DeploymentStatus{Replicas: 1, ReadyReplicas: 2, AvailableReplicas: 3, UnavailableReplicas: -1}
		check(t, []string{
			`status.unavailableReplicas: Invalid value: -1: must be greater than or equal to 0`,
			`status.readyReplicas: Invalid value: 2: cannot be greater than status.replicas`,
			`status.availableReplicas: Invalid value: 3: cannot be greater than status.replicas`,
			`status.availableReplicas: Invalid value: 3: cannot be greater than readyReplicas`,
		}, ValidateDeploymentStatusUpdate(d, old))
	})
}

func TestValidateReplicaSet(t *testing.T) {
	valid := func() *appsv1.ReplicaSet {
		return &appsv1.ReplicaSet{ObjectMeta: meta("web-1"), Spec: appsv1.ReplicaSetSpec{
			Replicas: ptr.To[int32](1), Selector: &metav1.LabelSelector{MatchLabels: webLabels}, Template: podTemplate()}}
	}
	check(t, nil, ValidateReplicaSet(valid()))

	rs := valid()
	rs.Spec.Template.Spec.ActiveDeadlineSeconds = ptr.To[int64](10)
	check(t, []string{`spec.template.spec.activeDeadlineSeconds: Forbidden: activeDeadlineSeconds in ReplicaSet is not Supported`}, ValidateReplicaSet(rs))

	rs = valid()
	rs.Spec.Selector = &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Maybe"}}}
	check(t, []string{
		`spec.selector.matchExpressions[0].operator: Invalid value: "Maybe": not a valid selector operator`,
		`spec.selector: Invalid value: {"matchExpressions":[{"key":"app","operator":"Maybe"}]}: invalid label selector`,
	}, ValidateReplicaSet(rs))
}

func validStatefulSet() *appsv1.StatefulSet {
	return &appsv1.StatefulSet{ObjectMeta: meta("db"), Spec: appsv1.StatefulSetSpec{
		Replicas:            ptr.To[int32](3),
		Selector:            &metav1.LabelSelector{MatchLabels: webLabels},
		Template:            podTemplate(),
		ServiceName:         "db",
		PodManagementPolicy: appsv1.OrderedReadyPodManagement,
		UpdateStrategy: appsv1.StatefulSetUpdateStrategy{Type: appsv1.RollingUpdateStatefulSetStrategyType,
			RollingUpdate: &appsv1.RollingUpdateStatefulSetStrategy{Partition: ptr.To[int32](0)}},
		VolumeClaimTemplates: []corev1.PersistentVolumeClaim{{
			ObjectMeta: metav1.ObjectMeta{Name: "data"},
			Spec: corev1.PersistentVolumeClaimSpec{
				AccessModes: []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
				Resources:   corev1.VolumeResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceStorage: resource.MustParse("1Gi")}},
			},
		}},
	}}
}

func TestValidateStatefulSet(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*appsv1.StatefulSet)
		want   []string
	}{
		{name: "valid", mutate: func(*appsv1.StatefulSet) {}},
		{
			// The controller adds a volume per claim template.
			name: "mount of a claim template volume",
			mutate: func(s *appsv1.StatefulSet) {
				s.Spec.Template.Spec.Containers[0].VolumeMounts = []corev1.VolumeMount{{Name: "data", MountPath: "/data"}}
			},
		},
		{
			name:   "name is a DNS label",
			mutate: func(s *appsv1.StatefulSet) { s.Name = "db.v1" },
			want:   []string{`metadata.name: Invalid value: "db.v1": must not contain dots`},
		},
		{
			name: "policies",
			mutate: func(s *appsv1.StatefulSet) {
				s.Spec.PodManagementPolicy = "Random"
				s.Spec.UpdateStrategy = appsv1.StatefulSetUpdateStrategy{Type: "Recreate"}
			},
			want: []string{
				`spec.podManagementPolicy: Invalid value: "Random": must be 'OrderedReady' or 'Parallel'`,
				`spec.updateStrategy: Invalid value: {"Type":"Recreate","RollingUpdate":null}: must be 'RollingUpdate' or 'OnDelete'`,
			},
		},
		{
			name: "claim template without storage",
			mutate: func(s *appsv1.StatefulSet) {
				s.Spec.VolumeClaimTemplates[0].Spec.Resources.Requests = nil
			},
			want: []string{`spec.volumeClaimTemplates[0].spec.resources[storage]: Required value`},
		},
		{
			name: "maxUnavailable zero",
			mutate: func(s *appsv1.StatefulSet) {
				s.Spec.UpdateStrategy.RollingUpdate.MaxUnavailable = ptr.To(intstr.FromInt32(0))
			},
			want: []string{`spec.updateStrategy.rollingUpdate.maxUnavailable: Invalid value: 0: cannot be 0`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := validStatefulSet()
			tc.mutate(s)
			check(t, tc.want, ValidateStatefulSet(s))
		})
	}

	t.Run("update may not change service name", func(t *testing.T) {
		old, s := validStatefulSet(), validStatefulSet()
		s.Spec.ServiceName = "db2"
		s.Spec.Replicas = ptr.To[int32](5)
		check(t, []string{`spec.serviceName: Invalid value: "db2": field is immutable`}, ValidateStatefulSetUpdate(s, old))
	})
}

func TestValidateDaemonSet(t *testing.T) {
	valid := func() *appsv1.DaemonSet {
		maxUnavailable, maxSurge := intstr.FromInt32(1), intstr.FromInt32(0)
		return &appsv1.DaemonSet{ObjectMeta: meta("agent"), Spec: appsv1.DaemonSetSpec{
			Selector: &metav1.LabelSelector{MatchLabels: webLabels},
			Template: podTemplate(),
			UpdateStrategy: appsv1.DaemonSetUpdateStrategy{Type: appsv1.RollingUpdateDaemonSetStrategyType,
				RollingUpdate: &appsv1.RollingUpdateDaemonSet{MaxUnavailable: &maxUnavailable, MaxSurge: &maxSurge}},
			RevisionHistoryLimit: ptr.To[int32](10),
		}}
	}
	check(t, nil, ValidateDaemonSet(valid()))

	ds := valid()
	ds.Spec.UpdateStrategy.RollingUpdate.MaxSurge = ptr.To(intstr.FromInt32(1))
	check(t, []string{`spec.updateStrategy.rollingUpdate.maxSurge: Invalid value: 1: may not be set when maxUnavailable is non-zero`}, ValidateDaemonSet(ds))

	ds = valid()
	ds.Spec.Selector = nil
	check(t, []string{"spec.template.metadata.labels: Invalid value: {\"app\":\"web\"}: `selector` does not match template `labels`"}, ValidateDaemonSet(ds))
}

func TestValidateControllerRevision(t *testing.T) {
	cases := []struct {
		name string
		data []byte
		want []string
	}{
		{name: "object", data: []byte(`{"spec":{}}`)},
		{name: "missing", want: []string{`data: Required value: data is mandatory`}},
		{name: "not an object", data: []byte(`[1]`), want: []string{`data: Required value: data must be a valid JSON object`}},
		{name: "not JSON", data: []byte(`{`), want: []string{`data: Invalid value: "<value omitted>": error parsing data: unexpected end of JSON input`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cr := &appsv1.ControllerRevision{ObjectMeta: meta("web-abc"), Revision: 1, Data: runtime.RawExtension{Raw: tc.data}}
			check(t, tc.want, ValidateControllerRevision(cr))
		})
	}
}
