package certificatesigningrequest

import (
	"context"

	certificatesv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/apiserver/pkg/registry/generic"
	genericregistry "k8s.io/apiserver/pkg/registry/generic/registry"
	"k8s.io/apiserver/pkg/registry/rest"

	"github.com/kubeshim/kubeshim/apis/certificates"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the certificatesigningrequests resource.
func Definition() resource.Definition {
	return resource.Definition{
		Resource:               certificatesv1.Resource("certificatesigningrequests"),
		Singular:               "certificatesigningrequest",
		New:                    func() runtime.Object { return &certificatesv1.CertificateSigningRequest{} },
		NewList:                func() runtime.Object { return &certificatesv1.CertificateSigningRequestList{} },
		ShortNames:             []string{"csr"},
		Fields:                 certificates.CertificateSigningRequestFields,
		Status:                 true,
		PrepareForCreate:       recordRequester,
		PrepareForUpdate:       func(_ context.Context, obj, old runtime.Object) { csr(obj).Spec = csr(old).Spec },
		PrepareForStatusUpdate: func(_ context.Context, obj, old runtime.Object) { keepConditions(csr(obj), csr(old), isApproval) },
		Validate:               resource.Validate(certificates.ValidateCertificateSigningRequest),
		ValidateUpdate:         resource.ValidateUpdate(certificates.ValidateCertificateSigningRequestUpdate),
		ValidateStatusUpdate:   resource.ValidateUpdate(certificates.ValidateCertificateSigningRequestStatusUpdate),
	}
}

// NewStorage returns certificatesigningrequests with its status and
// approval subresources.
func NewStorage(optsGetter generic.RESTOptionsGetter) (map[string]rest.Storage, error) {
	s, err := resource.New(Definition(), "certificates.k8s.io/v1", optsGetter)
	if err != nil {
		return nil, err
	}
	m := s.Map()
	approval := *s.Store.Store
	approval.UpdateStrategy = approvalStrategy{s.Store.Store.UpdateStrategy}
	approval.ResetFieldsStrategy = nil
	m["certificatesigningrequests/approval"] = &ApprovalREST{store: &approval}
	return m, nil
}

func csr(obj runtime.Object) *certificatesv1.CertificateSigningRequest {
	return obj.(*certificatesv1.CertificateSigningRequest)
}

// recordRequester overwrites whatever identity the body claims with the
// authenticated requester's.
func recordRequester(ctx context.Context, obj runtime.Object) {
	c := csr(obj)
	c.Spec.Username, c.Spec.UID, c.Spec.Groups, c.Spec.Extra = "", "", nil, nil
	user, ok := request.UserFrom(ctx)
	if !ok {
		return
	}
	c.Spec.Username, c.Spec.UID, c.Spec.Groups = user.GetName(), user.GetUID(), user.GetGroups()
	for k, v := range user.GetExtra() {
		if c.Spec.Extra == nil {
			c.Spec.Extra = map[string]certificatesv1.ExtraValue{}
		}
		c.Spec.Extra[k] = v
	}
}

func isApproval(t certificatesv1.RequestConditionType) bool {
	return t == certificatesv1.CertificateApproved || t == certificatesv1.CertificateDenied
}

// keepConditions keeps the stored conditions for which stored(type) holds
// and takes the others from the update.
func keepConditions(obj, old *certificatesv1.CertificateSigningRequest, stored func(certificatesv1.RequestConditionType) bool) {
	var out []certificatesv1.CertificateSigningRequestCondition
	for _, c := range old.Status.Conditions {
		if stored(c.Type) {
			out = append(out, c)
		}
	}
	for _, c := range obj.Status.Conditions {
		if !stored(c.Type) {
			out = append(out, c)
		}
	}
	obj.Status.Conditions = out
}

// ApprovalREST is certificatesigningrequests/approval.
type ApprovalREST struct{ store *genericregistry.Store }

// New returns an empty CertificateSigningRequest.
func (r *ApprovalREST) New() runtime.Object { return &certificatesv1.CertificateSigningRequest{} }

// Destroy does nothing: the main resource owns the storage.
func (r *ApprovalREST) Destroy() {}

// Get returns the request.
func (r *ApprovalREST) Get(ctx context.Context, name string, options *metav1.GetOptions) (runtime.Object, error) {
	return r.store.Get(ctx, name, options)
}

// Update approves or denies the request.
func (r *ApprovalREST) Update(ctx context.Context, name string, objInfo rest.UpdatedObjectInfo, createValidation rest.ValidateObjectFunc, updateValidation rest.ValidateObjectUpdateFunc, _ bool, options *metav1.UpdateOptions) (runtime.Object, bool, error) {
	return r.store.Update(ctx, name, objInfo, createValidation, updateValidation, false, options)
}

// approvalStrategy changes the Approved and Denied conditions only.
type approvalStrategy struct{ rest.RESTUpdateStrategy }

func (approvalStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	c, o := csr(obj), csr(old)
	conditions := c.Status.Conditions
	*c = *o.DeepCopy()
	c.Status.Conditions = conditions
	keepConditions(c, o, func(t certificatesv1.RequestConditionType) bool { return !isApproval(t) })
}

func (approvalStrategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return certificates.ValidateCertificateSigningRequestApprovalUpdate(csr(obj), csr(old))
}
