package e2e

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"
)

// The service tests route real traffic through the proxy's rules and ask
// the cluster DNS from inside pods. Every address involved is the node's
// own or a pod's: nothing leaves the host.

// backendsYAML is n pods labelled app=<app> that serve their own name on
// :8080 and are ready while /tmp/ready exists.
func backendsYAML(app string, n int) string {
	var b strings.Builder
	for i := 0; i < n; i++ {
		fmt.Fprintf(&b, `---
apiVersion: v1
kind: Pod
metadata: {name: %[1]s-%[2]d, labels: {app: %[1]s}}
spec:
  hostname: %[1]s-%[2]d
  subdomain: %[1]s-headless
  terminationGracePeriodSeconds: 1
  containers:
  - name: web
    image: %[3]s
    command: [sh, -c, "touch /tmp/ready; mkdir -p /www; hostname > /www/index.html; exec httpd -f -p 8080 -h /www"]
    ports: [{name: http, containerPort: 8080}]
    readinessProbe:
      exec: {command: [test, -f, /tmp/ready]}
      periodSeconds: 1
      failureThreshold: 1
`, app, i, busybox)
	}
	return b.String()
}

const clientPodYAML = `apiVersion: v1
kind: Pod
metadata: {name: client}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - {name: client, image: ` + busybox + `, command: [sleep, "3600"]}
`

// startBackends creates the backends, a ClusterIP service web (port 80 to
// the named port http), a headless service web-headless and the client pod,
// and waits for them to be ready.
func startBackends(t *testing.T, k *kubectl, n int) {
	t.Helper()
	k.okIn(t, backendsYAML("web", n)+"---\n"+clientPodYAML+`---
apiVersion: v1
kind: Service
metadata: {name: web}
spec:
  selector: {app: web}
  ports: [{name: http, port: 80, targetPort: http}]
---
apiVersion: v1
kind: Service
metadata: {name: web-headless}
spec:
  clusterIP: None
  selector: {app: web}
  ports: [{name: http, port: 8080}]
`, "apply", "-f", "-")
	if r := k.run(t, "", "wait", "--for=condition=Ready", "pod", "--all", "--timeout=60s"); r.err != nil {
		t.Fatalf("%v\n%s", r, k.run(t, "", "describe", "pods").stdout)
	}
}

// fetchFromClient runs wget in the client pod and returns the body.
func fetchFromClient(t *testing.T, k *kubectl, url string) (string, error) {
	t.Helper()
	// timeout(1), not wget -T: busybox 1.35's static wget crashes on -T.
	r := k.run(t, "", "exec", "client", "--", "timeout", "3", "wget", "-q", "-O", "-", url)
	if r.err != nil {
		return "", fmt.Errorf("%v", r)
	}
	return strings.TrimSpace(r.stdout), nil
}

// answering returns the backends that answered url in tries requests.
func answering(t *testing.T, k *kubectl, url string, tries int) map[string]int {
	t.Helper()
	// One exec runs every request: the loop takes well under a second,
	// so a change of the backends is seen when it happens, not an exec
	// round trip per request later.
	script := fmt.Sprintf(`for i in $(seq %d); do timeout 3 wget -q -O - %s || echo error; done`, tries, url)
	r := k.run(t, "", "exec", "client", "--", "sh", "-c", script)
	got := map[string]int{}
	if r.err != nil {
		got["error"] = tries
		return got
	}
	for _, line := range strings.Split(strings.TrimSpace(r.stdout), "\n") {
		got[strings.TrimSpace(line)]++
	}
	return got
}

func TestServiceClusterIPSpreadsOverBackends(t *testing.T) {
	forEachNodeKubectl(t, func(t *testing.T, k *kubectl) {
		startBackends(t, k, 3)
		url := "http://web." + k.namespace + "/"
		// Endpoint slices and rules follow the pods' readiness.
		succeedsWithin(t, 20*time.Second, func() error {
			_, err := fetchFromClient(t, k, url)
			return err
		})
		got := answering(t, k, url, 30)
		if got["error"] > 0 || len(got) < 2 {
			t.Errorf("30 requests to %s answered by %v, want no errors and at least two backends", url, got)
		}
		// The host reaches the cluster IP too (the OUTPUT chain).
		ip := k.jsonpath(t, "service/web", "{.spec.clusterIP}")
		succeedsWithin(t, 10*time.Second, func() error {
			return expectHTTPPrefix("http://"+ip+"/", "web-")
		})

		// A backend that stops being ready leaves the rotation. The
		// time it takes is logged, not asserted: it depends on the
		// probe period and the machine's load.
		k.ok(t, "exec", "web-0", "--", "rm", "/tmp/ready")
		start := time.Now()
		succeedsWithin(t, 30*time.Second, func() error {
			if got := answering(t, k, url, 12); got["web-0"] > 0 || got["error"] > 0 {
				return fmt.Errorf("answers %v still include web-0 or errors", got)
			}
			return nil
		})
		t.Logf("unready web-0 left the rotation within %s (probe period 1s)", time.Since(start).Round(100*time.Millisecond))

		// A deleted service stops answering, from pods and from the host.
		k.ok(t, "delete", "service", "web")
		succeedsWithin(t, 20*time.Second, func() error {
			if body, err := fetchFromClient(t, k, "http://"+ip+"/"); err == nil {
				return fmt.Errorf("deleted service still answered %q", body)
			}
			return nil
		})
		if err := expectHTTPPrefix("http://"+ip+"/", "web-"); err == nil {
			t.Errorf("deleted service %s still answers the host", ip)
		}
	})
}

// httpGet fetches url from the host with a short timeout.
func httpGet(url string) (string, error) {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return string(b), err
}

// expectHTTPPrefix fetches url from the host and checks the body's start.
func expectHTTPPrefix(url, prefix string) error {
	body, err := httpGet(url)
	if err != nil {
		return err
	}
	if !strings.HasPrefix(body, prefix) {
		return fmt.Errorf("GET %s: got %q, want it to start with %q", url, body, prefix)
	}
	return nil
}

func TestServiceNodePort(t *testing.T) {
	forEachNodeKubectl(t, func(t *testing.T, k *kubectl) {
		startBackends(t, k, 2)
		k.ok(t, "create", "service", "nodeport", "web-np", "--tcp=80:8080")
		// kubectl create service sets the selector app=<name>.
		k.ok(t, "set", "selector", "service/web-np", "app=web")
		port := k.jsonpath(t, "service/web-np", "{.spec.ports[0].nodePort}")
		addr := k.jsonpath(t, "node", `{.items[0].status.addresses[?(@.type=="InternalIP")].address}`)
		if net.ParseIP(addr) == nil {
			t.Fatalf("node InternalIP %q", addr)
		}
		// The node's own address: the packet goes through the host's
		// OUTPUT chain and never onto the wire.
		url := "http://" + net.JoinHostPort(addr, port) + "/"
		succeedsWithin(t, 20*time.Second, func() error { return expectHTTPPrefix(url, "web-") })
		// And from a pod, through the node address.
		succeedsWithin(t, 10*time.Second, func() error {
			body, err := fetchFromClient(t, k, url)
			if err == nil && !strings.HasPrefix(body, "web-") {
				err = fmt.Errorf("got %q", body)
			}
			return err
		})
	})
}

// nslookup runs busybox's nslookup in the client pod against the cluster
// DNS and returns what it printed. Its exit code is not the answer's: it
// tries every search domain and fails when one of them is NXDOMAIN.
func nslookup(t *testing.T, k *kubectl, args ...string) string {
	t.Helper()
	r := k.run(t, "", append([]string{"exec", "client", "--", "nslookup"}, args...)...)
	return r.stdout + r.stderr
}

func TestClusterDNS(t *testing.T) {
	forEachNodeKubectl(t, func(t *testing.T, k *kubectl) {
		startBackends(t, k, 2)
		k.ok(t, "create", "service", "externalname", "ext", "--external-name=backend.example.invalid")
		ns := k.namespace
		clusterIP := k.jsonpath(t, "service/web", "{.spec.clusterIP}")
		var podIPs []string
		for _, p := range []string{"web-0", "web-1"} {
			podIPs = append(podIPs, k.jsonpath(t, "pod/"+p, "{.status.podIP}"))
		}
		sort.Strings(podIPs)

		// The pod's resolv.conf names the cluster DNS and the search path.
		resolv := k.ok(t, "exec", "client", "--", "cat", "/etc/resolv.conf")
		for _, want := range []string{"nameserver 10.96.0.10", "search " + ns + ".svc.cluster.local svc.cluster.local cluster.local", "options ndots:5"} {
			if !strings.Contains(resolv, want) {
				t.Errorf("resolv.conf lacks %q:\n%s", want, resolv)
			}
		}
		cases := []struct {
			name string
			args []string
			want []string
		}{
			{"service FQDN", []string{"web." + ns + ".svc.cluster.local"}, []string{clusterIP}},
			{"service short name via search path", []string{"web"}, []string{clusterIP}},
			{"headless service", []string{"web-headless." + ns + ".svc.cluster.local"}, podIPs},
			{"statefulset-style hostname", []string{"web-0.web-headless." + ns + ".svc.cluster.local"}, []string{k.jsonpath(t, "pod/web-0", "{.status.podIP}")}},
			{"pod A record", []string{strings.ReplaceAll(podIPs[0], ".", "-") + "." + ns + ".pod.cluster.local"}, []string{podIPs[0]}},
			{"SRV of a named port", []string{"-type=SRV", "_http._tcp.web." + ns + ".svc.cluster.local"}, []string{"80 web." + ns + ".svc.cluster.local"}},
			{"ExternalName", []string{"-type=CNAME", "ext." + ns + ".svc.cluster.local"}, []string{"backend.example.invalid"}},
			{"PTR of the cluster IP", []string{clusterIP}, []string{"web." + ns + ".svc.cluster.local"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				out := nslookup(t, k, c.args...)
				for _, w := range c.want {
					if !strings.Contains(out, w) {
						t.Errorf("nslookup %s: output lacks %q:\n%s", strings.Join(c.args, " "), w, out)
					}
				}
			})
		}
		// A name that does not exist is NXDOMAIN.
		if out := nslookup(t, k, "nothere."+ns+".svc.cluster.local"); !strings.Contains(out, "NXDOMAIN") {
			t.Errorf("nslookup of a missing service did not say NXDOMAIN:\n%s", out)
		}
	})
}
