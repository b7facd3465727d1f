package csrapproving

import (
	"context"
	"fmt"
	"time"

	authorizationv1 "k8s.io/api/authorization/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	certinformers "k8s.io/client-go/informers/certificates/v1"
	"k8s.io/client-go/kubernetes"
	certlisters "k8s.io/client-go/listers/certificates/v1"
	"k8s.io/client-go/tools/cache"
	"k8s.io/klog/v2"

	"github.com/kubeshim/kubeshim/apis/certificates"
	"github.com/kubeshim/kubeshim/controllers/queue"
)

// Name is the controller's, kube-controller-manager's.
const Name = "csrapproving"

// Controller approves kubelet client certificate requests.
type Controller struct {
	client kubernetes.Interface
	csrs   certlisters.CertificateSigningRequestLister
	synced cache.InformerSynced
	queue  *queue.Queue
}

// New returns the controller on the shared informer.
func New(client kubernetes.Interface, csrs certinformers.CertificateSigningRequestInformer) *Controller {
	c := &Controller{client: client, csrs: csrs.Lister(), synced: csrs.Informer().HasSynced}
	c.queue = queue.New(Name, c.sync)
	enqueue := func(obj any) {
		if r, ok := obj.(*certificatesv1.CertificateSigningRequest); ok {
			c.queue.Add(r.Name)
		}
	}
	_, _ = csrs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: enqueue, UpdateFunc: func(_, obj any) { enqueue(obj) }})
	return c
}

// Run approves until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) {
	klog.FromContext(ctx).Info("Starting controller", "controller", Name)
	c.queue.Run(ctx, workers, c.synced)
}

// recognizer is one kind of request the controller approves: the
// permission the requester needs, and the approval's message.
type recognizer struct {
	self    bool
	sub     string
	message string
}

// recognizers are upstream's, in its order: renewing one's own first.
var recognizers = []recognizer{
	{self: true, sub: "selfnodeclient", message: "Auto approving self kubelet client certificate after SubjectAccessReview."},
	{sub: "nodeclient", message: "Auto approving kubelet client certificate after SubjectAccessReview."},
}

func (c *Controller) sync(ctx context.Context, name string) (time.Duration, error) {
	csr, err := c.csrs.Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(csr.Status.Certificate) > 0 || decided(csr) || csr.Spec.SignerName != certificatesv1.KubeAPIServerClientKubeletSignerName {
		return 0, nil
	}
	req, err := certificates.ParseCSR(csr.Spec.Request)
	if err != nil {
		// Not a request the signer could sign either: nothing to do.
		klog.FromContext(ctx).V(2).Info("Unparseable certificate request", "csr", name, "err", err)
		return 0, nil
	}
	if certificates.ValidateKubeletClientCSR(req, csr.Spec.Usages) != nil {
		return 0, nil
	}
	for _, r := range recognizers {
		if r.self && csr.Spec.Username != req.Subject.CommonName {
			continue
		}
		allowed, err := c.authorize(ctx, csr, r.sub)
		if err != nil {
			return 0, err
		}
		if !allowed {
			continue
		}
		csr = csr.DeepCopy()
		csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
			Type: certificatesv1.CertificateApproved, Status: corev1.ConditionTrue, Reason: "AutoApproved", Message: r.message,
		})
		if _, err := c.client.CertificatesV1().CertificateSigningRequests().UpdateApproval(ctx, csr.Name, csr, metav1.UpdateOptions{}); err != nil && !apierrors.IsConflict(err) {
			return 0, fmt.Errorf("error updating approval for csr: %w", err)
		}
		return 0, nil
	}
	return 0, nil
}

// authorize asks whether the requester may create the CSR subresource.
func (c *Controller) authorize(ctx context.Context, csr *certificatesv1.CertificateSigningRequest, sub string) (bool, error) {
	extra := map[string]authorizationv1.ExtraValue{}
	for k, v := range csr.Spec.Extra {
		extra[k] = authorizationv1.ExtraValue(v)
	}
	sar, err := c.client.AuthorizationV1().SubjectAccessReviews().Create(ctx, &authorizationv1.SubjectAccessReview{
		Spec: authorizationv1.SubjectAccessReviewSpec{
			User: csr.Spec.Username, UID: csr.Spec.UID, Groups: csr.Spec.Groups, Extra: extra,
			ResourceAttributes: &authorizationv1.ResourceAttributes{
				Group: certificatesv1.GroupName, Version: "*", Resource: "certificatesigningrequests", Subresource: sub, Verb: "create",
			},
		},
	}, metav1.CreateOptions{})
	if err != nil {
		return false, fmt.Errorf("subject access review for csr %s: %w", csr.Name, err)
	}
	return sar.Status.Allowed, nil
}

// decided reports whether the request was approved or denied already.
func decided(csr *certificatesv1.CertificateSigningRequest) bool {
	for _, c := range csr.Status.Conditions {
		if c.Type == certificatesv1.CertificateApproved || c.Type == certificatesv1.CertificateDenied {
			return true
		}
	}
	return false
}
