package podcertificaterequest

import (
	"context"
	"fmt"
	"strings"

	certificatesv1 "k8s.io/api/certificates/v1"
	apiequality "k8s.io/apimachinery/pkg/api/equality"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/util/validation/field"
	"k8s.io/apiserver/pkg/authentication/user"
	"k8s.io/apiserver/pkg/authorization/authorizer"
	"k8s.io/apiserver/pkg/endpoints/request"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/apis/certificates"
	"github.com/kubeshim/kubeshim/registry/resource"
)

// Definition is the podcertificaterequests resource; authz decides who may
// sign (write an answer to /status).
func Definition(authz authorizer.Authorizer) resource.Definition {
	return resource.Definition{
		Resource:               certificatesv1.Resource("podcertificaterequests"),
		RequireResourceVersion: true,
		Singular:               "podcertificaterequest",
		NamespaceScoped:        true,
		New:                    func() runtime.Object { return &certificatesv1.PodCertificateRequest{} },
		NewList:                func() runtime.Object { return &certificatesv1.PodCertificateRequestList{} },
		Status:                 true,
		Fields:                 certificates.PodCertificateRequestFields,
		Validate:               resource.Validate(certificates.ValidatePodCertificateRequest),
		ValidateUpdate:         resource.ValidateUpdate(certificates.ValidatePodCertificateRequestUpdate),
		// /status changes the status only, as upstream.
		PrepareForStatusUpdate: func(_ context.Context, obj, old runtime.Object) {
			metav1.ResetObjectMetaForStatus(&pcr(obj).ObjectMeta, &pcr(old).ObjectMeta)
		},
		ValidateStatusUpdate: func(ctx context.Context, obj, old runtime.Object) field.ErrorList {
			return validateStatusUpdate(ctx, authz, pcr(obj), pcr(old))
		},
	}
}

func pcr(obj runtime.Object) *certificatesv1.PodCertificateRequest {
	return obj.(*certificatesv1.PodCertificateRequest)
}

// validateStatusUpdate checks the new status, then that a writer who changes
// it may "sign" for the request's signer (the signer's name, or its domain
// with "/*"), with upstream's error.
func validateStatusUpdate(ctx context.Context, authz authorizer.Authorizer, req, old *certificatesv1.PodCertificateRequest) field.ErrorList {
	if errs := certificates.ValidatePodCertificateRequestStatusUpdate(req, old, metav1.Now().Time); len(errs) > 0 {
		return errs
	}
	if apiequality.Semantic.DeepEqual(req.Status, old.Status) {
		return nil
	}
	signerPath := field.NewPath("spec", "signerName")
	u, ok := request.UserFrom(ctx)
	if !ok {
		return field.ErrorList{field.InternalError(signerPath, fmt.Errorf("cannot determine calling user to perform \"sign\" check"))}
	}
	if authz != nil && !mayAct(ctx, authz, u, "sign", old.Spec.SignerName) {
		klog.FromContext(ctx).V(4).Info("User may not sign PodCertificateRequest", "user", u.GetName(), "request", klog.KObj(old), "signer", old.Spec.SignerName)
		return field.ErrorList{field.Forbidden(signerPath, fmt.Sprintf("User %q is not permitted to \"sign\" for signer %q", u.GetName(), old.Spec.SignerName))}
	}
	return nil
}

// mayAct tells whether u may verb the signers resource named signerName,
// or its domain's wildcard "<domain>/*".
func mayAct(ctx context.Context, authz authorizer.Authorizer, u user.Info, verb, signerName string) bool {
	domain, _, _ := strings.Cut(signerName, "/")
	for _, name := range []string{signerName, domain + "/*"} {
		decision, _, err := authz.Authorize(ctx, authorizer.AttributesRecord{
			User: u, Verb: verb, APIGroup: certificatesv1.GroupName, APIVersion: "*",
			Resource: "signers", Name: name, ResourceRequest: true,
		})
		if err == nil && decision == authorizer.DecisionAllow {
			return true
		}
	}
	return false
}
