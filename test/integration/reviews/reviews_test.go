package reviews

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// The admin is in system:masters, so every check below is allowed whatever
// the authorizer, AlwaysAllow or RBAC.
var admin = authorizationv1.SubjectAccessReviewSpec{User: "kubernetes-admin", Groups: []string{"system:masters", "system:authenticated"}}

func TestDiscovery(t *testing.T) {
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	type res struct {
		Name       string
		Namespaced bool
		Verbs      []string
	}
	for gv, want := range map[string][]res{
		"authorization.k8s.io/v1": {
			{Name: "localsubjectaccessreviews", Namespaced: true, Verbs: []string{"create"}},
			{Name: "selfsubjectaccessreviews", Verbs: []string{"create"}},
			{Name: "selfsubjectrulesreviews", Verbs: []string{"create"}},
			{Name: "subjectaccessreviews", Verbs: []string{"create"}},
		},
		"authentication.k8s.io/v1": {
			{Name: "selfsubjectreviews", Verbs: []string{"create"}},
			{Name: "tokenreviews", Verbs: []string{"create"}},
		},
	} {
		list, err := client.Discovery().ServerResourcesForGroupVersion(gv)
		if err != nil {
			t.Fatalf("discover %s: %v", gv, err)
		}
		var got []res
		for _, r := range list.APIResources {
			got = append(got, res{Name: r.Name, Namespaced: r.Namespaced, Verbs: r.Verbs})
		}
		slices.SortFunc(got, func(a, b res) int { return strings.Compare(a.Name, b.Name) })
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s resources (-want +got):\n%s", gv, diff)
		}
	}
}

func TestSelfSubjectAccessReview(t *testing.T) {
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	// `kubectl auth can-i create pods`
	spec := authorizationv1.SelfSubjectAccessReviewSpec{ResourceAttributes: &authorizationv1.ResourceAttributes{
		Namespace: "default", Verb: "create", Resource: "pods",
	}}
	got, err := client.AuthorizationV1().SelfSubjectAccessReviews().Create(context.Background(),
		&authorizationv1.SelfSubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if diff := cmp.Diff(spec, got.Spec); diff != "" {
		t.Errorf("spec not echoed (-want +got):\n%s", diff)
	}
	if !got.Status.Allowed || got.Status.Denied || got.Status.EvaluationError != "" {
		t.Errorf("status = %+v, want allowed", got.Status)
	}
}

func TestSubjectAccessReview(t *testing.T) {
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ctx := context.Background()
	spec := admin
	spec.ResourceAttributes = &authorizationv1.ResourceAttributes{
		Verb: "list", Resource: "pods",
		LabelSelector: &authorizationv1.LabelSelectorAttributes{RawSelector: "app=web"},
	}
	got, err := client.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{Spec: spec}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if !got.Status.Allowed || got.Status.EvaluationError != "" {
		t.Errorf("status = %+v, want allowed", got.Status)
	}

	_, err = client.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{}, metav1.CreateOptions{})
	want := `SubjectAccessReview.authorization.k8s.io "" is invalid: [` +
		`spec: Invalid value: null: exactly one of nonResourceAttributes or resourceAttributes must be specified, ` +
		`spec.user: Invalid value: "": at least one of user or group must be specified]`
	if !apierrors.IsInvalid(err) || err.Error() != want {
		t.Errorf("create empty: error = %v, want 422 %q", err, want)
	}
}

func TestLocalSubjectAccessReview(t *testing.T) {
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ctx := context.Background()
	ns := framework.Namespace(t, client)
	review := func(specNamespace string) *authorizationv1.LocalSubjectAccessReview {
		spec := admin
		spec.ResourceAttributes = &authorizationv1.ResourceAttributes{Namespace: specNamespace, Verb: "get", Resource: "secrets", Name: "s"}
		return &authorizationv1.LocalSubjectAccessReview{Spec: spec}
	}

	got, err := client.AuthorizationV1().LocalSubjectAccessReviews(ns).Create(ctx, review(ns), metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if got.Namespace != ns || !got.Status.Allowed {
		t.Errorf("got namespace %q, status %+v; want %q, allowed", got.Namespace, got.Status, ns)
	}

	_, err = client.AuthorizationV1().LocalSubjectAccessReviews(ns).Create(ctx, review("other"), metav1.CreateOptions{})
	if !apierrors.IsInvalid(err) {
		t.Fatalf("create with spec in another namespace: error = %v, want 422", err)
	}
	var causes []metav1.StatusCause
	if status, ok := err.(apierrors.APIStatus); ok && status.Status().Details != nil {
		causes = status.Status().Details.Causes
	}
	want := []metav1.StatusCause{{
		Type: metav1.CauseTypeFieldValueInvalid, Field: "spec.resourceAttributes.namespace",
		Message: `Invalid value: "other": must match metadata.namespace`,
	}}
	if diff := cmp.Diff(want, causes); diff != "" {
		t.Errorf("causes (-want +got):\n%s", diff)
	}
}

func TestSelfSubjectRulesReview(t *testing.T) {
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	// `kubectl auth can-i --list`
	got, err := client.AuthorizationV1().SelfSubjectRulesReviews().Create(context.Background(),
		&authorizationv1.SelfSubjectRulesReview{Spec: authorizationv1.SelfSubjectRulesReviewSpec{Namespace: "default"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if got.Status.Incomplete || got.Status.EvaluationError != "" {
		t.Errorf("status = %+v, want complete", got.Status)
	}
	everything := authorizationv1.ResourceRule{Verbs: []string{"*"}, APIGroups: []string{"*"}, Resources: []string{"*"}}
	if !slices.ContainsFunc(got.Status.ResourceRules, func(r authorizationv1.ResourceRule) bool { return cmp.Equal(everything, r) }) {
		t.Errorf("resource rules = %+v, want one allowing everything", got.Status.ResourceRules)
	}

	_, err = client.AuthorizationV1().SelfSubjectRulesReviews().Create(context.Background(), &authorizationv1.SelfSubjectRulesReview{}, metav1.CreateOptions{})
	if !apierrors.IsBadRequest(err) {
		t.Errorf("create without namespace: error = %v, want 400", err)
	}
}

func TestSelfSubjectReview(t *testing.T) {
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	// `kubectl auth whoami`
	got, err := client.AuthenticationV1().SelfSubjectReviews().Create(context.Background(), &authenticationv1.SelfSubjectReview{}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	info := got.Status.UserInfo
	if info.Username != "kubernetes-admin" || !slices.Contains(info.Groups, "system:masters") || !slices.Contains(info.Groups, "system:authenticated") {
		t.Errorf("user = %+v, want kubernetes-admin in system:masters and system:authenticated", info)
	}
	if got.CreationTimestamp.IsZero() {
		t.Error("creationTimestamp not set")
	}
}

func TestTokenReview(t *testing.T) {
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ctx := context.Background()
	got, err := client.AuthenticationV1().TokenReviews().Create(ctx,
		&authenticationv1.TokenReview{Spec: authenticationv1.TokenReviewSpec{Token: "not-a-token"}}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create: %v", err)
	}
	if got.Status.Authenticated {
		t.Errorf("status = %+v, want not authenticated", got.Status)
	}

	_, err = client.AuthenticationV1().TokenReviews().Create(ctx, &authenticationv1.TokenReview{}, metav1.CreateOptions{})
	if !apierrors.IsBadRequest(err) {
		t.Errorf("create without token: error = %v, want 400", err)
	}
}
