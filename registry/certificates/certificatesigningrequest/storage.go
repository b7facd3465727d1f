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
		PrepareForStatusUpdate: prepareForStatusUpdate,
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

// prepareForStatusUpdate keeps the spec, and the stored Approved and Denied
// conditions when the update has as many of each: /status may not approve
// or deny (an added or removed one is left for validation to refuse), as
// upstream.
func prepareForStatusUpdate(_ context.Context, obj, old runtime.Object) {
	c, o := csr(obj), csr(old)
	c.Spec = o.Spec
	preserveConditions(c, o, certificatesv1.CertificateApproved)
	preserveConditions(c, o, certificatesv1.CertificateDenied)
	populateConditionTimestamps(c, o)
}

// preserveConditions copies the stored conditions of type t over the
// update's, if it has as many.
func preserveConditions(c, o *certificatesv1.CertificateSigningRequest, t certificatesv1.RequestConditionType) {
	oldIdx, newIdx := conditionIndices(o, t), conditionIndices(c, t)
	if len(oldIdx) != len(newIdx) {
		return
	}
	for i, j := range oldIdx {
		c.Status.Conditions[newIdx[i]] = o.Status.Conditions[j]
	}
}

func conditionIndices(c *certificatesv1.CertificateSigningRequest, t certificatesv1.RequestConditionType) []int {
	var out []int
	for i, cond := range c.Status.Conditions {
		if cond.Type == t {
			out = append(out, i)
		}
	}
	return out
}

// populateConditionTimestamps sets a condition's missing lastUpdateTime to
// now, and its missing lastTransitionTime to the stored one of the same type
// and status, else now.
func populateConditionTimestamps(c, o *certificatesv1.CertificateSigningRequest) {
	now := metav1.Now()
	for i := range c.Status.Conditions {
		cond := &c.Status.Conditions[i]
		if cond.LastUpdateTime.IsZero() {
			cond.LastUpdateTime = now
		}
		if cond.LastTransitionTime.IsZero() {
			cond.LastTransitionTime = now
			for _, oc := range o.Status.Conditions {
				if oc.Type == cond.Type && oc.Status == cond.Status && !oc.LastTransitionTime.IsZero() {
					cond.LastTransitionTime = oc.LastTransitionTime
					break
				}
			}
		}
	}
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

// PrepareForUpdate takes the metadata and the conditions from the update,
// the rest from the stored request, as upstream: validation then allows
// approving or denying, not removing or changing other conditions.
func (approvalStrategy) PrepareForUpdate(_ context.Context, obj, old runtime.Object) {
	c, o := csr(obj), csr(old)
	populateConditionTimestamps(c, o)
	conditions := c.Status.Conditions
	c.Spec = o.Spec
	c.Status = *o.Status.DeepCopy()
	c.Status.Conditions = conditions
}

func (approvalStrategy) ValidateUpdate(_ context.Context, obj, old runtime.Object) field.ErrorList {
	return certificates.ValidateCertificateSigningRequestApprovalUpdate(csr(obj), csr(old))
}
