// Package proxy is kubeshim's service proxy: kube-proxy's iptables mode
// for IPv4. It watches Services, EndpointSlices and its Node, and programs
// the nat and filter tables so that cluster IPs, node ports, external IPs
// and load balancer IPs reach the services' endpoints.
//
// The work is split so that the interesting part is pure: NewSnapshot turns
// API objects into the proxy's view, Build turns a snapshot into a Ruleset,
// and Ruleset.Payload writes the one iptables-restore --noflush input that
// takes the tables from the last applied rule set to this one (only the
// chains of service ports that changed, stale chains deleted); a full sync
// uses Ruleset.FullPayload, which compares the rules with the table's
// iptables-save listing and writes only the service ports whose chains
// differ (canon.go). Proxy.Run
// drives that from shared informers, at most once per --iptables-min-sync-period,
// and installs the jump rules from the built-in chains with go-iptables.
//
// Every chain is named KUBESHIM-*: the fixed ones (KUBESHIM-SERVICES,
// KUBESHIM-NODEPORTS, KUBESHIM-POSTROUTING, KUBESHIM-MARK-MASQ,
// KUBESHIM-EXTERNAL-SERVICES, KUBESHIM-PROXY-FORWARD, KUBESHIM-PROXY-FIREWALL,
// KUBESHIM-LOCALNET) and per service port KUBESHIM-SVC-, -SVL-, -EXT-, -FW-
// and -SEP- (per endpoint) with a 15-character hash. Cleanup removes them
// all. Services annotated proxy.kubeshim.io/node-local: "true" get no rule:
// the node agent serves them itself.
//
// A proxy in a host process:
//
//	o := proxy.NewOptions()
//	o.NodeName = "node-1"
//	config, err := o.ConfigWithClient(client, []string{"192.168.1.10"})
//	if err != nil { ... }
//	p, err := proxy.New(config)
//	if err != nil { ... }
//	go p.Run(ctx) // rules stay when ctx ends; proxy.Cleanup removes them
package proxy
