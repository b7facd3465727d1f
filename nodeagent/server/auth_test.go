package server

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apiserver/pkg/authentication/user"
)

func TestRequestAttributes(t *testing.T) {
	tests := []struct {
		method, path     string
		wantVerb         string
		wantSubresources []string
	}{
		{"GET", "/pods", "get", []string{"pods", "proxy"}},
		{"GET", "/pods/", "get", []string{"pods", "proxy"}},
		{"GET", "/podsX", "get", []string{"proxy"}},
		{"GET", "/runningpods/", "get", []string{"pods", "proxy"}},
		{"GET", "/healthz", "get", []string{"healthz", "proxy"}},
		{"GET", "/healthz/ping", "get", []string{"healthz", "proxy"}},
		{"GET", "/configz", "get", []string{"configz", "proxy"}},
		{"GET", "/stats/summary", "get", []string{"stats"}},
		{"POST", "/stats/summary", "create", []string{"stats"}},
		{"GET", "/metrics", "get", []string{"metrics"}},
		{"GET", "/metrics/resource", "get", []string{"metrics"}},
		{"GET", "/logs/syslog", "get", []string{"log"}},
		{"GET", "/containerLogs/ns/pod/c", "get", []string{"proxy"}},
		{"POST", "/exec/ns/pod/c", "create", []string{"proxy"}},
		{"GET", "/exec/ns/pod/c", "get", []string{"proxy"}},
		{"POST", "/portForward/ns/pod", "create", []string{"proxy"}},
		{"PUT", "/x", "update", []string{"proxy"}},
		{"PATCH", "/x", "patch", []string{"proxy"}},
		{"DELETE", "/x", "delete", []string{"proxy"}},
	}
	u := &user.DefaultInfo{Name: "someone"}
	for _, tc := range tests {
		t.Run(tc.method+" "+tc.path, func(t *testing.T) {
			req, _ := http.NewRequest(tc.method, "https://node:10250"+tc.path, nil)
			attrs := requestAttributes(testNode, u, req)
			var subs []string
			for _, a := range attrs {
				subs = append(subs, a.GetSubresource())
				if a.GetVerb() != tc.wantVerb || a.GetResource() != "nodes" || a.GetName() != testNode ||
					a.GetAPIVersion() != "v1" || a.GetAPIGroup() != "" || !a.IsResourceRequest() || a.GetUser() != u || a.GetPath() != tc.path {
					t.Errorf("attributes %+v", a)
				}
			}
			if diff := cmp.Diff(tc.wantSubresources, subs); diff != "" {
				t.Errorf("subresources (-want +got):\n%s", diff)
			}
		})
	}
}

func TestAuth(t *testing.T) {
	p := &fakeProvider{
		pods:    []*corev1.Pod{testPod("ns", "pod", "uid", corev1.Container{Name: "c"})},
		summary: testSummary(),
	}
	env := newTestEnv(t, p)
	tests := []struct {
		name     string
		path     string
		token    string
		wantCode int
		wantBody string
	}{
		{name: "no credentials", path: "/pods", wantCode: 401, wantBody: "Unauthorized"},
		{name: "no credentials on healthz", path: "/healthz", wantCode: 401, wantBody: "Unauthorized"},
		{name: "no credentials on an unknown path", path: "/nope", wantCode: 401},
		{name: "unknown token", path: "/pods", token: "bogus", wantCode: 401},
		{name: "allowed", path: "/pods", token: adminToken, wantCode: 200},
		{name: "viewer allowed stats", path: "/stats/summary", token: viewerToken, wantCode: 200},
		{name: "viewer denied pods", path: "/pods", token: viewerToken, wantCode: 403,
			wantBody: "Forbidden (user=viewer, verb=get, resource=nodes, subresource(s)=[pods proxy])"},
		{name: "viewer denied logs", path: "/containerLogs/ns/pod/c", token: viewerToken, wantCode: 403,
			wantBody: "Forbidden (user=viewer, verb=get, resource=nodes, subresource(s)=[proxy])"},
		{name: "viewer denied exec before the upgrade", path: "/exec/ns/pod/c?command=ls&output=1", token: viewerToken, wantCode: 403},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, body := env.get(t, "GET", tc.path, tc.token)
			if code != tc.wantCode {
				t.Fatalf("GET %s = %d %q, want %d", tc.path, code, body, tc.wantCode)
			}
			if tc.wantBody != "" && strings.TrimSpace(body) != tc.wantBody {
				t.Errorf("body = %q, want %q", body, tc.wantBody)
			}
		})
	}

	// What the API server is asked for a denied /pods: both attribute sets, in order.
	fresh := newTestEnv(t, p)
	if code, _ := fresh.get(t, "GET", "/pods", viewerToken); code != http.StatusForbidden {
		t.Fatalf("viewer GET /pods = %d, want 403", code)
	}
	var got []authorizationv1.SubjectAccessReviewSpec
	for _, sar := range fresh.auth.reviews() {
		got = append(got, authorizationv1.SubjectAccessReviewSpec{User: sar.User, ResourceAttributes: sar.ResourceAttributes})
	}
	want := []authorizationv1.SubjectAccessReviewSpec{
		{User: "viewer", ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "get", Version: "v1", Resource: "nodes", Subresource: "pods", Name: testNode}},
		{User: "viewer", ResourceAttributes: &authorizationv1.ResourceAttributes{Verb: "get", Version: "v1", Resource: "nodes", Subresource: "proxy", Name: testNode}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("SubjectAccessReviews for the viewer's /pods (-want +got):\n%s", diff)
	}
}
