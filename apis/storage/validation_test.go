package storage

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"
)

// Expected errors are written as the API reports them.
func wantErrors(t *testing.T, want []string, got field.ErrorList) {
	t.Helper()
	var gotStrings []string
	for _, e := range got {
		gotStrings = append(gotStrings, e.Error())
	}
	if diff := cmp.Diff(want, gotStrings); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}

func validStorageClass() *storagev1.StorageClass {
	return &storagev1.StorageClass{
		ObjectMeta:        metav1.ObjectMeta{Name: "fast", ResourceVersion: "1"},
		Provisioner:       "ebs.csi.aws.com",
		Parameters:        map[string]string{"type": "gp3"},
		ReclaimPolicy:     ptr.To(corev1.PersistentVolumeReclaimDelete),
		VolumeBindingMode: ptr.To(storagev1.VolumeBindingWaitForFirstConsumer),
		AllowedTopologies: []corev1.TopologySelectorTerm{{MatchLabelExpressions: []corev1.TopologySelectorLabelRequirement{{Key: "topology.kubernetes.io/zone", Values: []string{"a"}}}}},
	}
}

func TestValidateStorageClass(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*storagev1.StorageClass)
		want   []string
	}{
		{name: "valid", mutate: func(*storagev1.StorageClass) {}},
		{
			name: "provisioner, reclaim policy and binding mode",
			mutate: func(sc *storagev1.StorageClass) {
				sc.Provisioner = ""
				sc.ReclaimPolicy = ptr.To(corev1.PersistentVolumeReclaimRecycle)
				sc.VolumeBindingMode = nil
			},
			want: []string{
				`provisioner: Required value`,
				`reclaimPolicy: Unsupported value: "Recycle": supported values: "Delete", "Retain"`,
				`volumeBindingMode: Required value`,
			},
		},
		{
			name: "topology without values, duplicate term",
			mutate: func(sc *storagev1.StorageClass) {
				sc.AllowedTopologies = append(sc.AllowedTopologies, sc.AllowedTopologies[0],
					corev1.TopologySelectorTerm{MatchLabelExpressions: []corev1.TopologySelectorLabelRequirement{{Key: "zone"}}})
			},
			want: []string{
				`allowedTopologies[1].matchLabelExpressions: Duplicate value: ""`,
				`allowedTopologies[2].matchLabelExpressions[0].values: Required value`,
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sc := validStorageClass()
			tc.mutate(sc)
			wantErrors(t, tc.want, ValidateStorageClass(sc))
		})
	}

	t.Run("parameters are immutable", func(t *testing.T) {
		old, sc := validStorageClass(), validStorageClass()
		sc.Parameters["type"] = "io2"
		wantErrors(t, []string{`parameters: Invalid value: {"type":"io2"}: field is immutable`}, ValidateStorageClassUpdate(sc, old))
	})
}

func TestValidateCSIDriver(t *testing.T) {
	valid := &storagev1.CSIDriver{ObjectMeta: metav1.ObjectMeta{Name: "ebs.csi.aws.com", ResourceVersion: "1"}, Spec: storagev1.CSIDriverSpec{
		AttachRequired: ptr.To(true), PodInfoOnMount: ptr.To(false), StorageCapacity: ptr.To(false), SELinuxMount: ptr.To(false),
		PreventPodSchedulingIfMissing: ptr.To(false), FSGroupPolicy: ptr.To(storagev1.ReadWriteOnceWithFSTypeFSGroupPolicy),
		VolumeLifecycleModes: []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecyclePersistent},
	}}
	wantErrors(t, nil, ValidateCSIDriver(valid))

	bad := valid.DeepCopy()
	bad.Spec.AttachRequired = nil
	bad.Spec.TokenRequests = []storagev1.TokenRequest{{Audience: "a", ExpirationSeconds: ptr.To[int64](60)}, {Audience: "a"}}
	wantErrors(t, []string{
		`spec.attachedRequired: Required value`,
		`spec.tokenRequests[0].expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes`,
		`spec.tokenRequests[1].audience: Duplicate value: "a"`,
	}, ValidateCSIDriver(bad))

	changed := valid.DeepCopy()
	changed.Spec.AttachRequired = ptr.To(false)
	wantErrors(t, []string{`spec.attachedRequired: Invalid value: false: field is immutable`}, ValidateCSIDriverUpdate(changed, valid))
}

func TestValidateCSINode(t *testing.T) {
	valid := &storagev1.CSINode{ObjectMeta: metav1.ObjectMeta{Name: "node-1", ResourceVersion: "1"}, Spec: storagev1.CSINodeSpec{Drivers: []storagev1.CSINodeDriver{
		{Name: "ebs.csi.aws.com", NodeID: "i-123", TopologyKeys: []string{"topology.ebs.csi.aws.com/zone"}},
	}}}
	wantErrors(t, nil, ValidateCSINode(valid))

	bad := valid.DeepCopy()
	bad.Spec.Drivers = append(bad.Spec.Drivers, storagev1.CSINodeDriver{Name: "ebs.csi.aws.com"})
	wantErrors(t, []string{
		`spec.drivers[1].nodeID: Required value`,
		`spec.drivers[1].name: Duplicate value: "ebs.csi.aws.com"`,
	}, ValidateCSINode(bad))

	changed := valid.DeepCopy()
	changed.Spec.Drivers[0].NodeID = "i-456"
	errs := ValidateCSINodeUpdate(changed, valid)
	if len(errs) != 1 || errs[0].Field != "spec.drivers" || errs[0].Type != field.ErrorTypeInvalid {
		t.Errorf("want the driver to be immutable, got %v", errs)
	}
}

func TestValidateVolumeAttachment(t *testing.T) {
	valid := func() *storagev1.VolumeAttachment {
		return &storagev1.VolumeAttachment{ObjectMeta: metav1.ObjectMeta{Name: "csi-abc", ResourceVersion: "1"}, Spec: storagev1.VolumeAttachmentSpec{
			Attacher: "ebs.csi.aws.com", NodeName: "node-1", Source: storagev1.VolumeAttachmentSource{PersistentVolumeName: ptr.To("pv-1")},
		}}
	}
	wantErrors(t, nil, ValidateVolumeAttachment(valid()))

	bad := valid()
	bad.Spec.Attacher = ""
	bad.Spec.Source = storagev1.VolumeAttachmentSource{}
	bad.Status.AttachError = &storagev1.VolumeError{ErrorCode: ptr.To[int32](-1)}
	wantErrors(t, []string{
		`spec.attacher: Required value`,
		`spec.source: Required value: must specify exactly one of inlineVolumeSpec and persistentVolumeName`,
		`status.attachError.errorCode: Invalid value: -1: must be between 0 and 2147483647, inclusive`,
	}, ValidateVolumeAttachment(bad))

	inline := valid()
	inline.Spec.Source = storagev1.VolumeAttachmentSource{InlineVolumeSpec: &corev1.PersistentVolumeSpec{
		AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
		StorageClassName: "fast",
	}}
	wantErrors(t, []string{
		`spec.source.inlineVolumeSpec.csi: Required value: has to be specified in the context of inline volumes`,
		`spec.source.inlineVolumeSpec: Required value: must specify a volume type`,
		`spec.source.inlineVolumeSpec.storageClassName: Forbidden: may not be specified in the context of inline volumes`,
	}, ValidateVolumeAttachment(inline))

	moved := valid()
	moved.Spec.NodeName = "node-2"
	errs := ValidateVolumeAttachmentUpdate(moved, valid())
	if len(errs) != 1 || errs[0].Field != "spec" {
		t.Errorf("want the spec to be immutable, got %v", errs)
	}
}
