package runtime

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"

	containerd "github.com/containerd/containerd/v2/client"
	"github.com/containerd/containerd/v2/core/remotes/docker"
	"github.com/containerd/errdefs"
	"github.com/distribution/reference"
)

// NormalizeImage turns a pod's image into the full name containerd stores
// ("busybox" is docker.io/library/busybox:latest), as the CRI does.
func NormalizeImage(image string) (string, error) {
	named, err := reference.ParseDockerRef(image)
	if err != nil {
		return "", fmt.Errorf("invalid image name %q: %w", image, err)
	}
	return named.String(), nil
}

// HasImage tells whether an image is present.
func (r *Runtime) HasImage(ctx context.Context, ref string) (bool, error) {
	_, err := r.client.GetImage(r.ctx(ctx), ref)
	if errdefs.IsNotFound(err) {
		return false, nil
	}
	return err == nil, err
}

// Credential is a registry login from an image pull secret.
type Credential struct {
	Host, Username, Password string
}

// PullImage pulls and unpacks an image with the given registry logins.
func (r *Runtime) PullImage(ctx context.Context, ref string, creds []Credential) error {
	if r.config.DisablePulls {
		// Refused before any name is resolved: not even a DNS query for
		// the registry leaves the host.
		return fmt.Errorf("image pulls are disabled on this node (--disable-image-pulls): import %s into containerd namespace %q", ref, r.config.Namespace)
	}
	ctx = r.ctx(ctx)
	authorizer := docker.NewDockerAuthorizer(docker.WithAuthCreds(func(host string) (string, string, error) {
		for _, c := range creds {
			if c.Host == host || strings.TrimPrefix(c.Host, "https://") == host {
				return c.Username, c.Password, nil
			}
		}
		return "", "", nil
	}))
	resolver := docker.NewResolver(docker.ResolverOptions{
		Hosts: docker.ConfigureDefaultRegistries(docker.WithAuthorizer(authorizer)),
	})
	if _, err := r.client.Pull(ctx, ref, containerd.WithPullUnpack, containerd.WithResolver(resolver)); err != nil {
		return err
	}
	return nil
}

// CredentialsFromDockerConfig reads the logins of a kubernetes.io/dockerconfigjson
// (or legacy .dockercfg) secret's data.
func CredentialsFromDockerConfig(data []byte, legacy bool) ([]Credential, error) {
	type entry struct {
		Username string `json:"username"`
		Password string `json:"password"`
		Auth     string `json:"auth"`
	}
	var auths map[string]entry
	if legacy {
		if err := json.Unmarshal(data, &auths); err != nil {
			return nil, err
		}
	} else {
		var cfg struct {
			Auths map[string]entry `json:"auths"`
		}
		if err := json.Unmarshal(data, &cfg); err != nil {
			return nil, err
		}
		auths = cfg.Auths
	}
	var out []Credential
	for host, e := range auths {
		if e.Auth != "" && e.Username == "" {
			if b, err := base64.StdEncoding.DecodeString(e.Auth); err == nil {
				if u, p, ok := strings.Cut(string(b), ":"); ok {
					e.Username, e.Password = u, p
				}
			}
		}
		host = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(host, "https://"), "http://"), "/")
		if h, _, ok := strings.Cut(host, "/"); ok {
			host = h
		}
		if host == "index.docker.io" || host == "docker.io" {
			host = "registry-1.docker.io"
		}
		out = append(out, Credential{Host: host, Username: e.Username, Password: e.Password})
	}
	return out, nil
}

// SetLabels merges labels into a container's.
func (r *Runtime) SetLabels(ctx context.Context, id string, labels map[string]string) error {
	ctx = r.ctx(ctx)
	c, err := r.client.LoadContainer(ctx, id)
	if err != nil {
		return err
	}
	_, err = c.SetLabels(ctx, labels)
	return err
}

// ImageRefs lists the names of the images present, for node status.
func (r *Runtime) Images(ctx context.Context) (map[string][]string, map[string]int64, error) {
	ctx = r.ctx(ctx)
	imgs, err := r.client.ListImages(ctx)
	if err != nil {
		return nil, nil, err
	}
	names := map[string][]string{}
	sizes := map[string]int64{}
	for _, img := range imgs {
		d := img.Target().Digest.String()
		names[d] = append(names[d], img.Name())
		if _, ok := sizes[d]; !ok {
			if s, err := img.Size(ctx); err == nil {
				sizes[d] = s
			}
		}
	}
	return names, sizes, nil
}
