package printers

import (
	"strings"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	storageapi "github.com/kubeshim/kubeshim/apis/storage"
)

var storageClasses = printer[*storagev1.StorageClass]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("Provisioner", storagev1.StorageClass{}.SwaggerDoc()["provisioner"]),
		text("ReclaimPolicy", storagev1.StorageClass{}.SwaggerDoc()["reclaimPolicy"]),
		text("VolumeBindingMode", storagev1.StorageClass{}.SwaggerDoc()["volumeBindingMode"]),
		text("AllowVolumeExpansion", storagev1.StorageClass{}.SwaggerDoc()["allowVolumeExpansion"]),
		ageColumn,
	},
	// A single class is never marked default: only a list shows which of
	// the classes claiming to be default wins.
	cells: func(c clock, sc *storagev1.StorageClass) []any {
		return storageClassCells(c, sc, "")
	},
	listCells: func(items []*storagev1.StorageClass) func(clock, *storagev1.StorageClass) []any {
		def := defaultStorageClass(items)
		return func(c clock, sc *storagev1.StorageClass) []any {
			return storageClassCells(c, sc, def)
		}
	},
}

func storageClassCells(c clock, sc *storagev1.StorageClass, defaultClass string) []any {
	name := sc.Name
	if defaultClass != "" && name == defaultClass {
		name += " (default)"
	}
	reclaim := ptr.Deref(sc.ReclaimPolicy, corev1.PersistentVolumeReclaimDelete)
	binding := ptr.Deref(sc.VolumeBindingMode, storagev1.VolumeBindingImmediate)
	return []any{name, sc.Provisioner, string(reclaim), string(binding), ptr.Deref(sc.AllowVolumeExpansion, false),
		c.since(sc.CreationTimestamp)}
}

// defaultStorageClass is the class a claim without one gets, as the
// DefaultStorageClass admission plugin picks it.
func defaultStorageClass(items []*storagev1.StorageClass) string {
	if def := storageapi.DefaultClass(items); def != nil {
		return def.Name
	}
	return ""
}

var csiDrivers = printer[*storagev1.CSIDriver]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		boolean("AttachRequired", storagev1.CSIDriverSpec{}.SwaggerDoc()["attachRequired"]),
		boolean("PodInfoOnMount", storagev1.CSIDriverSpec{}.SwaggerDoc()["podInfoOnMount"]),
		boolean("StorageCapacity", storagev1.CSIDriverSpec{}.SwaggerDoc()["storageCapacity"]),
		text("TokenRequests", storagev1.CSIDriverSpec{}.SwaggerDoc()["tokenRequests"]),
		boolean("RequiresRepublish", storagev1.CSIDriverSpec{}.SwaggerDoc()["requiresRepublish"]),
		text("Modes", storagev1.CSIDriverSpec{}.SwaggerDoc()["volumeLifecycleModes"]),
		ageColumn,
	},
	cells: func(c clock, d *storagev1.CSIDriver) []any {
		tokens := "<unset>"
		if d.Spec.TokenRequests != nil {
			audiences := make([]string, len(d.Spec.TokenRequests))
			for i, t := range d.Spec.TokenRequests {
				audiences[i] = t.Audience
			}
			tokens = strings.Join(audiences, ",")
		}
		modes := make([]string, len(d.Spec.VolumeLifecycleModes))
		for i, m := range d.Spec.VolumeLifecycleModes {
			modes[i] = string(m)
		}
		return []any{d.Name, ptr.Deref(d.Spec.AttachRequired, true), ptr.Deref(d.Spec.PodInfoOnMount, false),
			ptr.Deref(d.Spec.StorageCapacity, false), tokens, ptr.Deref(d.Spec.RequiresRepublish, false),
			orNone(strings.Join(modes, ",")), c.since(d.CreationTimestamp)}
	},
}

var csiNodes = printer[*storagev1.CSINode]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		integer("Drivers", "Drivers indicates the number of CSI drivers registered on the node"),
		ageColumn,
	},
	cells: func(c clock, n *storagev1.CSINode) []any {
		return []any{n.Name, int64(len(n.Spec.Drivers)), c.since(n.CreationTimestamp)}
	},
}

var volumeAttachments = printer[*storagev1.VolumeAttachment]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		// Format "name" as upstream declares it; harmless, as kubectl
		// --show-kind decorates only the first name column.
		{Name: "Attacher", Type: "string", Format: "name", Description: storagev1.VolumeAttachmentSpec{}.SwaggerDoc()["attacher"]},
		text("PV", storagev1.VolumeAttachmentSource{}.SwaggerDoc()["persistentVolumeName"]),
		text("Node", storagev1.VolumeAttachmentSpec{}.SwaggerDoc()["nodeName"]),
		boolean("Attached", storagev1.VolumeAttachmentStatus{}.SwaggerDoc()["attached"]),
		ageColumn,
	},
	cells: func(c clock, va *storagev1.VolumeAttachment) []any {
		return []any{va.Name, va.Spec.Attacher, ptr.Deref(va.Spec.Source.PersistentVolumeName, ""), va.Spec.NodeName,
			va.Status.Attached, c.since(va.CreationTimestamp)}
	},
}

var volumeAttributesClasses = printer[*storagev1.VolumeAttributesClass]{
	header: []metav1.TableColumnDefinition{
		nameColumn,
		text("DriverName", storagev1.VolumeAttributesClass{}.SwaggerDoc()["driverName"]),
		ageColumn,
	},
	cells: func(c clock, vac *storagev1.VolumeAttributesClass) []any {
		return []any{vac.Name, vac.DriverName, c.since(vac.CreationTimestamp)}
	},
}
