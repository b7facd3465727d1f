package pod

import (
	"context"
	"net/http"
	"testing"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/util/proxy"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	genericapirequest "k8s.io/apiserver/pkg/endpoints/request"
)

// verbAuthorizer allows the verbs it lists and records what it was asked.
type verbAuthorizer struct {
	allow []string
	asked []string
}

func (a *verbAuthorizer) Authorize(_ context.Context, attrs authorizer.Attributes) (authorizer.Decision, string, error) {
	a.asked = append(a.asked, attrs.GetVerb()+" "+attrs.GetResource()+"/"+attrs.GetSubresource())
	for _, v := range a.allow {
		if v == attrs.GetVerb() {
			return authorizer.DecisionAllow, "", nil
		}
	}
	return authorizer.DecisionNoOpinion, "no rule allows it", nil
}

func requestContext(verb string) context.Context {
	ctx := genericapirequest.WithNamespace(context.Background(), "ns")
	ctx = genericapirequest.WithUser(ctx, &user.DefaultInfo{Name: "alice"})
	return genericapirequest.WithRequestInfo(ctx, &genericapirequest.RequestInfo{
		IsResourceRequest: true, Verb: verb, Namespace: "ns", Resource: "pods", Subresource: "exec", Name: "single", APIVersion: "v1",
	})
}

func TestStreamAuthorizesCreate(t *testing.T) {
	tests := []struct {
		name      string
		verb      string
		allow     []string
		noAuthz   bool
		wantCode  int32
		wantAsked []string
	}{
		{name: "SPDY POST was authorized as create", verb: "create"},
		{name: "WebSocket GET needs create too", verb: "get", allow: []string{"create"}, wantAsked: []string{"create pods/exec"}},
		{name: "get alone is not enough", verb: "get", allow: []string{"get"}, wantCode: 403, wantAsked: []string{"create pods/exec"}},
		{name: "no authorizer", verb: "get", noAuthz: true, wantCode: 500},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			authz := &verbAuthorizer{allow: tt.allow}
			r := &ExecREST{streamREST{pods: testPods(), kubelets: kubelets, authz: authz}}
			if tt.noAuthz {
				r.authz = nil
			}
			_, err := r.Connect(requestContext(tt.verb), "single", &corev1.PodExecOptions{Command: []string{"ls"}, Stdout: true}, nil)
			if tt.wantCode != 0 {
				status, ok := err.(apierrors.APIStatus)
				if !ok || status.Status().Code != tt.wantCode {
					t.Fatalf("error = %v, want a %d", err, tt.wantCode)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantAsked, authz.asked); diff != "" {
				t.Errorf("authorizer asked (-want +got):\n%s", diff)
			}
		})
	}
}

// A kubelet that declares ExtendWebSocketsToKubelet gets WebSocket
// requests as they are; any other gets them translated to SPDY.
func TestStreamHandlerTranslatesUnlessNodeDeclaresWebSockets(t *testing.T) {
	for _, features := range [][]string{nil, {extendWebSocketsToKubelet}} {
		info := *kubelets["node-1"]
		info.NodeFeatures = features
		r := &ExecREST{streamREST{pods: testPods(), kubelets: fakeKubelets{"node-1": &info}, authz: &verbAuthorizer{}}}
		h, err := r.Connect(requestContext("create"), "single", &corev1.PodExecOptions{Command: []string{"ls"}, Stdout: true}, nil)
		if err != nil {
			t.Fatal(err)
		}
		pf := &PortForwardREST{r.streamREST}
		pfh, err := pf.Connect(requestContext("create"), "single", &corev1.PodPortForwardOptions{}, nil)
		if err != nil {
			t.Fatal(err)
		}
		for _, handler := range []http.Handler{h, pfh} {
			_, direct := handler.(*proxy.UpgradeAwareHandler)
			if want := len(features) > 0; direct != want {
				t.Errorf("features %v: handler %T, want direct proxy %v", features, handler, want)
			}
		}
	}
}
