package printers

import (
	"fmt"
	"strings"

	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/ptr"
)

var deployments = printer[*appsv1.Deployment]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("Ready", "Number of the pod with ready state"),
		text("Up-to-date", appsv1.DeploymentStatus{}.SwaggerDoc()["updatedReplicas"]),
		text("Available", appsv1.DeploymentStatus{}.SwaggerDoc()["availableReplicas"]),
		ageColumn,
		containersColumn,
		imagesColumn,
		wide(text("Selector", appsv1.DeploymentSpec{}.SwaggerDoc()["selector"])),
	},
	cells: func(c clock, d *appsv1.Deployment) []any {
		names, images := containerCells(d.Spec.Template.Spec.Containers)
		// Unlike the other workloads, upstream prints a deployment's
		// selector without FormatLabelSelector: no selector is "", not
		// "<none>".
		selector := "<invalid>"
		if s, err := metav1.LabelSelectorAsSelector(d.Spec.Selector); err == nil {
			selector = s.String()
		}
		return []any{d.Name, fmt.Sprintf("%d/%d", d.Status.ReadyReplicas, ptr.Deref(d.Spec.Replicas, 0)),
			int64(d.Status.UpdatedReplicas), int64(d.Status.AvailableReplicas), c.since(d.CreationTimestamp),
			names, images, selector}
	},
}

var replicaSets = printer[*appsv1.ReplicaSet]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		integer("Desired", appsv1.ReplicaSetSpec{}.SwaggerDoc()["replicas"]),
		integer("Current", appsv1.ReplicaSetStatus{}.SwaggerDoc()["replicas"]),
		integer("Ready", appsv1.ReplicaSetStatus{}.SwaggerDoc()["readyReplicas"]),
		ageColumn,
		containersColumn,
		imagesColumn,
		wide(text("Selector", appsv1.ReplicaSetSpec{}.SwaggerDoc()["selector"])),
	},
	cells: func(c clock, rs *appsv1.ReplicaSet) []any {
		names, images := containerCells(rs.Spec.Template.Spec.Containers)
		return []any{rs.Name, int64(ptr.Deref(rs.Spec.Replicas, 0)), int64(rs.Status.Replicas), int64(rs.Status.ReadyReplicas),
			c.since(rs.CreationTimestamp), names, images, metav1.FormatLabelSelector(rs.Spec.Selector)}
	},
}

var statefulSets = printer[*appsv1.StatefulSet]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("Ready", "Number of the pod with ready state"),
		ageColumn,
		containersColumn,
		imagesColumn,
	},
	cells: func(c clock, ss *appsv1.StatefulSet) []any {
		names, images := containerCells(ss.Spec.Template.Spec.Containers)
		return []any{ss.Name, fmt.Sprintf("%d/%d", ss.Status.ReadyReplicas, ptr.Deref(ss.Spec.Replicas, 0)),
			c.since(ss.CreationTimestamp), names, images}
	},
}

var daemonSets = printer[*appsv1.DaemonSet]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		integer("Desired", appsv1.DaemonSetStatus{}.SwaggerDoc()["desiredNumberScheduled"]),
		integer("Current", appsv1.DaemonSetStatus{}.SwaggerDoc()["currentNumberScheduled"]),
		integer("Ready", appsv1.DaemonSetStatus{}.SwaggerDoc()["numberReady"]),
		integer("Up-to-date", appsv1.DaemonSetStatus{}.SwaggerDoc()["updatedNumberScheduled"]),
		integer("Available", appsv1.DaemonSetStatus{}.SwaggerDoc()["numberAvailable"]),
		text("Node Selector", corev1.PodSpec{}.SwaggerDoc()["nodeSelector"]),
		ageColumn,
		containersColumn,
		imagesColumn,
		wide(text("Selector", appsv1.DaemonSetSpec{}.SwaggerDoc()["selector"])),
	},
	cells: func(c clock, ds *appsv1.DaemonSet) []any {
		s := ds.Status
		names, images := containerCells(ds.Spec.Template.Spec.Containers)
		return []any{ds.Name, int64(s.DesiredNumberScheduled), int64(s.CurrentNumberScheduled), int64(s.NumberReady),
			int64(s.UpdatedNumberScheduled), int64(s.NumberAvailable), labels.FormatLabels(ds.Spec.Template.Spec.NodeSelector),
			c.since(ds.CreationTimestamp), names, images, metav1.FormatLabelSelector(ds.Spec.Selector)}
	},
}

var controllerRevisions = printer[*appsv1.ControllerRevision]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("Controller", "Controller of the object"),
		text("Revision", appsv1.ControllerRevision{}.SwaggerDoc()["revision"]),
		ageColumn,
	},
	cells: func(c clock, cr *appsv1.ControllerRevision) []any {
		return []any{cr.Name, controllerOf(cr), cr.Revision, c.since(cr.CreationTimestamp)}
	},
}

// controllerOf names an object's controller as kind.group/name
// ("daemonset.apps/fluentd").
func controllerOf(obj metav1.Object) string {
	ref := metav1.GetControllerOf(obj)
	if ref == nil {
		return "<none>"
	}
	gv, err := schema.ParseGroupVersion(ref.APIVersion)
	if err != nil {
		// Upstream fails the whole table here; one bad reference should
		// not hide every other revision.
		return ref.Name
	}
	gk := gv.WithKind(ref.Kind).GroupKind()
	if gk.Empty() {
		return ref.Name
	}
	return strings.ToLower(gk.String()) + "/" + ref.Name
}
