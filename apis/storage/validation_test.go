package storage

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	storagev1 "k8s.io/api/storage/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/utils/ptr"

	"github.com/kubeshim/kubeshim/apis/internal/fielderrors"
)

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
			fielderrors.Want(t, tc.want, ValidateStorageClass(sc))
		})
	}

	t.Run("parameters are immutable", func(t *testing.T) {
		old, sc := validStorageClass(), validStorageClass()
		sc.Parameters["type"] = "io2"
		fielderrors.Want(t, []string{`parameters: Invalid value: {"type":"io2"}: field is immutable`}, ValidateStorageClassUpdate(sc, old))
	})
}

func TestValidateCSIDriver(t *testing.T) {
	valid := &storagev1.CSIDriver{ObjectMeta: metav1.ObjectMeta{Name: "ebs.csi.aws.com", ResourceVersion: "1"}, Spec: storagev1.CSIDriverSpec{
		AttachRequired: ptr.To(true), PodInfoOnMount: ptr.To(false), StorageCapacity: ptr.To(false), SELinuxMount: ptr.To(false),
		PreventPodSchedulingIfMissing: ptr.To(false), FSGroupPolicy: ptr.To(storagev1.ReadWriteOnceWithFSTypeFSGroupPolicy),
		VolumeLifecycleModes: []storagev1.VolumeLifecycleMode{storagev1.VolumeLifecyclePersistent},
	}}
	fielderrors.Want(t, nil, ValidateCSIDriver(valid))

	bad := valid.DeepCopy()
	bad.Spec.AttachRequired = nil
	bad.Spec.TokenRequests = []storagev1.TokenRequest{{Audience: "a", ExpirationSeconds: ptr.To[int64](60)}, {Audience: "a"}}
	fielderrors.Want(t, []string{
		`spec.attachedRequired: Required value`,
		`spec.tokenRequests[0].expirationSeconds: Invalid value: 60: may not specify a duration less than 10 minutes`,
		`spec.tokenRequests[1].audience: Duplicate value: "a"`,
	}, ValidateCSIDriver(bad))

	changed := valid.DeepCopy()
	changed.Spec.AttachRequired = ptr.To(false)
	fielderrors.Want(t, []string{`spec.attachedRequired: Invalid value: false: field is immutable`}, ValidateCSIDriverUpdate(changed, valid))
}

func TestValidateCSINode(t *testing.T) {
	valid := &storagev1.CSINode{ObjectMeta: metav1.ObjectMeta{Name: "node-1", ResourceVersion: "1"}, Spec: storagev1.CSINodeSpec{Drivers: []storagev1.CSINodeDriver{
		{Name: "ebs.csi.aws.com", NodeID: "i-123", TopologyKeys: []string{"topology.ebs.csi.aws.com/zone"}},
	}}}
	fielderrors.Want(t, nil, ValidateCSINode(valid))

	bad := valid.DeepCopy()
	bad.Spec.Drivers = append(bad.Spec.Drivers, storagev1.CSINodeDriver{Name: "ebs.csi.aws.com"})
	fielderrors.Want(t, []string{
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
	fielderrors.Want(t, nil, ValidateVolumeAttachment(valid()))

	bad := valid()
	bad.Spec.Attacher = ""
	bad.Spec.Source = storagev1.VolumeAttachmentSource{}
	bad.Status.AttachError = &storagev1.VolumeError{ErrorCode: ptr.To[int32](-1)}
	fielderrors.Want(t, []string{
		`spec.attacher: Required value`,
		`spec.source: Required value: must specify exactly one of inlineVolumeSpec and persistentVolumeName`,
		`status.attachError.errorCode: Invalid value: -1: must be between 0 and 2147483647, inclusive`,
	}, ValidateVolumeAttachment(bad))

	inline := valid()
	inline.Spec.Source = storagev1.VolumeAttachmentSource{InlineVolumeSpec: &corev1.PersistentVolumeSpec{
		AccessModes:      []corev1.PersistentVolumeAccessMode{corev1.ReadWriteOnce},
		StorageClassName: "fast",
	}}
	fielderrors.Want(t, []string{
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

func validCSIStorageCapacity() *storagev1.CSIStorageCapacity {
	return &storagev1.CSIStorageCapacity{
		ObjectMeta:       metav1.ObjectMeta{Name: "csisc-abc", Namespace: "kube-system", ResourceVersion: "1"},
		StorageClassName: "fast",
		NodeTopology: &metav1.LabelSelector{MatchExpressions: []metav1.LabelSelectorRequirement{{
			Key: "topology.kubernetes.io/zone", Operator: metav1.LabelSelectorOpIn, Values: []string{"a"},
		}}},
		Capacity:          ptr.To(resource.MustParse("10Gi")),
		MaximumVolumeSize: ptr.To(resource.MustParse("1Gi")),
	}
}

func TestValidateCSIStorageCapacity(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*storagev1.CSIStorageCapacity)
		want   []string
	}{
		{name: "valid", mutate: func(*storagev1.CSIStorageCapacity) {}},
		{
			name: "no topology, capacities unset",
			mutate: func(c *storagev1.CSIStorageCapacity) {
				c.NodeTopology, c.Capacity, c.MaximumVolumeSize = nil, nil, nil
			},
		},
		{
			name:   "zero capacity",
			mutate: func(c *storagev1.CSIStorageCapacity) { c.Capacity = ptr.To(resource.MustParse("0")) },
		},
		{
			name:   "missing class is an invalid name",
			mutate: func(c *storagev1.CSIStorageCapacity) { c.StorageClassName = "" },
			want: []string{
				`storageClassName: Invalid value: "": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
			},
		},
		{
			name: "bad name, class and topology",
			mutate: func(c *storagev1.CSIStorageCapacity) {
				c.Name = "Capacity"
				c.StorageClassName = "Fast"
				c.NodeTopology.MatchExpressions[0].Operator = metav1.LabelSelectorOpExists
			},
			want: []string{
				`metadata.name: Invalid value: "Capacity": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
				`nodeTopology.matchExpressions[0].values: Forbidden: may not be specified when ` + "`operator`" + ` is 'Exists' or 'DoesNotExist'`,
				`storageClassName: Invalid value: "Fast": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
			},
		},
		{
			name:   "invalid label value",
			mutate: func(c *storagev1.CSIStorageCapacity) { c.NodeTopology.MatchExpressions[0].Values = []string{"a b"} },
			want: []string{
				`nodeTopology.matchExpressions[0].values[0]: Invalid value: "a b": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
			},
		},
		{
			// maximumVolumeSize is not checked upstream.
			name: "negative capacities",
			mutate: func(c *storagev1.CSIStorageCapacity) {
				c.Capacity = ptr.To(resource.MustParse("-1Gi"))
				c.MaximumVolumeSize = ptr.To(resource.MustParse("-1Gi"))
			},
			want: []string{`capacity: Invalid value: "-1Gi": must be greater than or equal to 0`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := validCSIStorageCapacity()
			tc.mutate(c)
			fielderrors.Want(t, tc.want, ValidateCSIStorageCapacity(c))
		})
	}
}

func TestValidateCSIStorageCapacityUpdate(t *testing.T) {
	cases := []struct {
		name      string
		mutateOld func(*storagev1.CSIStorageCapacity)
		mutate    func(*storagev1.CSIStorageCapacity)
		want      []string
	}{
		{
			name: "capacities and labels may change",
			mutate: func(c *storagev1.CSIStorageCapacity) {
				c.Capacity = ptr.To(resource.MustParse("5Gi"))
				c.MaximumVolumeSize = nil
				c.Labels = map[string]string{"updated": "true"}
			},
		},
		{
			name: "topology and class are fixed",
			mutate: func(c *storagev1.CSIStorageCapacity) {
				c.NodeTopology = &metav1.LabelSelector{MatchLabels: map[string]string{"zone": "b"}}
				c.StorageClassName = "slow"
			},
			want: []string{
				`nodeTopology: Invalid value: {"matchLabels":{"zone":"b"}}: field is immutable`,
				`storageClassName: Invalid value: "slow": field is immutable`,
			},
		},
		{
			name:   "removing the topology",
			mutate: func(c *storagev1.CSIStorageCapacity) { c.NodeTopology = nil },
			want:   []string{`nodeTopology: Invalid value: null: field is immutable`},
		},
		{
			name:      "a stored invalid label value is tolerated",
			mutateOld: func(c *storagev1.CSIStorageCapacity) { c.NodeTopology.MatchExpressions[0].Values = []string{"a b"} },
			mutate: func(c *storagev1.CSIStorageCapacity) {
				c.NodeTopology.MatchExpressions[0].Values = []string{"a b"}
				c.Capacity = ptr.To(resource.MustParse("5Gi"))
			},
		},
		{
			name: "but not a new one",
			mutate: func(c *storagev1.CSIStorageCapacity) {
				c.NodeTopology.MatchExpressions[0].Values = []string{"a b"}
			},
			want: []string{
				`nodeTopology.matchExpressions[0].values[0]: Invalid value: "a b": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
				`nodeTopology: Invalid value: {"matchExpressions":[{"key":"topology.kubernetes.io/zone","operator":"In","values":["a b"]}]}: field is immutable`,
			},
		},
		{
			name:   "the new object is validated too",
			mutate: func(c *storagev1.CSIStorageCapacity) { c.Capacity = ptr.To(resource.MustParse("-1")) },
			want:   []string{`capacity: Invalid value: "-1": must be greater than or equal to 0`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			old := validCSIStorageCapacity()
			if tc.mutateOld != nil {
				tc.mutateOld(old)
			}
			c := old.DeepCopy()
			tc.mutate(c)
			fielderrors.Want(t, tc.want, ValidateCSIStorageCapacityUpdate(c, old))
		})
	}
}

func validVolumeAttributesClass() *storagev1.VolumeAttributesClass {
	return &storagev1.VolumeAttributesClass{
		ObjectMeta: metav1.ObjectMeta{Name: "gold", ResourceVersion: "1"},
		DriverName: "ebs.csi.aws.com",
		Parameters: map[string]string{"iops": "3000"},
	}
}

func TestValidateVolumeAttributesClass(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*storagev1.VolumeAttributesClass)
		want   []string
	}{
		{name: "valid", mutate: func(*storagev1.VolumeAttributesClass) {}},
		{
			name:   "a driver name is a qualified name, any case",
			mutate: func(vac *storagev1.VolumeAttributesClass) { vac.DriverName = "E2E-fake-csi-driver" },
		},
		{
			name: "no driver, no parameters",
			mutate: func(vac *storagev1.VolumeAttributesClass) {
				vac.DriverName = ""
				vac.Parameters = nil
			},
			want: []string{
				`driverName: Required value`,
				`parameters: Required value: must contain at least one key/value pair`,
			},
		},
		{
			name:   "bad driver name",
			mutate: func(vac *storagev1.VolumeAttributesClass) { vac.DriverName = "csi driver" },
			want: []string{
				`driverName: Invalid value: "csi driver": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')`,
			},
		},
		{
			name:   "empty parameter key",
			mutate: func(vac *storagev1.VolumeAttributesClass) { vac.Parameters = map[string]string{"": "x"} },
			want:   []string{`parameters: Invalid value: "": field can not be empty.`},
		},
		{
			name:   "bad name",
			mutate: func(vac *storagev1.VolumeAttributesClass) { vac.Name = "Gold" },
			want: []string{
				`metadata.name: Invalid value: "Gold": a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
			},
		},
		{
			name:   "unqualified finalizer",
			mutate: func(vac *storagev1.VolumeAttributesClass) { vac.Finalizers = []string{"vac-protection"} },
			want: []string{
				`metadata.finalizers[0]: Invalid value: "vac-protection": name is neither a standard finalizer name nor is it fully qualified`,
			},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vac := validVolumeAttributesClass()
			tc.mutate(vac)
			fielderrors.Want(t, tc.want, ValidateVolumeAttributesClass(vac))
		})
	}
}

func TestValidateVolumeAttributesClassUpdate(t *testing.T) {
	cases := []struct {
		name   string
		mutate func(*storagev1.VolumeAttributesClass)
		want   []string
	}{
		{
			name: "labels and finalizers may change",
			mutate: func(vac *storagev1.VolumeAttributesClass) {
				vac.Labels = map[string]string{"updated": "true"}
				vac.Finalizers = []string{"kubernetes.io/vac-protection"}
			},
		},
		{
			name: "driver and parameters are fixed",
			mutate: func(vac *storagev1.VolumeAttributesClass) {
				vac.DriverName = "pd.csi.storage.gke.io"
				vac.Parameters["throughput"] = "125"
			},
			want: []string{
				`driverName: Forbidden: updates to driverName are forbidden.`,
				`parameters: Forbidden: updates to parameters are forbidden.`,
			},
		},
		{
			name:   "emptying the parameters is an update and invalid",
			mutate: func(vac *storagev1.VolumeAttributesClass) { vac.Parameters = map[string]string{} },
			want: []string{
				`parameters: Forbidden: updates to parameters are forbidden.`,
				`parameters: Required value: must contain at least one key/value pair`,
			},
		},
		{
			name:   "name is fixed",
			mutate: func(vac *storagev1.VolumeAttributesClass) { vac.Name = "silver" },
			want:   []string{`metadata.name: Invalid value: "silver": field is immutable`},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			old := validVolumeAttributesClass()
			vac := old.DeepCopy()
			tc.mutate(vac)
			fielderrors.Want(t, tc.want, ValidateVolumeAttributesClassUpdate(vac, old))
		})
	}
}
