package csrsigning

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"time"

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
const Name = "csrsigning"

// DefaultDuration is upstream's --cluster-signing-duration.
const DefaultDuration = 365 * 24 * time.Hour

// backdate is how far before now a certificate is valid from, so that
// clocks a little behind accept it (upstream's five minutes).
const backdate = 5 * time.Minute

// CA is what signs: the cluster CA's certificate and key.
type CA struct {
	Cert *x509.Certificate
	Key  crypto.Signer
}

// Controller signs approved API server client certificate requests.
type Controller struct {
	client   kubernetes.Interface
	ca       CA
	duration time.Duration
	now      func() time.Time
	csrs     certlisters.CertificateSigningRequestLister
	synced   cache.InformerSynced
	queue    *queue.Queue
}

// New returns the controller on the shared informer; duration caps the
// certificates' lifetime (0: DefaultDuration).
func New(client kubernetes.Interface, ca CA, duration time.Duration, csrs certinformers.CertificateSigningRequestInformer) *Controller {
	if duration <= 0 {
		duration = DefaultDuration
	}
	c := &Controller{client: client, ca: ca, duration: duration, now: time.Now, csrs: csrs.Lister(), synced: csrs.Informer().HasSynced}
	c.queue = queue.New(Name, c.sync)
	enqueue := func(obj any) {
		if r, ok := obj.(*certificatesv1.CertificateSigningRequest); ok {
			c.queue.Add(r.Name)
		}
	}
	_, _ = csrs.Informer().AddEventHandler(cache.ResourceEventHandlerFuncs{AddFunc: enqueue, UpdateFunc: func(_, obj any) { enqueue(obj) }})
	return c
}

// Run signs until ctx is done.
func (c *Controller) Run(ctx context.Context, workers int) {
	klog.FromContext(ctx).Info("Starting controller", "controller", Name)
	c.queue.Run(ctx, workers, c.synced)
}

func (c *Controller) sync(ctx context.Context, name string) (time.Duration, error) {
	csr, err := c.csrs.Get(name)
	if apierrors.IsNotFound(err) {
		return 0, nil
	}
	if err != nil {
		return 0, err
	}
	if len(csr.Status.Certificate) > 0 || !condition(csr, certificatesv1.CertificateApproved) || condition(csr, certificatesv1.CertificateFailed) {
		return 0, nil
	}
	var validate func(*x509.CertificateRequest, []certificatesv1.KeyUsage) error
	switch csr.Spec.SignerName {
	case certificatesv1.KubeAPIServerClientKubeletSignerName:
		validate = certificates.ValidateKubeletClientCSR
	case certificatesv1.KubeAPIServerClientSignerName:
		validate = func(_ *x509.CertificateRequest, usages []certificatesv1.KeyUsage) error {
			return apiServerClientUsages(usages)
		}
	default:
		return 0, nil
	}
	req, err := certificates.ParseCSR(csr.Spec.Request)
	if err == nil {
		err = validate(req, csr.Spec.Usages)
	}
	csr = csr.DeepCopy()
	if err != nil {
		csr.Status.Conditions = append(csr.Status.Conditions, certificatesv1.CertificateSigningRequestCondition{
			Type: certificatesv1.CertificateFailed, Status: corev1.ConditionTrue, Reason: "SignerValidationFailure",
			Message: err.Error(), LastUpdateTime: metav1.Now(),
		})
	} else if csr.Status.Certificate, err = c.sign(req, csr.Spec.Usages, csr.Spec.ExpirationSeconds); err != nil {
		return 0, fmt.Errorf("error auto signing csr: %w", err)
	}
	if _, err := c.client.CertificatesV1().CertificateSigningRequests().UpdateStatus(ctx, csr, metav1.UpdateOptions{}); err != nil && !apierrors.IsConflict(err) {
		return 0, fmt.Errorf("error updating signature for csr: %w", err)
	}
	return 0, nil
}

// apiServerClientUsages is upstream's check for kube-apiserver-client:
// client auth, and nothing beyond digital signature and key encipherment.
func apiServerClientUsages(usages []certificatesv1.KeyUsage) error {
	hasClientAuth := false
	for _, u := range usages {
		switch u {
		case certificatesv1.UsageClientAuth:
			hasClientAuth = true
		case certificatesv1.UsageDigitalSignature, certificatesv1.UsageKeyEncipherment:
		default:
			return fmt.Errorf("invalid usage for client certificate: %s", u)
		}
	}
	if !hasClientAuth {
		return errors.New("missing required usages: client auth")
	}
	return nil
}

// sign issues the certificate: the request's subject and SANs, its usages,
// valid from backdate ago for the requested lifetime, at most the signing
// duration and never beyond the CA's own.
func (c *Controller) sign(req *x509.CertificateRequest, usages []certificatesv1.KeyUsage, expirationSeconds *int32) ([]byte, error) {
	ttl := c.duration
	if expirationSeconds != nil {
		if d := time.Duration(*expirationSeconds) * time.Second; d < ttl {
			ttl = d
		}
	}
	now := c.now()
	notAfter := now.Add(ttl)
	if notAfter.After(c.ca.Cert.NotAfter) {
		notAfter = c.ca.Cert.NotAfter
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial, Subject: req.Subject,
		DNSNames: req.DNSNames, IPAddresses: req.IPAddresses, EmailAddresses: req.EmailAddresses, URIs: req.URIs,
		NotBefore: now.Add(-backdate), NotAfter: notAfter,
		BasicConstraintsValid: true,
	}
	for _, u := range usages {
		switch u {
		case certificatesv1.UsageDigitalSignature:
			tmpl.KeyUsage |= x509.KeyUsageDigitalSignature
		case certificatesv1.UsageKeyEncipherment:
			tmpl.KeyUsage |= x509.KeyUsageKeyEncipherment
		case certificatesv1.UsageClientAuth:
			tmpl.ExtKeyUsage = append(tmpl.ExtKeyUsage, x509.ExtKeyUsageClientAuth)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, c.ca.Cert, req.PublicKey, c.ca.Key)
	if err != nil {
		return nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), nil
}

func condition(csr *certificatesv1.CertificateSigningRequest, t certificatesv1.RequestConditionType) bool {
	for _, c := range csr.Status.Conditions {
		if c.Type == t && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}
