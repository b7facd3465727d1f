package nodeagent

import (
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRemoveDataDir(t *testing.T) {
	tests := []struct {
		name          string
		files         []string
		deleteVolumes bool
		// want is what is left under the data dir; nil: the data dir is
		// gone.
		want []string
	}{
		{
			name:  "volumes kept",
			files: []string{"agent/pods/x", "etcd/member", "pki/ca.crt", "storage/pvc-1_ns_data/ordinal"},
			want:  []string{"storage", "storage/pvc-1_ns_data", "storage/pvc-1_ns_data/ordinal"},
		},
		{
			name:          "volumes deleted when asked",
			files:         []string{"agent/pods/x", "storage/pvc-1_ns_data/ordinal"},
			deleteVolumes: true,
		},
		{
			name:  "no volumes",
			files: []string{"agent/pods/x", "storage/"},
		},
		{
			name:  "never a volume",
			files: []string{"agent/pods/x"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			// A name ending in / is an empty directory.
			for _, f := range tt.files {
				p := filepath.Join(dir, f)
				if strings.HasSuffix(f, "/") {
					if err := os.MkdirAll(p, 0o755); err != nil {
						t.Fatal(err)
					}
					continue
				}
				if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if err := removeDataDir(context.Background(), dir, tt.deleteVolumes); err != nil {
				t.Fatal(err)
			}
			var left []string
			err := filepath.WalkDir(dir, func(p string, _ fs.DirEntry, err error) error {
				if err != nil {
					return err
				}
				if p != dir {
					rel, _ := filepath.Rel(dir, p)
					left = append(left, rel)
				}
				return nil
			})
			if tt.want == nil {
				if !os.IsNotExist(err) {
					t.Errorf("data dir left: %v (%v)", left, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, left); diff != "" {
				t.Errorf("left (-want +got):\n%s", diff)
			}
		})
	}
}
