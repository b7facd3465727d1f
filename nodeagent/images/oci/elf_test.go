package oci

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// These tests read the binaries of this host, a Debian bookworm amd64 one;
// they skip on hosts without them.

func requireFile(t *testing.T, path string) {
	t.Helper()
	if _, err := os.Stat(path); err != nil {
		t.Skipf("needs %s: %v", path, err)
	}
}

func TestSharedLibraries(t *testing.T) {
	notELF := filepath.Join(t.TempDir(), "script")
	if err := os.WriteFile(notELF, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		binary   string
		dirs     []string
		want     []string
		wantErr  string
		requires string
	}{
		{
			name:   "dynamic binary",
			binary: "/bin/ls",
			want: []string{
				// libc.so.6 needs the loader by its soname, found in the
				// search directories, besides PT_INTERP's path.
				"/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2",
				"/lib/x86_64-linux-gnu/libc.so.6",
				"/lib/x86_64-linux-gnu/libpcre2-8.so.0",
				"/lib/x86_64-linux-gnu/libselinux.so.1",
				"/lib64/ld-linux-x86-64.so.2",
			},
		},
		{
			name:     "static binary",
			binary:   "/bin/busybox",
			requires: "busybox-static",
			want:     []string{},
		},
		{
			name:    "library not found",
			binary:  "/bin/ls",
			dirs:    []string{t.TempDir()},
			wantErr: "library libselinux.so.1 needed by /bin/ls: file does not exist",
		},
		{
			name:    "not an ELF file",
			binary:  notELF,
			wantErr: "read ELF binary " + notELF,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			requireFile(t, tc.binary)
			got, err := LibraryResolver{Dirs: tc.dirs}.SharedLibraries(tc.binary)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("want an error containing %q, got %v", tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("libraries (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSharedLibrariesLikeLdd checks binaries with deep dependency trees
// against the dynamic loader's own answer, by file name: ldd reports the
// paths of ld.so.cache, which may be the /usr twins of ours.
func TestSharedLibrariesLikeLdd(t *testing.T) {
	if _, err := exec.LookPath("ldd"); err != nil {
		t.Skip("needs ldd")
	}
	for _, binary := range []string{"/usr/bin/curl", "/usr/bin/ssh", "/usr/bin/git"} {
		t.Run(filepath.Base(binary), func(t *testing.T) {
			requireFile(t, binary)
			out, err := exec.Command("ldd", binary).Output()
			if err != nil {
				t.Fatalf("ldd %s: %v", binary, err)
			}
			want := map[string]bool{}
			for _, line := range strings.Split(string(out), "\n") {
				fields := strings.Fields(line)
				if len(fields) == 0 || strings.HasPrefix(fields[0], "linux-vdso") {
					continue
				}
				want[filepath.Base(fields[0])] = true
			}
			libs, err := SharedLibraries(binary)
			if err != nil {
				t.Fatal(err)
			}
			got := map[string]bool{}
			for _, lib := range libs {
				got[filepath.Base(lib)] = true
				if _, err := os.Stat(lib); err != nil {
					t.Errorf("returned library %s: %v", lib, err)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("libraries by name (-ldd +ours):\n%s", diff)
			}
		})
	}
}

func TestAddBinary(t *testing.T) {
	requireFile(t, "/bin/ls")
	r := NewRootfs()
	if err := r.AddBinary("/usr/local/bin/list", "/bin/ls"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/usr/local/bin/list", "/lib64/ld-linux-x86-64.so.2", "/lib/x86_64-linux-gnu/libc.so.6"} {
		if !r.Has(p) {
			t.Errorf("rootfs lacks %s; has %v", p, r.Paths())
		}
	}
	// A second binary sharing libraries adds them once without conflict.
	if err := r.AddBinary("/bin/ls", "/bin/ls"); err != nil {
		t.Errorf("second binary: %v", err)
	}
}
