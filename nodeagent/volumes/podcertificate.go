package volumes

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"sync"
	"time"

	certificatesv1 "k8s.io/api/certificates/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/kubernetes"
	"k8s.io/klog/v2"
	"k8s.io/utils/clock"
)

// abandonAfter is how long a request the agent created may be missing
// before it makes a new one (its own create not yet visible, or deleted).
const abandonAfter = 5 * time.Minute

// podCertificates holds the credentials of podCertificate projections, as
// upstream's kubelet does: for each source of each pod, a private key the
// agent generates and a PodCertificateRequest for it, which the signer
// answers. Until it is issued the volume cannot be set up (the pod waits);
// a denied or failed request fails it for good. Once issued, the
// credentials are served until status.beginRefreshAt, when a new key is
// requested while the old one stays in use until the new one is issued.
type podCertificates struct {
	client   kubernetes.Interface
	clock    clock.Clock
	nodeName string

	mu    sync.Mutex
	creds map[podCertKey]*podCert
}

type podCertKey struct {
	podUID types.UID
	volume string
	source int
}

// podCert is one projection's state: the issued key and chain (if any), and
// the request being waited for (the first one, or a refresh).
type podCert struct {
	key, chain     []byte
	beginRefreshAt time.Time
	// final is set once a request was denied or failed.
	final error

	pendingKey     []byte
	pendingName    string
	pendingCreated time.Time
}

func newPodCertificates(client kubernetes.Interface, c clock.Clock, nodeName string) *podCertificates {
	return &podCertificates{client: client, clock: c, nodeName: nodeName, creds: map[podCertKey]*podCert{}}
}

// get returns the private key (PEM, PKCS#8) and certificate chain of the
// pod's source-th projection of volume.
func (p *podCertificates) get(ctx context.Context, pod *corev1.Pod, volume string, source int, src *corev1.PodCertificateProjection) ([]byte, []byte, error) {
	if p.client == nil {
		return nil, nil, errors.New("no API client configured")
	}
	k := podCertKey{podUID: pod.UID, volume: volume, source: source}
	p.mu.Lock()
	c := p.creds[k]
	if c == nil {
		c = &podCert{}
		p.creds[k] = c
	}
	p.mu.Unlock()
	if c.final != nil {
		return nil, nil, c.final
	}
	now := p.clock.Now()
	if c.pendingName != "" {
		if err := p.check(ctx, pod, c, now); err != nil {
			return nil, nil, err
		}
	}
	// First issuance, or time to refresh.
	if c.pendingName == "" && (c.chain == nil || !now.Before(c.beginRefreshAt)) {
		if err := p.request(ctx, pod, c, src, now); err != nil {
			if c.chain != nil {
				// The current credentials serve until a refresh works.
				klog.FromContext(ctx).Error(err, "Refreshing pod certificate", "volume", volume)
				return c.key, c.chain, nil
			}
			return nil, nil, err
		}
	}
	if c.chain == nil {
		return nil, nil, errors.New("credential bundle is not issued yet")
	}
	return c.key, c.chain, nil
}

// check reads the pending request's answer.
func (p *podCertificates) check(ctx context.Context, pod *corev1.Pod, c *podCert, now time.Time) error {
	pcr, err := p.client.CertificatesV1().PodCertificateRequests(pod.Namespace).Get(ctx, c.pendingName, metav1.GetOptions{})
	if apierrors.IsNotFound(err) && now.Sub(c.pendingCreated) > abandonAfter {
		name := c.pendingName
		c.pendingKey, c.pendingName = nil, ""
		return fmt.Errorf("PodCertificateRequest %q appears to have been deleted", pod.Namespace+"/"+name)
	}
	if err != nil {
		return fmt.Errorf("while getting PodCertificateRequest %q: %w", pod.Namespace+"/"+c.pendingName, err)
	}
	for _, cond := range pcr.Status.Conditions {
		switch cond.Type {
		case certificatesv1.PodCertificateRequestConditionTypeDenied:
			c.final = fmt.Errorf("PodCertificateRequest was permanently denied: reason=%q message=%q", cond.Reason, cond.Message)
			return c.final
		case certificatesv1.PodCertificateRequestConditionTypeFailed:
			c.final = fmt.Errorf("PodCertificateRequest was permanently failed: reason=%q message=%q", cond.Reason, cond.Message)
			return c.final
		case certificatesv1.PodCertificateRequestConditionTypeIssued:
			c.key, c.chain = c.pendingKey, cleanChain([]byte(pcr.Status.CertificateChain))
			if pcr.Status.BeginRefreshAt != nil {
				c.beginRefreshAt = pcr.Status.BeginRefreshAt.Time
			}
			c.pendingKey, c.pendingName = nil, ""
			return nil
		}
	}
	return nil
}

// request makes a new key and asks for its certificate.
func (p *podCertificates) request(ctx context.Context, pod *corev1.Pod, c *podCert, src *corev1.PodCertificateProjection, now time.Time) error {
	saName := pod.Spec.ServiceAccountName
	if saName == "" {
		saName = "default"
	}
	sa, err := p.client.CoreV1().ServiceAccounts(pod.Namespace).Get(ctx, saName, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("while fetching service account: %w", err)
	}
	node, err := p.client.CoreV1().Nodes().Get(ctx, p.nodeName, metav1.GetOptions{})
	if err != nil {
		return fmt.Errorf("while getting node object: %w", err)
	}
	key, stub, err := newKeyAndStub(src.KeyType)
	if err != nil {
		return fmt.Errorf("while generating keypair: %w", err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return fmt.Errorf("while PEM-encoding private key: %w", err)
	}
	pcr := &certificatesv1.PodCertificateRequest{
		ObjectMeta: metav1.ObjectMeta{
			Namespace: pod.Namespace, GenerateName: "req-",
			// Deleted with the pod by the garbage collector.
			OwnerReferences: []metav1.OwnerReference{{APIVersion: "v1", Kind: "Pod", Name: pod.Name, UID: pod.UID}},
		},
		Spec: certificatesv1.PodCertificateRequestSpec{
			SignerName: src.SignerName,
			PodName:    pod.Name, PodUID: pod.UID,
			ServiceAccountName: saName, ServiceAccountUID: sa.UID,
			NodeName: types.NodeName(p.nodeName), NodeUID: node.UID,
			MaxExpirationSeconds:      src.MaxExpirationSeconds,
			StubPKCS10Request:         stub,
			UnverifiedUserAnnotations: src.UserAnnotations,
		},
	}
	created, err := p.client.CertificatesV1().PodCertificateRequests(pod.Namespace).Create(ctx, pcr, metav1.CreateOptions{})
	if err != nil {
		return fmt.Errorf("while creating PodCertificateRequest: %w", err)
	}
	klog.FromContext(ctx).V(4).Info("PodCertificateRequest created", "request", klog.KObj(created), "signer", src.SignerName)
	c.pendingKey = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der})
	c.pendingName, c.pendingCreated = created.Name, now
	return nil
}

// forget drops a pod's credentials.
func (p *podCertificates) forget(podUID types.UID) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for k := range p.creds {
		if k.podUID == podUID {
			delete(p.creds, k)
		}
	}
}

// newKeyAndStub generates a key of one of the API's key types and the stub
// PKCS#10 request (empty but signed with it) that proves its possession.
func newKeyAndStub(keyType string) (crypto.Signer, []byte, error) {
	var key crypto.Signer
	var err error
	switch keyType {
	case "RSA3072":
		key, err = rsa.GenerateKey(rand.Reader, 3072)
	case "RSA4096":
		key, err = rsa.GenerateKey(rand.Reader, 4096)
	case "ECDSAP256":
		key, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	case "ECDSAP384":
		key, err = ecdsa.GenerateKey(elliptic.P384(), rand.Reader)
	case "ECDSAP521":
		key, err = ecdsa.GenerateKey(elliptic.P521(), rand.Reader)
	case "ED25519":
		_, key, err = ed25519.GenerateKey(rand.Reader)
	default:
		return nil, nil, fmt.Errorf("unknown key type %q", keyType)
	}
	if err != nil {
		return nil, nil, err
	}
	stub, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{}, key)
	if err != nil {
		return nil, nil, fmt.Errorf("while generating stub PKCS#10 request: %w", err)
	}
	return key, stub, nil
}

// cleanChain keeps the chain's PEM blocks, as CERTIFICATE blocks without
// headers or text between them.
func cleanChain(in []byte) []byte {
	var out bytes.Buffer
	for {
		var b *pem.Block
		if b, in = pem.Decode(in); b == nil {
			return out.Bytes()
		}
		out.Write(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: b.Bytes}))
	}
}
