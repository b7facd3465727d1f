package dns_test

import (
	"context"
	"fmt"

	"github.com/miekg/dns"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes/fake"

	clusterdns "github.com/kubeshim/kubeshim/proxy/dns"
)

// ExampleServer serves one service from a fake clientset on a free loopback port and
// looks it up.
func ExampleServer() {
	client := fake.NewClientset(&corev1.Service{
		ObjectMeta: metav1.ObjectMeta{Namespace: "default", Name: "web"},
		Spec: corev1.ServiceSpec{
			ClusterIP:  "10.96.0.20",
			ClusterIPs: []string{"10.96.0.20"},
			Ports:      []corev1.ServicePort{{Name: "http", Port: 80, Protocol: corev1.ProtocolTCP}},
		},
	})
	srv, err := clusterdns.New(clusterdns.Config{
		Client: client,
		Listen: []string{"127.0.0.1:0"},
		// No Upstreams: names outside cluster.local get SERVFAIL.
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- srv.Run(ctx) }()
	defer func() {
		cancel()
		<-errc
	}()
	select {
	case <-srv.Ready():
	case err := <-errc:
		fmt.Println(err)
		return
	}

	for _, q := range []struct {
		name  string
		qtype uint16
	}{
		{"web.default.svc.cluster.local.", dns.TypeA},
		{"_http._tcp.web.default.svc.cluster.local.", dns.TypeSRV},
		{"missing.default.svc.cluster.local.", dns.TypeA},
		{"example.com.", dns.TypeA},
	} {
		m := new(dns.Msg)
		m.SetQuestion(q.name, q.qtype)
		resp, err := dns.Exchange(m, srv.Addrs()[0])
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Println(q.name, dns.RcodeToString[resp.Rcode])
		for _, rr := range resp.Answer {
			switch rr := rr.(type) {
			case *dns.A:
				fmt.Println("  A", rr.A)
			case *dns.SRV:
				fmt.Println("  SRV", rr.Port, rr.Target)
			}
		}
	}
	// Output:
	// web.default.svc.cluster.local. NOERROR
	//   A 10.96.0.20
	// _http._tcp.web.default.svc.cluster.local. NOERROR
	//   SRV 80 web.default.svc.cluster.local.
	// missing.default.svc.cluster.local. NXDOMAIN
	// example.com. SERVFAIL
}
