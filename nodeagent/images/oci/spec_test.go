package oci

import (
	"bytes"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
)

func TestParseSpec(t *testing.T) {
	tests := []struct {
		name     string
		yaml     string
		wantMode []fs.FileMode
		wantErr  string
	}{
		{
			name:     "modes as octal strings and YAML numbers",
			yaml:     "names: [x]\ndirs:\n- {path: /tmp, mode: \"1777\"}\n- {path: /a, mode: 0700}\n- {path: /b}\n",
			wantMode: []fs.FileMode{0o777 | fs.ModeSticky, 0o700, 0},
		},
		{name: "no names", yaml: "dirs: []\n", wantErr: "at least one image name"},
		{name: "bad name", yaml: "names: ['UPPER']\n", wantErr: `image name "UPPER"`},
		{name: "unknown field", yaml: "names: [x]\nfiless: []\n", wantErr: `unknown field "filess"`},
		{name: "bad mode", yaml: "names: [x]\ndirs:\n- {path: /a, mode: \"0899\"}\n", wantErr: "not an octal mode"},
		{name: "mode too large", yaml: "names: [x]\ndirs:\n- {path: /a, mode: 99999}\n", wantErr: "up to 07777"},
		{name: "bad compression", yaml: "names: [x]\ncompression: zstd\n", wantErr: `compression "zstd"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseSpec([]byte(tc.yaml), "/")
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("want an error containing %q, got %v", tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var modes []fs.FileMode
			for _, d := range s.Dirs {
				var m fs.FileMode
				if d.Mode != nil {
					m = d.Mode.FileMode()
				}
				modes = append(modes, m)
			}
			if diff := cmp.Diff(tc.wantMode, modes); diff != "" {
				t.Errorf("modes (-want +got):\n%s", diff)
			}
		})
	}
}

func TestSpecImage(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "tool"), []byte("tool"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name       string
		yaml       string
		wantLayer  []tarEntry
		wantConfig ocispec.ImageConfig
		wantErr    string
		requires   string
	}{
		{
			name: "files, dirs, symlinks, config",
			yaml: `
names: [example.com/tool:1]
compression: none
dirs:
- {path: /tmp, mode: "1777"}
- {path: /home/u, uid: 1000, gid: 1000}
files:
- {path: /tool, source: tool}
- {path: /etc/motd, content: "hi\n"}
- {path: /etc/secret, content: "", mode: "0600"}
binaries:
- {path: /usr/bin/absent, source: /nonexistent/absent, optional: true}
symlinks:
- {path: /tool-2, target: tool}
config:
  entrypoint: [/tool]
  cmd: [serve]
  env: [A=b]
  workingDir: /tmp
  user: "1000"
  exposedPorts: ["80", 53/udp]
  stopSignal: SIGQUIT
`,
			wantLayer: []tarEntry{
				{Name: "etc/", Type: '5', Mode: 0o755, Epoch: true},
				{Name: "etc/motd", Type: '0', Mode: 0o644, Data: "hi\n", Epoch: true},
				{Name: "etc/secret", Type: '0', Mode: 0o600, Epoch: true},
				{Name: "home/", Type: '5', Mode: 0o755, Epoch: true},
				{Name: "home/u/", Type: '5', Mode: 0o755, UID: 1000, GID: 1000, Epoch: true},
				{Name: "tmp/", Type: '5', Mode: 0o1777, Epoch: true},
				{Name: "tool", Type: '0', Mode: 0o755, Data: "tool", Epoch: true},
				{Name: "tool-2", Type: '2', Mode: 0o777, Linkname: "tool", Epoch: true},
			},
			wantConfig: ocispec.ImageConfig{
				Entrypoint:   []string{"/tool"},
				Cmd:          []string{"serve"},
				Env:          []string{DefaultPath, "A=b"},
				WorkingDir:   "/tmp",
				User:         "1000",
				ExposedPorts: map[string]struct{}{"80/tcp": {}, "53/udp": {}},
				StopSignal:   "SIGQUIT",
			},
		},
		{
			name: "busybox applets listed; links are not made over other paths",
			yaml: `
names: [bb]
compression: none
busybox: {source: /bin/busybox, applets: [sh, ls, busybox, cat]}
files:
- {path: /bin/cat, content: "not busybox"}
config: {env: [PATH=/bin]}
`,
			wantLayer: []tarEntry{
				{Name: "bin/", Type: '5', Mode: 0o755, Epoch: true},
				{Name: "bin/busybox", Type: '0', Mode: 0o755, Data: "<busybox>", Epoch: true},
				{Name: "bin/cat", Type: '0', Mode: 0o644, Data: "not busybox", Epoch: true},
				{Name: "bin/ls", Type: '2', Mode: 0o777, Linkname: "/bin/busybox", Epoch: true},
				{Name: "bin/sh", Type: '2', Mode: 0o777, Linkname: "/bin/busybox", Epoch: true},
			},
			wantConfig: ocispec.ImageConfig{Env: []string{"PATH=/bin"}},
			requires:   "/bin/busybox",
		},
		{
			name:    "required binary missing",
			yaml:    "names: [x]\nbinaries:\n- {path: /nonexistent/absent}\n",
			wantErr: "binaries: add binary /nonexistent/absent",
		},
		{
			name:    "source and content",
			yaml:    "names: [x]\nfiles:\n- {path: /a, source: tool, content: x}\n",
			wantErr: "both source and content",
		},
		{
			name:    "neither source nor content",
			yaml:    "names: [x]\nfiles:\n- {path: /a}\n",
			wantErr: "neither source nor content",
		},
		{
			name:    "conflicting symlink",
			yaml:    "names: [x]\nfiles:\n- {path: /a, content: x}\nsymlinks:\n- {path: /a, target: b}\n",
			wantErr: "symlinks: add /a: conflicts with the file added before",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var busybox []byte
			if tc.requires != "" {
				requireFile(t, tc.requires)
				var err error
				if busybox, err = os.ReadFile(tc.requires); err != nil {
					t.Fatal(err)
				}
			}
			s, err := ParseSpec([]byte(tc.yaml), dir)
			if err != nil {
				t.Fatal(err)
			}
			img, err := s.Image(context.Background())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("want an error containing %q, got %v", tc.wantErr, err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := img.WriteArchive(&buf); err != nil {
				t.Fatal(err)
			}
			a := readArchive(t, buf.Bytes())
			for i, e := range a.layer {
				if busybox != nil && e.Data == string(busybox) {
					a.layer[i].Data = "<busybox>"
				}
			}
			if diff := cmp.Diff(tc.wantLayer, a.layer); diff != "" {
				t.Errorf("layer (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.wantConfig, a.config.Config); diff != "" {
				t.Errorf("config (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBusyboxApplets(t *testing.T) {
	requireFile(t, "/bin/busybox")
	applets, err := BusyboxApplets(context.Background(), "/bin/busybox")
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"sh", "ls", "cat", "echo", "sleep", "wget", "nc"} {
		if !contains(applets, want) {
			t.Errorf("busybox --list lacks %s: %v", want, applets)
		}
	}
	if _, err := BusyboxApplets(context.Background(), "/bin/false"); err == nil {
		t.Errorf("a program that fails lists no applets, want an error")
	}
}

func contains(s []string, v string) bool {
	for _, e := range s {
		if e == v {
			return true
		}
	}
	return false
}

func TestLoadSpecFiles(t *testing.T) {
	// The specs of test/images must parse; building them needs their
	// binaries, which hack/test-images.sh provides.
	files, err := filepath.Glob("../../../test/images/*.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(files) == 0 {
		t.Skip("no spec files in test/images")
	}
	for _, f := range files {
		t.Run(filepath.Base(f), func(t *testing.T) {
			if _, err := LoadSpec(f); err != nil {
				t.Error(err)
			}
		})
	}
}
