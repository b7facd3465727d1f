package runtime

import (
	"context"
	"encoding/base64"
	"errors"
	"slices"
	"sort"
	"testing"

	"github.com/containerd/containerd/v2/pkg/oci"
	"github.com/google/go-cmp/cmp"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	specs "github.com/opencontainers/runtime-spec/specs-go"
	"k8s.io/utils/ptr"
)

func TestWithArgs(t *testing.T) {
	image := ocispec.ImageConfig{Entrypoint: []string{"/entry", "-v"}, Cmd: []string{"serve", "--port=80"}}
	cmdOnly := ocispec.ImageConfig{Cmd: []string{"sh"}}
	for _, tc := range []struct {
		name          string
		command, args []string
		img           ocispec.ImageConfig
		want          []string
	}{
		{name: "image's entrypoint and cmd", img: image, want: []string{"/entry", "-v", "serve", "--port=80"}},
		{name: "command replaces both", command: []string{"/bin/true"}, img: image, want: []string{"/bin/true"}},
		{name: "command and args", command: []string{"sh", "-c"}, args: []string{"echo hi"}, img: image, want: []string{"sh", "-c", "echo hi"}},
		{name: "args replace the cmd only", args: []string{"debug"}, img: image, want: []string{"/entry", "-v", "debug"}},
		{name: "args without an entrypoint", args: []string{"ls", "/"}, img: cmdOnly, want: []string{"ls", "/"}},
		{name: "image with cmd only", img: cmdOnly, want: []string{"sh"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &oci.Spec{Process: &specs.Process{Args: []string{"from", "image", "config"}}}
			if err := withArgs(tc.command, tc.args, tc.img)(context.Background(), nil, nil, s); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, s.Process.Args); diff != "" {
				t.Errorf("args (-want +got):\n%s", diff)
			}
		})
	}
}

func TestVerifyNonRoot(t *testing.T) {
	for _, tc := range []struct {
		name      string
		runAsUser *int64
		imageUser string
		want      string // "" for no error
	}{
		{name: "runAsUser 0", runAsUser: ptr.To[int64](0), imageUser: "1000",
			want: "container config error: container's runAsUser breaks non-root policy"},
		{name: "runAsUser non-root wins over a root image", runAsUser: ptr.To[int64](1000), imageUser: "root"},
		{name: "image without user", want: "container config error: container has runAsNonRoot and image will run as root"},
		{name: "image user 0", imageUser: "0:0", want: "container config error: container has runAsNonRoot and image will run as root"},
		{name: "image user by name", imageUser: "nobody:nogroup",
			want: "container config error: container has runAsNonRoot and image has non-numeric user (nobody), cannot verify user is non-root"},
		{name: "numeric non-root image user", imageUser: "65535:65535"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := verifyNonRoot(tc.runAsUser, tc.imageUser)
			got := ""
			if err != nil {
				got = err.Error()
				if !errors.Is(err, ErrConfig) {
					t.Errorf("error %v is not ErrConfig", err)
				}
			}
			if got != tc.want {
				t.Errorf("verifyNonRoot = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestWithCapabilities(t *testing.T) {
	defaults := []string{"CAP_CHOWN", "CAP_KILL", "CAP_NET_RAW"}
	all := func() []string {
		s := &oci.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{}}}
		if err := oci.WithAllKnownCapabilities(context.Background(), nil, nil, s); err != nil {
			t.Fatal(err)
		}
		return s.Process.Capabilities.Bounding
	}()
	without := func(caps []string, drop string) []string {
		return slices.DeleteFunc(slices.Clone(caps), func(c string) bool { return c == drop })
	}
	for _, tc := range []struct {
		name      string
		add, drop []string
		want      []string
	}{
		{name: "defaults", want: defaults},
		{name: "drop one, any case, with or without prefix", drop: []string{"net_raw", "CAP_KILL"}, want: []string{"CAP_CHOWN"}},
		{name: "add", add: []string{"NET_ADMIN", "cap_sys_time"}, want: append(slices.Clone(defaults), "CAP_NET_ADMIN", "CAP_SYS_TIME")},
		{name: "add one already there", add: []string{"CHOWN"}, want: defaults},
		{name: "drop ALL", drop: []string{"ALL"}, want: nil},
		{name: "drop ALL, add one", drop: []string{"all"}, add: []string{"NET_BIND_SERVICE"}, want: []string{"CAP_NET_BIND_SERVICE"}},
		{name: "add ALL", add: []string{"ALL"}, want: all},
		{name: "add ALL, drop one", add: []string{"ALL"}, drop: []string{"SYS_ADMIN"}, want: without(all, "CAP_SYS_ADMIN")},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &oci.Spec{Process: &specs.Process{Capabilities: &specs.LinuxCapabilities{
				Bounding: slices.Clone(defaults), Effective: slices.Clone(defaults), Permitted: slices.Clone(defaults),
				Inheritable: slices.Clone(defaults),
			}}}
			if err := withCapabilities(tc.add, tc.drop)(context.Background(), nil, nil, s); err != nil {
				t.Fatal(err)
			}
			sorted := func(c []string) []string { c = slices.Clone(c); sort.Strings(c); return c }
			want := &specs.LinuxCapabilities{Bounding: sorted(tc.want), Effective: sorted(tc.want), Permitted: sorted(tc.want)}
			got := s.Process.Capabilities
			got = &specs.LinuxCapabilities{Bounding: sorted(got.Bounding), Effective: sorted(got.Effective), Permitted: sorted(got.Permitted), Inheritable: got.Inheritable}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("capabilities (-want +got):\n%s", diff)
			}
		})
	}
	if len(all) < 38 || !slices.Contains(all, "CAP_SYS_ADMIN") {
		t.Errorf("all known capabilities = %v, want the kernel's full set", all)
	}
}

func TestWithGroups(t *testing.T) {
	for _, tc := range []struct {
		name     string
		gid      *int64
		groups   []int64
		wantGID  uint32
		wantAddl []uint32
	}{
		{name: "image's", wantGID: 10, wantAddl: []uint32{10, 20}},
		{name: "runAsGroup", gid: ptr.To[int64](3000), wantGID: 3000, wantAddl: []uint32{10, 20}},
		{name: "supplemental groups added once", groups: []int64{20, 4000, 4000, 2000}, wantGID: 10, wantAddl: []uint32{10, 20, 4000, 2000}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := &oci.Spec{Process: &specs.Process{User: specs.User{UID: 1, GID: 10, AdditionalGids: []uint32{10, 20}}}}
			if err := withGroups(tc.gid, tc.groups)(context.Background(), nil, nil, s); err != nil {
				t.Fatal(err)
			}
			want := specs.User{UID: 1, GID: tc.wantGID, AdditionalGids: tc.wantAddl}
			if diff := cmp.Diff(want, s.Process.User); diff != "" {
				t.Errorf("user (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNormalizeImage(t *testing.T) {
	const digest = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
	for _, tc := range []struct {
		in, want string
		wantErr  bool
	}{
		{in: "busybox", want: "docker.io/library/busybox:latest"},
		{in: "busybox:1.36", want: "docker.io/library/busybox:1.36"},
		{in: "library/busybox", want: "docker.io/library/busybox:latest"},
		{in: "someone/tool:v1", want: "docker.io/someone/tool:v1"},
		{in: "registry.k8s.io/pause:3.10.2", want: "registry.k8s.io/pause:3.10.2"},
		{in: "localhost:5000/app", want: "localhost:5000/app:latest"},
		{in: "busybox@" + digest, want: "docker.io/library/busybox@" + digest},
		{in: "busybox:1.36@" + digest, want: "docker.io/library/busybox@" + digest},
		{in: "", wantErr: true},
		{in: "Busybox", wantErr: true},
		{in: "busybox:bad tag", wantErr: true},
	} {
		got, err := NormalizeImage(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("NormalizeImage(%q) = %q, %v; want %q (error %v)", tc.in, got, err, tc.want, tc.wantErr)
		}
	}
}

func TestCredentialsFromDockerConfig(t *testing.T) {
	auth := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, tc := range []struct {
		name    string
		data    string
		legacy  bool
		want    []Credential
		wantErr bool
	}{
		{
			name: "dockerconfigjson",
			data: `{"auths": {
				"https://index.docker.io/v1/": {"auth": "` + auth("hub:secret") + `"},
				"registry.example.com": {"username": "u", "password": "p", "auth": "` + auth("ignored:ignored") + `"},
				"http://r.example:5000/some/path": {"auth": "` + auth("colon:in:password") + `"},
				"docker.io": {"username": "d", "password": "x"}
			}}`,
			want: []Credential{
				{Host: "r.example:5000", Username: "colon", Password: "in:password"},
				{Host: "registry-1.docker.io", Username: "d", Password: "x"},
				{Host: "registry-1.docker.io", Username: "hub", Password: "secret"},
				{Host: "registry.example.com", Username: "u", Password: "p"},
			},
		},
		{
			name:   "legacy dockercfg",
			legacy: true,
			data:   `{"quay.io": {"auth": "` + auth("q:w") + `", "email": "a@example.com"}, "bad.example": {"auth": "%%%"}}`,
			want: []Credential{
				{Host: "bad.example"},
				{Host: "quay.io", Username: "q", Password: "w"},
			},
		},
		{name: "legacy data read as json has no auths", data: `{"quay.io": {"auth": "` + auth("q:w") + `"}}`},
		{name: "not json", data: `auths`, wantErr: true},
		{name: "legacy not json", data: `[]`, legacy: true, wantErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := CredentialsFromDockerConfig([]byte(tc.data), tc.legacy)
			if (err != nil) != tc.wantErr {
				t.Fatalf("error = %v, want error %v", err, tc.wantErr)
			}
			sort.Slice(got, func(i, j int) bool {
				if got[i].Host != got[j].Host {
					return got[i].Host < got[j].Host
				}
				return got[i].Username < got[j].Username
			})
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("credentials (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCgroupPath(t *testing.T) {
	if got, want := cgroupPath("1234-abcd", "c0ffee"), "/kubeshim/pod1234-abcd/c0ffee"; got != want {
		t.Errorf("cgroupPath = %q, want %q", got, want)
	}
}
