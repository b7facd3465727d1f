package runtime

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestIsShimOf(t *testing.T) {
	tests := []struct {
		name    string
		cmdline string
		want    bool
	}{
		{"runc shim of the namespace", "/usr/bin/containerd-shim-runc-v2\x00-namespace\x00kubeshim-e2e-1\x00-id\x00abc\x00-address\x00/run/containerd/containerd.sock\x00", true},
		{"double-dash flag", "containerd-shim-runc-v2\x00--namespace\x00kubeshim-e2e-1\x00", true},
		{"another namespace", "/usr/bin/containerd-shim-runc-v2\x00-namespace\x00kubeshim-e2e-2\x00-id\x00abc\x00", false},
		{"a prefix of the namespace is not it", "/usr/bin/containerd-shim-runc-v2\x00-namespace\x00kubeshim-e2e-10\x00", false},
		{"not a shim", "/usr/bin/sleep\x00-namespace\x00kubeshim-e2e-1\x00", false},
		{"flag without a value", "/usr/bin/containerd-shim-runc-v2\x00-namespace\x00", false},
		{"kernel thread", "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := isShimOf([]byte(tt.cmdline), "kubeshim-e2e-1"); got != tt.want {
				t.Errorf("isShimOf(%q) = %v, want %v", tt.cmdline, got, tt.want)
			}
		})
	}
}

func TestOrphanedShims(t *testing.T) {
	procfs := t.TempDir()
	for pid, cmdline := range map[string]string{
		"10":   "/usr/bin/containerd-shim-runc-v2\x00-namespace\x00ns1\x00-id\x00a\x00",
		"11":   "/usr/bin/containerd-shim-runc-v2\x00-namespace\x00ns2\x00-id\x00b\x00",
		"12":   "/usr/bin/containerd\x00",
		"self": "/usr/bin/containerd-shim-runc-v2\x00-namespace\x00ns1\x00",
		"13":   "/usr/bin/containerd-shim-runc-v2\x00-namespace\x00ns1\x00-id\x00c\x00",
	} {
		if err := os.MkdirAll(filepath.Join(procfs, pid), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(procfs, pid, "cmdline"), []byte(cmdline), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if diff := cmp.Diff([]int{10, 13}, orphanedShims(procfs, "ns1")); diff != "" {
		t.Errorf("shims of ns1 (-want +got):\n%s", diff)
	}
	if got := orphanedShims(filepath.Join(procfs, "missing"), "ns1"); got != nil {
		t.Errorf("shims in a missing procfs = %v, want none", got)
	}

	// What is left of ns1: its shims and its directory in one of two
	// runtime roots.
	root := t.TempDir()
	withNS, without := filepath.Join(root, "task"), filepath.Join(root, "runc")
	for _, d := range []string{filepath.Join(withNS, "ns1"), filepath.Join(without, "ns2")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	want := []string{"directory " + filepath.Join(withNS, "ns1"), "containerd shim 10", "containerd shim 13"}
	if diff := cmp.Diff(want, namespaceLeftovers([]string{withNS, without}, procfs, "ns1")); diff != "" {
		t.Errorf("leftovers of ns1 (-want +got):\n%s", diff)
	}
	if got := namespaceLeftovers([]string{withNS, without}, procfs, "ns3"); got != nil {
		t.Errorf("leftovers of ns3 = %v, want none", got)
	}
}

func TestRemoveNamespaceDirs(t *testing.T) {
	root := t.TempDir()
	empty, busy, missing := filepath.Join(root, "task-root"), filepath.Join(root, "task-state"), filepath.Join(root, "runc")
	for _, d := range []string{filepath.Join(empty, "ns"), filepath.Join(busy, "ns", "container"), filepath.Join(empty, "other")} {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	err := removeNamespaceDirs([]string{empty, busy, missing}, "ns")
	if err == nil {
		t.Error("removeNamespaceDirs of a directory with a container left: no error, want one")
	}
	if _, err := os.Stat(filepath.Join(empty, "ns")); !os.IsNotExist(err) {
		t.Errorf("the empty namespace directory is still there (%v)", err)
	}
	for _, keep := range []string{filepath.Join(busy, "ns", "container"), filepath.Join(empty, "other")} {
		if _, err := os.Stat(keep); err != nil {
			t.Errorf("%s was removed: %v", keep, err)
		}
	}
}
