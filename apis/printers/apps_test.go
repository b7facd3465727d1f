package printers

import (
	"testing"
	"time"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
)

func apps(resource string) schema.GroupResource {
	return schema.GroupResource{Group: "apps", Resource: resource}
}

var webTemplate = corev1.PodTemplateSpec{Spec: corev1.PodSpec{
	Containers:   []corev1.Container{{Name: "app", Image: "nginx:1.27"}},
	NodeSelector: map[string]string{"kubernetes.io/os": "linux"},
}}

var webSelector = &metav1.LabelSelector{MatchLabels: map[string]string{"app": "web"}}

func TestDeployments(t *testing.T) {
	testRows(t, apps("deployments"),
		[]string{"Name", "Ready", "Up-to-date", "Available", "Age", "Containers (wide)", "Images (wide)", "Selector (wide)"},
		[]rowCase{
			{
				name: "rolling out",
				obj: &appsv1.Deployment{ObjectMeta: objectMeta("web"),
					Spec:   appsv1.DeploymentSpec{Replicas: ptr.To[int32](3), Selector: webSelector, Template: webTemplate},
					Status: appsv1.DeploymentStatus{ReadyReplicas: 2, UpdatedReplicas: 1, AvailableReplicas: 2}},
				row: []any{"web", "2/3", int64(1), int64(2), "3h", "app", "nginx:1.27", "app=web"},
			},
			{
				name: "no selector",
				obj:  &appsv1.Deployment{ObjectMeta: objectMeta("web")},
				row:  []any{"web", "0/0", int64(0), int64(0), "3h", "", "", ""},
			},
			{
				name: "invalid selector",
				obj: &appsv1.Deployment{ObjectMeta: objectMeta("web"), Spec: appsv1.DeploymentSpec{
					Selector: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{Key: "app", Operator: "Near"}}}}},
				row: []any{"web", "0/0", int64(0), int64(0), "3h", "", "", "<invalid>"},
			},
		})
}

func TestAppsResources(t *testing.T) {
	tests := []struct {
		resource string
		columns  []string
		cases    []rowCase
	}{
		{
			resource: "replicasets",
			columns:  []string{"Name", "Desired", "Current", "Ready", "Age", "Containers (wide)", "Images (wide)", "Selector (wide)"},
			cases: []rowCase{
				{
					name: "scaled",
					obj: &appsv1.ReplicaSet{ObjectMeta: objectMeta("web-5d4f"),
						Spec:   appsv1.ReplicaSetSpec{Replicas: ptr.To[int32](2), Selector: webSelector, Template: webTemplate},
						Status: appsv1.ReplicaSetStatus{Replicas: 2, ReadyReplicas: 1}},
					row: []any{"web-5d4f", int64(2), int64(2), int64(1), "3h", "app", "nginx:1.27", "app=web"},
				},
				{
					name: "no selector",
					obj:  &appsv1.ReplicaSet{ObjectMeta: objectMeta("web-5d4f")},
					row:  []any{"web-5d4f", int64(0), int64(0), int64(0), "3h", "", "", "<none>"},
				},
			},
		},
		{
			resource: "statefulsets",
			columns:  []string{"Name", "Ready", "Age", "Containers (wide)", "Images (wide)"},
			cases: []rowCase{{
				name: "scaled",
				obj: &appsv1.StatefulSet{ObjectMeta: objectMeta("db"),
					Spec:   appsv1.StatefulSetSpec{Replicas: ptr.To[int32](3), Template: webTemplate},
					Status: appsv1.StatefulSetStatus{ReadyReplicas: 3}},
				row: []any{"db", "3/3", "3h", "app", "nginx:1.27"},
			}},
		},
		{
			resource: "daemonsets",
			columns: []string{"Name", "Desired", "Current", "Ready", "Up-to-date", "Available", "Node Selector", "Age",
				"Containers (wide)", "Images (wide)", "Selector (wide)"},
			cases: []rowCase{{
				name: "on every linux node",
				obj: &appsv1.DaemonSet{ObjectMeta: objectMeta("proxy"),
					Spec: appsv1.DaemonSetSpec{Selector: webSelector, Template: webTemplate},
					Status: appsv1.DaemonSetStatus{DesiredNumberScheduled: 3, CurrentNumberScheduled: 3, NumberReady: 2,
						UpdatedNumberScheduled: 1, NumberAvailable: 2}},
				row: []any{"proxy", int64(3), int64(3), int64(2), int64(1), int64(2), "kubernetes.io/os=linux", "3h",
					"app", "nginx:1.27", "app=web"},
			}},
		},
		{
			resource: "controllerrevisions",
			columns:  []string{"Name", "Controller", "Revision", "Age"},
			cases: []rowCase{
				{
					name: "of a daemon set",
					obj: &appsv1.ControllerRevision{Revision: 4, ObjectMeta: metav1.ObjectMeta{
						Name: "proxy-7c9", CreationTimestamp: ago(2 * time.Minute),
						OwnerReferences: []metav1.OwnerReference{
							{APIVersion: "v1", Kind: "ConfigMap", Name: "other"},
							{APIVersion: "apps/v1", Kind: "DaemonSet", Name: "proxy", Controller: ptr.To(true)},
						}}},
					row: []any{"proxy-7c9", "daemonset.apps/proxy", int64(4), "2m"},
				},
				{
					name: "of a core kind",
					obj: &appsv1.ControllerRevision{Revision: 1, ObjectMeta: metav1.ObjectMeta{
						Name: "r", CreationTimestamp: ago(time.Hour),
						OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Pod", Name: "p", Controller: ptr.To(true)}}}},
					row: []any{"r", "pod/p", int64(1), "60m"},
				},
				{
					name: "without a controller",
					obj:  &appsv1.ControllerRevision{ObjectMeta: objectMeta("orphan")},
					row:  []any{"orphan", "<none>", int64(0), "3h"},
				},
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.resource, func(t *testing.T) {
			testRows(t, apps(tc.resource), tc.columns, tc.cases)
		})
	}
}
