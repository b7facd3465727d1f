package csrapproving

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509/pkix"
	"testing"

	"github.com/google/go-cmp/cmp"
	authorizationv1 "k8s.io/api/authorization/v1"
	certificatesv1 "k8s.io/api/certificates/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	k8stesting "k8s.io/client-go/testing"
	certutil "k8s.io/client-go/util/cert"
)

func request(t *testing.T, cn string, orgs ...string) []byte {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	der, err := certutil.MakeCSR(key, &pkix.Name{CommonName: cn, Organization: orgs}, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func TestSync(t *testing.T) {
	usages := []certificatesv1.KeyUsage{certificatesv1.UsageDigitalSignature, certificatesv1.UsageClientAuth}
	nodeReq := request(t, "system:node:n1", "system:nodes")
	tests := []struct {
		name string
		spec certificatesv1.CertificateSigningRequestSpec
		// allowed are the subresources the SubjectAccessReview allows.
		allowed []string
		// want is the approval message; empty: not approved. asked are
		// the subresources reviewed, in order.
		want  string
		asked []string
	}{
		{
			name:    "a bootstrap token asking for a node",
			spec:    certificatesv1.CertificateSigningRequestSpec{Request: nodeReq, SignerName: certificatesv1.KubeAPIServerClientKubeletSignerName, Usages: usages, Username: "system:bootstrap:abcdef"},
			allowed: []string{"nodeclient"}, asked: []string{"nodeclient"},
			want: "Auto approving kubelet client certificate after SubjectAccessReview.",
		},
		{
			name:    "a node renewing its own",
			spec:    certificatesv1.CertificateSigningRequestSpec{Request: nodeReq, SignerName: certificatesv1.KubeAPIServerClientKubeletSignerName, Usages: usages, Username: "system:node:n1"},
			allowed: []string{"selfnodeclient"}, asked: []string{"selfnodeclient"},
			want: "Auto approving self kubelet client certificate after SubjectAccessReview.",
		},
		{
			name:  "nobody allowed: left for an administrator",
			spec:  certificatesv1.CertificateSigningRequestSpec{Request: nodeReq, SignerName: certificatesv1.KubeAPIServerClientKubeletSignerName, Usages: usages, Username: "mallory"},
			asked: []string{"nodeclient"},
		},
		{
			name:    "not a kubelet client request",
			spec:    certificatesv1.CertificateSigningRequestSpec{Request: request(t, "alice", "system:masters"), SignerName: certificatesv1.KubeAPIServerClientKubeletSignerName, Usages: usages, Username: "system:bootstrap:abcdef"},
			allowed: []string{"nodeclient"},
		},
		{
			name:    "another signer",
			spec:    certificatesv1.CertificateSigningRequestSpec{Request: nodeReq, SignerName: certificatesv1.KubeAPIServerClientSignerName, Usages: usages, Username: "system:bootstrap:abcdef"},
			allowed: []string{"nodeclient"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			csr := &certificatesv1.CertificateSigningRequest{ObjectMeta: metav1.ObjectMeta{Name: "r"}, Spec: tt.spec}
			client := fake.NewClientset(csr)
			var asked []string
			client.PrependReactor("create", "subjectaccessreviews", func(a k8stesting.Action) (bool, runtime.Object, error) {
				sar := a.(k8stesting.CreateAction).GetObject().(*authorizationv1.SubjectAccessReview)
				sub := sar.Spec.ResourceAttributes.Subresource
				asked = append(asked, sub)
				for _, s := range tt.allowed {
					if s == sub && sar.Spec.User == tt.spec.Username {
						sar.Status.Allowed = true
					}
				}
				return true, sar, nil
			})
			f := informers.NewSharedInformerFactory(client, 0)
			c := New(client, f.Certificates().V1().CertificateSigningRequests())
			if err := f.Certificates().V1().CertificateSigningRequests().Informer().GetIndexer().Add(csr); err != nil {
				t.Fatal(err)
			}
			if _, err := c.sync(context.Background(), "r"); err != nil {
				t.Fatal(err)
			}
			got, err := client.CertificatesV1().CertificateSigningRequests().Get(context.Background(), "r", metav1.GetOptions{})
			if err != nil {
				t.Fatal(err)
			}
			message := ""
			for _, cond := range got.Status.Conditions {
				if cond.Type == certificatesv1.CertificateApproved && cond.Reason == "AutoApproved" {
					message = cond.Message
				}
			}
			if diff := cmp.Diff(tt.want, message); diff != "" {
				t.Errorf("approval (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.asked, asked); diff != "" {
				t.Errorf("reviews asked (-want +got):\n%s", diff)
			}
		})
	}
}
