// Command apiload measures an API server's throughput and latency under
// concurrent client-go clients: creates, gets and lists of configmaps, and
// the delay from a create to its watch event. hack/bench.sh runs it against
// kubeshim and against the upstream kube-apiserver, with the same arguments.
//
//	apiload --kubeconfig /tmp/data/admin.kubeconfig --clients 50 --creates 10000
//
// Every phase performs a fixed number of operations, spread over --clients
// workers that each have their own client and their own connection, with
// client-side rate limiting off so that the server is what is measured. The
// whole run is bounded by --timeout. It works in namespaces of its own
// (apiload-*), which it deletes at the end, and refuses servers that are
// not on the loopback interface.
//
// The phases, in order:
//
//	create  --creates configmaps, one POST each
//	get     --gets GETs of those configmaps
//	list    --lists full lists of a namespace of --list-size configmaps (and
//	        the kube-root-ca.crt that controllers publish in every namespace),
//	        in pages of --list-limit (one operation is a whole list)
//	watch   --watch-events configmaps created by the workers while one
//	        watch is open; the latency is from the start of the create
//	        request to the arrival of its ADDED event, the throughput is
//	        events over the time from the first create to the last event
//
// It prints one line per phase:
//
//	op       count errors     ops/s   p50_ms   p99_ms
//	create   10000      0    1443.8     29.7     90.6
//
// and exits non-zero if an operation failed.
package main
