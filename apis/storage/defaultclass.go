package storage

import (
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// The annotations that make a StorageClass a default one; the beta one is
// still honoured upstream.
const (
	IsDefaultClassAnnotation     = "storageclass.kubernetes.io/is-default-class"
	BetaIsDefaultClassAnnotation = "storageclass.beta.kubernetes.io/is-default-class"
)

// IsDefaultClass reports whether a class's metadata marks it as a default.
func IsDefaultClass(meta *metav1.ObjectMeta) bool {
	return meta.Annotations[IsDefaultClassAnnotation] == "true" || meta.Annotations[BetaIsDefaultClassAnnotation] == "true"
}

// DefaultClass is the class a claim without one gets, or nil: of the
// classes marked default, the newest, the first by name on a tie. The
// DefaultStorageClass admission plugin, the persistent volume controller
// and `kubectl get storageclass` all pick it this way (upstream 1.26+), so
// that a second default added while migrating between classes wins at once
// instead of making claims fail.
func DefaultClass(classes []*storagev1.StorageClass) *storagev1.StorageClass {
	var def *storagev1.StorageClass
	for _, sc := range classes {
		if !IsDefaultClass(&sc.ObjectMeta) {
			continue
		}
		switch {
		case def == nil,
			sc.CreationTimestamp.After(def.CreationTimestamp.Time),
			sc.CreationTimestamp.Equal(&def.CreationTimestamp) && sc.Name < def.Name:
			def = sc
		}
	}
	return def
}
