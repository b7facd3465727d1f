package oci

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestRootfsAdd(t *testing.T) {
	hostFile := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(hostFile, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	type add func(r *Rootfs) error
	file := func(p string) add { return func(r *Rootfs) error { return r.AddFile(p, hostFile, 0) } }
	dir := func(p string, m fs.FileMode) add { return func(r *Rootfs) error { return r.AddDir(p, m) } }
	link := func(p, target string) add { return func(r *Rootfs) error { return r.AddSymlink(p, target) } }
	data := func(p, d string) add { return func(r *Rootfs) error { return r.AddData(p, []byte(d), 0o644) } }

	tests := []struct {
		name      string
		adds      []add
		wantPaths []string
		wantErr   string
	}{
		{
			name:      "parents are made",
			adds:      []add{file("/a/b/c")},
			wantPaths: []string{"/a", "/a/b", "/a/b/c"},
		},
		{
			name:      "an explicit directory replaces a made one",
			adds:      []add{file("/a/b"), dir("/a", 0o700)},
			wantPaths: []string{"/a", "/a/b"},
		},
		{
			name:      "the same file twice is no conflict",
			adds:      []add{file("/a"), file("/a/../a")},
			wantPaths: []string{"/a"},
		},
		{
			name:    "a file where a file was",
			adds:    []add{file("/a"), data("/a", "y")},
			wantErr: "add /a: conflicts with the file added before",
		},
		{
			name:    "a directory with another mode",
			adds:    []add{dir("/a", 0o755), dir("/a", 0o700)},
			wantErr: "conflicts with the directory added before",
		},
		{
			name:    "a file where a made directory is",
			adds:    []add{file("/a/b"), file("/a")},
			wantErr: "conflicts with the directory added before",
		},
		{
			name:    "below a symlink",
			adds:    []add{link("/lib", "usr/lib"), file("/lib/x")},
			wantErr: "add /lib/x: parent /lib is a symlink",
		},
		{
			name:    "relative path",
			adds:    []add{file("a")},
			wantErr: `path "a" is not absolute`,
		},
		{
			name:    "root",
			adds:    []add{dir("/", 0o755)},
			wantErr: "names the root directory",
		},
		{
			name:    "empty symlink",
			adds:    []add{link("/a", "")},
			wantErr: "empty target",
		},
		{
			name:    "missing host file",
			adds:    []add{func(r *Rootfs) error { return r.AddFile("/a", hostFile+"-missing", 0) }},
			wantErr: "no such file",
		},
		{
			name:    "host directory as a file",
			adds:    []add{func(r *Rootfs) error { return r.AddFile("/a", filepath.Dir(hostFile), 0) }},
			wantErr: "is not a regular file",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := NewRootfs()
			var err error
			for _, a := range tc.adds {
				if err = a(r); err != nil {
					break
				}
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("want an error containing %q, got %v", tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.wantPaths, r.Paths()); diff != "" {
				t.Errorf("paths (-want +got):\n%s", diff)
			}
		})
	}
}

func TestFileMode(t *testing.T) {
	tests := []struct {
		unix uint32
		want fs.FileMode
	}{
		{0o755, 0o755},
		{0o1777, 0o777 | fs.ModeSticky},
		{0o4755, 0o755 | fs.ModeSetuid},
		{0o2711, 0o711 | fs.ModeSetgid},
	}
	for _, tc := range tests {
		t.Run(tc.want.String(), func(t *testing.T) {
			got := fileMode(tc.unix)
			if got != tc.want {
				t.Errorf("fileMode(%o) = %v, want %v", tc.unix, got, tc.want)
			}
			if back := unixMode(got); back != int64(tc.unix) {
				t.Errorf("unixMode(%v) = %o, want %o", got, back, tc.unix)
			}
		})
	}
}
