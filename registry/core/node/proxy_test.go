package node

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"

	"github.com/kubeshim/kubeshim/registry/kubelet"
)

type fakeKubelets map[string]*kubelet.ConnectionInfo

func (f fakeKubelets) GetConnectionInfo(_ context.Context, node string) (*kubelet.ConnectionInfo, error) {
	if info, ok := f[node]; ok {
		return info, nil
	}
	return nil, apierrors.NewNotFound(corev1.Resource("nodes"), node)
}

// Only IP literals: resolving them needs no DNS.
func TestResourceLocation(t *testing.T) {
	kubeletTransport, proxyTransport := &http.Transport{}, &http.Transport{}
	kubelets := fakeKubelets{
		"node-1":   {Scheme: "https", Hostname: "10.0.0.1", Port: "10250", Transport: kubeletTransport},
		"node-v6":  {Scheme: "https", Hostname: "fd00::1", Port: "10250", Transport: kubeletTransport},
		"loopback": {Scheme: "https", Hostname: "127.0.0.1", Port: "10250", Transport: kubeletTransport},
		"unspec":   {Scheme: "https", Hostname: "0.0.0.0", Port: "10250", Transport: kubeletTransport},
	}
	type result struct {
		URL, Transport, Err string
	}
	tests := []struct {
		id   string
		want result
	}{
		{id: "node-1", want: result{URL: "https://10.0.0.1:10250", Transport: "kubelet"}},
		{id: "node-1:10250", want: result{URL: "https://10.0.0.1:10250", Transport: "kubelet"}},
		{id: "http:node-1:10250", want: result{URL: "https://10.0.0.1:10250", Transport: "kubelet"}},
		{id: "node-1:9100", want: result{URL: "//10.0.0.1:9100", Transport: "proxy"}},
		{id: "https:node-1:9100", want: result{URL: "https://10.0.0.1:9100", Transport: "proxy"}},
		{id: "node-v6", want: result{URL: "https://[fd00::1]:10250", Transport: "kubelet"}},
		{id: "loopback", want: result{Err: "address not allowed"}},
		{id: "unspec", want: result{Err: "address not allowed"}},
		{id: "ghost", want: result{Err: `nodes "ghost" not found`}},
		{id: "a:b:c:d", want: result{Err: `invalid node request "a:b:c:d"`}},
	}
	for _, tt := range tests {
		t.Run(tt.id, func(t *testing.T) {
			loc, rt, err := ResourceLocation(context.Background(), kubelets, proxyTransport, tt.id)
			var got result
			if err != nil {
				got.Err = err.Error()
			} else {
				got.URL = loc.String()
				switch rt {
				case kubeletTransport:
					got.Transport = "kubelet"
				case proxyTransport:
					got.Transport = "proxy"
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("location (-want +got):\n%s", diff)
			}
		})
	}
}
