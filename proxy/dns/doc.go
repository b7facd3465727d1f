// Package dns is the cluster DNS: it answers the names of the Kubernetes DNS-based
// service discovery specification (github.com/kubernetes/dns, docs/specification.md) as
// CoreDNS's kubernetes plugin answers them with kubeadm's Corefile (`pods insecure`,
// `ttl 30`, `fallthrough in-addr.arpa ip6.arpa`, `forward . <resolv.conf>`,
// `loadbalance`), and forwards every other name to the host's nameservers.
//
// Records come from Service and EndpointSlice informers whose caches are indexed by
// service, by cluster IP and by endpoint address, so a query is a few map lookups and
// never a request to the API server:
//
//	<svc>.<ns>.svc.<domain>                 A/AAAA: cluster IPs; headless: published endpoints
//	<host>.<svc>.<ns>.svc.<domain>          A/AAAA: endpoint by hostname or a-b-c-d
//	_<port>._<proto>.<svc>.<ns>.svc.<domain> SRV for a named port (a bare service name: all)
//	<svc>.<ns>.svc.<domain>                 CNAME for an ExternalName service
//	a-b-c-d.<ns>.pod.<domain>               A/AAAA: the address in the name
//	d.c.b.a.in-addr.arpa, ….ip6.arpa        PTR: the service of a cluster IP, or endpoints
//	<domain>                                SOA, NS
//	dns-version.<domain>                    TXT "1.1.0"
//
// A published endpoint is a ready one (unknown readiness counts as ready), or any one
// when its service publishes not-ready addresses.
//
// Use it as every long-running kubeshim role:
//
//	srv, err := dns.New(dns.Config{
//		Client:    client,
//		Listen:    []string{net.JoinHostPort(nodeIP, "53")},
//		Upstreams: upstreams, // from dns.Upstreams("/etc/resolv.conf"), or none
//	})
//	if err != nil {
//		return err
//	}
//	errc := make(chan error, 1)
//	go func() { errc <- srv.Run(ctx) }() // serves until ctx is done
//	select {
//	case <-srv.Ready(): // listening on every address, caches synced
//	case err := <-errc: // could not listen
//		return err
//	}
//
// ExampleServer in example_test.go runs this against a fake clientset.
package dns
