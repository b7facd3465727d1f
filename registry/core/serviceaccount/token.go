package serviceaccount

import (
	"context"
	"fmt"
	"time"

	admissionregistrationv1 "k8s.io/api/admissionregistration/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/apimachinery/pkg/util/sets"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/audit"
	"k8s.io/apiserver/pkg/authentication/serviceaccount"
	tokenjwt "k8s.io/apiserver/pkg/authentication/token/jwt"
	"k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/rest"
	"k8s.io/apiserver/pkg/warning"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"

	"github.com/kubeshim/kubeshim/apis/authentication"
	"github.com/kubeshim/kubeshim/registry/serviceaccount/token"
)

// Upstream's token lifetimes.
const (
	// MinExpirationSeconds is the shortest lifetime a request may ask for.
	MinExpirationSeconds = 10 * 60
	// maxExpirationSeconds is the longest.
	maxExpirationSeconds = 1 << 32
	// WarnOnlyExpirationSeconds is the lifetime the kubelet asks for its
	// projected tokens. With TokenOptions.ExtendExpiration, a pod-bound
	// token for the API server's audiences asked for with it is valid for
	// ExtendedExpiration, and only stale (audited) after this.
	WarnOnlyExpirationSeconds = 60*60 + 7
	// ExtendedExpiration is the lifetime of such an extended token.
	ExtendedExpiration = 365 * 24 * time.Hour
)

var tokenRequestKind = authenticationv1.SchemeGroupVersion.WithKind("TokenRequest")

// TokenOptions configure the token subresource.
type TokenOptions struct {
	// Issuer signs the tokens; without one there is no subresource.
	Issuer *token.Issuer
	// APIAudiences are the API server's audiences (--api-audiences): a
	// request that names no audience gets a token for them.
	APIAudiences []string
	// MaxExpiration shortens longer requested lifetimes, with a warning
	// (--service-account-max-token-expiration); zero means no limit.
	MaxExpiration time.Duration
	// ExtendExpiration extends the kubelet's projected tokens
	// (--service-account-extend-token-expiration); see
	// WarnOnlyExpirationSeconds.
	ExtendExpiration bool
	// Objects reads the objects tokens are bound to. It should read them
	// live: a token bound to an object just recreated must get its UID.
	Objects token.Getter
	// Clock is when tokens are issued; nil means the real clock.
	Clock clock.PassiveClock
}

// TokenREST is serviceaccounts/token: the create of a TokenRequest, answered
// with a token for the service account the URL names.
type TokenREST struct {
	accounts     rest.Getter
	o            TokenOptions
	apiAudiences sets.Set[string]
}

var (
	_ rest.NamedCreater                   = &TokenREST{}
	_ rest.GroupVersionKindProvider       = &TokenREST{}
	_ rest.SubresourceObjectMetaPreserver = &TokenREST{}
)

// NewTokenREST returns the subresource of the service accounts in accounts.
func NewTokenREST(accounts rest.Getter, o TokenOptions) *TokenREST {
	if o.Clock == nil {
		o.Clock = clock.RealClock{}
	}
	return &TokenREST{accounts: accounts, o: o, apiAudiences: sets.New(o.APIAudiences...)}
}

// GroupVersionKind is authentication.k8s.io/v1 TokenRequest, served under
// core's serviceaccounts.
func (r *TokenREST) GroupVersionKind(schema.GroupVersion) schema.GroupVersionKind {
	return tokenRequestKind
}

// New returns an empty TokenRequest.
func (r *TokenREST) New() runtime.Object { return &authenticationv1.TokenRequest{} }

// Destroy does nothing: the service accounts own the storage.
func (r *TokenREST) Destroy() {}

// PreserveRequestObjectMetaSystemFieldsOnSubresourceCreate keeps the UID a
// request brings, which must be the service account's.
func (r *TokenREST) PreserveRequestObjectMetaSystemFieldsOnSubresourceCreate() bool { return true }

// Create issues a token for the named service account.
func (r *TokenREST) Create(ctx context.Context, name string, obj runtime.Object, createValidation rest.ValidateObjectFunc, options *metav1.CreateOptions) (runtime.Object, error) {
	req, ok := obj.(*authenticationv1.TokenRequest)
	if !ok {
		return nil, apierrors.NewBadRequest(fmt.Sprintf("not a TokenRequest: %T", obj))
	}
	namespace, ok := request.NamespaceFrom(ctx)
	if !ok || namespace == "" {
		return nil, apierrors.NewBadRequest("namespace is required")
	}
	if req.Name != "" && req.Name != name {
		return nil, apierrors.NewInvalid(tokenRequestKind.GroupKind(), name, field.ErrorList{
			field.Invalid(field.NewPath("metadata", "name"), req.Name, "must match the service account name if specified")})
	}
	if req.Namespace != "" && req.Namespace != namespace {
		return nil, apierrors.NewInvalid(tokenRequestKind.GroupKind(), name, field.ErrorList{
			field.Invalid(field.NewPath("metadata", "namespace"), req.Namespace, "must match the service account namespace if specified")})
	}
	saObj, err := r.accounts.Get(ctx, name, &metav1.GetOptions{})
	if err != nil {
		return nil, err
	}
	sa := saObj.(*corev1.ServiceAccount)
	if req.UID != "" && req.UID != sa.UID {
		return nil, apierrors.NewConflict(schema.GroupResource{Group: tokenRequestKind.Group, Resource: tokenRequestKind.Kind}, name,
			fmt.Errorf("the UID in the token request (%s) does not match the UID of the service account (%s)", req.UID, sa.UID))
	}

	if len(req.Spec.Audiences) == 0 {
		req.Spec.Audiences = r.o.APIAudiences
	}
	req.Name, req.Namespace, req.UID = sa.Name, sa.Namespace, sa.UID
	// The time is taken before the token is made, so that the status's
	// expiration is never after the token's.
	now := r.o.Clock.Now()
	req.CreationTimestamp = metav1.NewTime(now)
	req.Status = authenticationv1.TokenRequestStatus{}
	authentication.SetObjectDefaultsTokenRequest(req)
	if errs := validateTokenRequest(req); len(errs) > 0 {
		return nil, apierrors.NewInvalid(tokenRequestKind.GroupKind(), "", errs)
	}
	if createValidation != nil {
		if err := createValidation(ctx, req.DeepCopyObject()); err != nil {
			return nil, err
		}
	}

	issue := token.Request{ServiceAccount: sa, Audiences: req.Spec.Audiences, IssuedAt: now}
	if ref := req.Spec.BoundObjectRef; ref != nil {
		if err := r.bind(ctx, name, namespace, ref, &issue); err != nil {
			return nil, err
		}
	}

	seconds := *req.Spec.ExpirationSeconds
	if maxSeconds := int64(r.o.MaxExpiration / time.Second); maxSeconds > 0 && seconds > maxSeconds {
		warning.AddWarning(ctx, "", fmt.Sprintf("requested expiration of %d seconds shortened to %d seconds", seconds, maxSeconds))
		seconds = maxSeconds
		req.Spec.ExpirationSeconds = &seconds
	}
	issue.Expiration = time.Duration(seconds) * time.Second
	if r.o.ExtendExpiration && issue.Pod != nil && seconds == WarnOnlyExpirationSeconds && r.apiAudiences.HasAll(req.Spec.Audiences...) {
		issue.WarnAfter, issue.Expiration = issue.Expiration, ExtendedExpiration
	}

	tok, err := r.o.Issuer.Issue(issue)
	if err != nil {
		return nil, apierrors.NewInternalError(fmt.Errorf("failed to generate token: %w", err))
	}
	out := req.DeepCopy()
	out.Status = authenticationv1.TokenRequestStatus{
		Token:               tok.Raw,
		ExpirationTimestamp: metav1.NewTime(now.Add(time.Duration(seconds) * time.Second)),
	}
	audit.AddAuditAnnotation(ctx, serviceaccount.IssuedCredentialIDAuditAnnotationKey, tokenjwt.CredentialIDForJTI(tok.ID))
	return out, nil
}

// bind looks up the object a request binds its token to, in the service
// account's namespace unless cluster-scoped, and sets it in issue.
func (r *TokenREST) bind(ctx context.Context, saName, namespace string, ref *authenticationv1.BoundObjectReference, issue *token.Request) error {
	gvk := schema.FromAPIVersionAndKind(ref.APIVersion, ref.Kind)
	var uid types.UID
	switch {
	case gvk.Group == "" && gvk.Kind == "Pod":
		pod, err := r.o.Objects.GetPod(ctx, namespace, ref.Name)
		if err != nil {
			return err
		}
		if pod.Spec.ServiceAccountName != saName {
			return apierrors.NewBadRequest(fmt.Sprintf("cannot bind token for serviceaccount %q to pod running with different serviceaccount name.", saName))
		}
		issue.Pod, uid = pod, pod.UID
		if nodeName := pod.Spec.NodeName; nodeName != "" {
			// The token names the pod's node too, for information.
			node, err := r.o.Objects.GetNode(ctx, nodeName)
			switch {
			case apierrors.IsNotFound(err):
				klog.FromContext(ctx).V(4).Info("Node of a token's pod not found", "pod", klog.KObj(pod), "node", nodeName)
				node = &corev1.Node{ObjectMeta: metav1.ObjectMeta{Name: nodeName}}
			case err != nil:
				return apierrors.NewInternalError(err)
			}
			issue.Node = node
		}
	case gvk.Group == "" && gvk.Kind == "Node":
		node, err := r.o.Objects.GetNode(ctx, ref.Name)
		if err != nil {
			return err
		}
		issue.Node, uid = node, node.UID
	case gvk.Group == "" && gvk.Kind == "Secret":
		secret, err := r.o.Objects.GetSecret(ctx, namespace, ref.Name)
		if err != nil {
			return err
		}
		issue.Secret, uid = secret, secret.UID
	case isWebhookRef(ref):
		// Upstream's APIServerWebhookAuthenticationToken, alpha and off
		// by default in v1.37.
		return apierrors.NewBadRequest(fmt.Sprintf("cannot bind token to object of type %s (feature gate %s is disabled)", gvk.String(), "APIServerWebhookAuthenticationToken"))
	default:
		return apierrors.NewBadRequest(fmt.Sprintf("cannot bind token to object of type %s", gvk.String()))
	}
	if ref.UID != "" && uid != ref.UID {
		return apierrors.NewConflict(schema.GroupResource{Group: gvk.Group, Resource: gvk.Kind}, ref.Name,
			fmt.Errorf("the UID in the bound object reference (%s) does not match the UID in record. The object might have been deleted and then recreated", ref.UID))
	}
	return nil
}

// validateTokenRequest is upstream's validation of a TokenRequest.
func validateTokenRequest(tr *authenticationv1.TokenRequest) field.ErrorList {
	var errs field.ErrorList
	spec := field.NewPath("spec")
	if s := *tr.Spec.ExpirationSeconds; s < MinExpirationSeconds {
		errs = append(errs, field.Invalid(spec.Child("expirationSeconds"), s, "may not specify a duration less than 10 minutes"))
	} else if s > maxExpirationSeconds {
		errs = append(errs, field.Invalid(spec.Child("expirationSeconds"), s, "may not specify a duration larger than 2^32 seconds"))
	}
	if !isWebhookRef(tr.Spec.BoundObjectRef) {
		if len(tr.Spec.Attestations) != 0 {
			return field.ErrorList{field.Invalid(spec.Child("attestations"), tr.Spec.Attestations, "attestations may only be specified with a webhook bound object reference")}
		}
		return errs
	}
	if len(tr.Spec.Audiences) != 1 {
		errs = append(errs, field.Invalid(spec.Child("audiences"), tr.Spec.Audiences, "must be length 1 when bound to a webhook config"))
	}
	path := spec.Child("attestations")
	if len(tr.Spec.Attestations) != 1 {
		return append(errs, field.Invalid(path, tr.Spec.Attestations, "webhook bound requests require exactly one admissionReviewAPIGroups attestation"))
	}
	for key, values := range tr.Spec.Attestations {
		p := path.Key(key)
		switch {
		case key != authenticationv1.AttestationAdmissionReviewAPIGroups:
			errs = append(errs, field.NotSupported(p, key, []string{authenticationv1.AttestationAdmissionReviewAPIGroups}))
		case len(values) != 1:
			errs = append(errs, field.Invalid(p, values, "must specify a single value"))
		case values[0] == "":
			errs = append(errs, field.Invalid(p.Index(0), values[0], "may not be an empty string"))
		case values[0] != "*":
			for _, reason := range validation.IsDNS1123Subdomain(values[0]) {
				errs = append(errs, field.Invalid(p.Index(0), values[0], "must specify a valid API Group: "+reason))
			}
		}
	}
	return errs
}

func isWebhookRef(ref *authenticationv1.BoundObjectReference) bool {
	if ref == nil {
		return false
	}
	switch ref.Kind {
	case "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration":
		return ref.APIVersion == admissionregistrationv1.SchemeGroupVersion.String()
	}
	return false
}
