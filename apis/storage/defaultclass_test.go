package storage

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	storagev1 "k8s.io/api/storage/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

func TestDefaultClass(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	class := func(name string, created time.Time, annotations map[string]string) *storagev1.StorageClass {
		return &storagev1.StorageClass{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(created), Annotations: annotations}}
	}
	def := map[string]string{IsDefaultClassAnnotation: "true"}
	tests := []struct {
		name    string
		classes []*storagev1.StorageClass
		want    string
	}{{
		name:    "no classes",
		classes: nil,
		want:    "",
	}, {
		name:    "no default",
		classes: []*storagev1.StorageClass{class("a", t0, nil), class("b", t0, map[string]string{IsDefaultClassAnnotation: "false"})},
		want:    "",
	}, {
		name:    "the one default",
		classes: []*storagev1.StorageClass{class("a", t0, nil), class("b", t0, def)},
		want:    "b",
	}, {
		name:    "the beta annotation counts",
		classes: []*storagev1.StorageClass{class("a", t0, map[string]string{BetaIsDefaultClassAnnotation: "true"})},
		want:    "a",
	}, {
		name:    "the newest of several defaults",
		classes: []*storagev1.StorageClass{class("old", t0, def), class("new", t0.Add(time.Minute), def), class("older", t0.Add(-time.Minute), def)},
		want:    "new",
	}, {
		name:    "the first by name on a tie",
		classes: []*storagev1.StorageClass{class("zeta", t0, def), class("alpha", t0, def)},
		want:    "alpha",
	}}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := ""
			if c := DefaultClass(tc.classes); c != nil {
				got = c.Name
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("default class (-want +got):\n%s", diff)
			}
		})
	}
}
