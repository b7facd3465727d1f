package review

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
	authenticationv1 "k8s.io/api/authentication/v1"
	authorizationv1 "k8s.io/api/authorization/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/endpoints/request"
)

func TestStorageCreate(t *testing.T) {
	type sar = authorizationv1.SubjectAccessReview
	answered := &sar{Status: authorizationv1.SubjectAccessReviewStatus{Allowed: true}}
	cases := []struct {
		name     string
		obj      runtime.Object
		validate func(*sar) field.ErrorList
		check    func(context.Context, *sar) error
		admit    error
		// steps lists the hooks that ran, in order.
		steps   []string
		want    runtime.Object
		wantErr string
		code    int32
	}{
		{name: "answered after admission", obj: &sar{}, steps: []string{"validate", "check", "admit", "answer"}, want: answered},
		{
			name: "wrong kind", obj: &corev1.Pod{},
			wantErr: "not a SubjectAccessReview: *v1.Pod", code: 400,
		},
		{
			name: "invalid, nothing else runs", obj: &sar{},
			validate: func(*sar) field.ErrorList {
				return field.ErrorList{field.Required(field.NewPath("spec", "user"), "")}
			},
			steps:   []string{"validate"},
			wantErr: `SubjectAccessReview.authorization.k8s.io "" is invalid: spec.user: Required value`, code: 422,
		},
		{
			name: "check fails before admission", obj: &sar{},
			check:   func(context.Context, *sar) error { return apierrors.NewBadRequest("no") },
			steps:   []string{"validate", "check"},
			wantErr: "no", code: 400,
		},
		{
			name: "admission denies", obj: &sar{}, admit: apierrors.NewForbidden(authorizationv1.Resource("subjectaccessreviews"), "", errors.New("webhook")),
			steps:   []string{"validate", "check", "admit"},
			wantErr: `subjectaccessreviews.authorization.k8s.io is forbidden: webhook`, code: 403,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var steps []string
			def := Definition[*sar]{
				Kind:     authorizationv1.SchemeGroupVersion.WithKind("SubjectAccessReview").GroupKind(),
				Singular: "subjectaccessreview",
				New:      func() *sar { return &sar{} },
				Validate: func(s *sar) field.ErrorList {
					steps = append(steps, "validate")
					if tc.validate != nil {
						return tc.validate(s)
					}
					return nil
				},
				Check: func(ctx context.Context, s *sar) error {
					steps = append(steps, "check")
					if tc.check != nil {
						return tc.check(ctx, s)
					}
					return nil
				},
				Answer: func(_ context.Context, s *sar) (runtime.Object, error) {
					steps = append(steps, "answer")
					s.Status.Allowed = true
					return s, nil
				},
			}
			admit := func(_ context.Context, obj runtime.Object) error {
				steps = append(steps, "admit")
				if obj == tc.obj {
					t.Error("admission got the object itself, not a copy")
				}
				return tc.admit
			}
			got, err := New(def).Create(context.Background(), tc.obj, admit, nil)
			if tc.wantErr != "" {
				var status apierrors.APIStatus
				if err == nil || err.Error() != tc.wantErr || !errors.As(err, &status) || status.Status().Code != tc.code {
					t.Fatalf("Create() error = %v, want %d %q", err, tc.code, tc.wantErr)
				}
			} else if err != nil {
				t.Fatalf("Create() error = %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("Create() mismatch (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.steps, steps); diff != "" {
				t.Errorf("steps (-want +got):\n%s", diff)
			}
		})
	}
}

func TestStorageNames(t *testing.T) {
	s := New(Definition[*authorizationv1.LocalSubjectAccessReview]{
		Singular: "localsubjectaccessreview", Namespaced: true,
		New: func() *authorizationv1.LocalSubjectAccessReview { return &authorizationv1.LocalSubjectAccessReview{} },
	})
	got := struct {
		Singular   string
		Namespaced bool
		New        runtime.Object
	}{s.GetSingularName(), s.NamespaceScoped(), s.New()}
	want := struct {
		Singular   string
		Namespaced bool
		New        runtime.Object
	}{"localsubjectaccessreview", true, &authorizationv1.LocalSubjectAccessReview{}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("names mismatch (-want +got):\n%s", diff)
	}
}

func TestUser(t *testing.T) {
	alice := &user.DefaultInfo{Name: "alice"}
	cases := []struct {
		name    string
		ctx     context.Context
		want    user.Info
		wantErr string
	}{
		{name: "authenticated", ctx: request.WithUser(context.Background(), alice), want: alice},
		{name: "none", ctx: context.Background(), wantErr: "no user present on request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := User(tc.ctx)
			if (err == nil) != (tc.wantErr == "") || (err != nil && (err.Error() != tc.wantErr || !apierrors.IsBadRequest(err))) {
				t.Fatalf("User() error = %v, want %q", err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("User() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}

func TestUserInfo(t *testing.T) {
	cases := []struct {
		name string
		user user.Info
		want authenticationv1.UserInfo
	}{
		{
			name: "no extra is an empty map",
			user: &user.DefaultInfo{Name: "kubernetes-admin", Groups: []string{"system:masters", "system:authenticated"}},
			want: authenticationv1.UserInfo{
				Username: "kubernetes-admin", Groups: []string{"system:masters", "system:authenticated"},
				Extra: map[string]authenticationv1.ExtraValue{},
			},
		},
		{
			name: "uid and extra",
			user: &user.DefaultInfo{Name: "bob", UID: "7", Extra: map[string][]string{"scopes": {"a"}}},
			want: authenticationv1.UserInfo{Username: "bob", UID: "7", Extra: map[string]authenticationv1.ExtraValue{"scopes": {"a"}}},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, UserInfo(tc.user)); diff != "" {
				t.Errorf("UserInfo() mismatch (-want +got):\n%s", diff)
			}
		})
	}
}
