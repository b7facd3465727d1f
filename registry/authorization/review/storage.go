package review

import (
	"context"
	"fmt"

	authenticationv1 "k8s.io/api/authentication/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
)

// Definition is what is particular to one review kind.
type Definition[T runtime.Object] struct {
	// Kind names the kind in errors. (Upstream's 422s name only the group,
	// ".authorization.k8s.io", as its decoded object's kind is empty.)
	Kind schema.GroupKind
	// Singular is the resource's singular name ("subjectaccessreview").
	Singular string
	// Namespaced is set for a namespaced kind (LocalSubjectAccessReview).
	Namespaced bool
	// New returns an empty object of the kind.
	New func() T
	// Validate, if set, returns the object's field errors, answered with 422
	// Unprocessable Entity before admission.
	Validate func(obj T) field.ErrorList
	// Check, if set, rejects a request for what is not a field error (a
	// namespace where none belongs, no token, ...), after Validate and
	// before admission.
	Check func(ctx context.Context, obj T) error
	// Answer returns the review with its status: the object, filled in, or
	// a new one. It runs after admission.
	Answer func(ctx context.Context, obj T) (runtime.Object, error)
}

// Storage serves a review kind: every create is answered and nothing is
// stored, so there is nothing to get, list, watch or delete.
type Storage[T runtime.Object] struct {
	def Definition[T]
}

var (
	_ rest.Storage              = &Storage[runtime.Object]{}
	_ rest.Creater              = &Storage[runtime.Object]{}
	_ rest.Scoper               = &Storage[runtime.Object]{}
	_ rest.SingularNameProvider = &Storage[runtime.Object]{}
)

// New returns the storage of def's kind.
func New[T runtime.Object](def Definition[T]) *Storage[T] {
	return &Storage[T]{def: def}
}

// New returns an empty object of the kind.
func (s *Storage[T]) New() runtime.Object { return s.def.New() }

// Destroy does nothing: there is no underlying store.
func (s *Storage[T]) Destroy() {}

// NamespaceScoped tells whether the kind is namespaced.
func (s *Storage[T]) NamespaceScoped() bool { return s.def.Namespaced }

// GetSingularName returns the resource's singular name.
func (s *Storage[T]) GetSingularName() string { return s.def.Singular }

// Create answers the review in obj, in upstream's order: field validation,
// request checks, admission, answer.
func (s *Storage[T]) Create(ctx context.Context, obj runtime.Object, createValidation rest.ValidateObjectFunc, _ *metav1.CreateOptions) (runtime.Object, error) {
	review, ok := obj.(T)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a %s: %T", s.def.Kind.Kind, obj))
	}
	if s.def.Validate != nil {
		if errs := s.def.Validate(review); len(errs) > 0 {
			return nil, apierrors.NewInvalid(s.def.Kind, "", errs)
		}
	}
	if s.def.Check != nil {
		if err := s.def.Check(ctx, review); err != nil {
			return nil, err
		}
	}
	if createValidation != nil {
		if err := createValidation(ctx, obj.DeepCopyObject()); err != nil {
			return nil, err
		}
	}
	return s.def.Answer(ctx, review)
}

// User returns the user the request was authenticated as: the subject of a
// self review. Every authenticated request has one; a request without is
// answered with 400 Bad Request, as upstream does.
func User(ctx context.Context) (user.Info, error) {
	u, ok := request.UserFrom(ctx)
	if !ok {
		return nil, apierrors.NewBadRequest("no user present on request")
	}
	return u, nil
}

// UserInfo is u as authentication.k8s.io reviews report it. Extra is never
// nil, as upstream's is not.
func UserInfo(u user.Info) authenticationv1.UserInfo {
	extra := u.GetExtra()
	info := authenticationv1.UserInfo{
		Username: u.GetName(),
		UID:      u.GetUID(),
		Groups:   u.GetGroups(),
		Extra:    make(map[string]authenticationv1.ExtraValue, len(extra)),
	}
	for k, v := range extra {
		info.Extra[k] = v
	}
	return info
}
