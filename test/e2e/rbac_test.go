package e2e

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestRBAC drives RBAC with stock kubectl: can-i as the admin and as an
// impersonated user before and after `create role` and `create
// rolebinding`, and a service account token from `create token` that is
// refused until a binding names the account.
func TestRBAC(t *testing.T) {
	forEachKubectl(t, func(t *testing.T, k *kubectl) {
		// The admin (system:masters) holds cluster-admin's rules.
		if out := k.ok(t, "auth", "can-i", "--list"); !hasRow(out, "*.*", "[]", "[]", "[*]") {
			t.Errorf("admin's can-i --list has no *.* row allowing everything:\n%s", out)
		}

		// alice holds nothing in the namespace until bound.
		if r := k.run(t, "", "auth", "can-i", "create", "pods", "--as", "alice"); r.code != 1 || strings.TrimSpace(r.stdout) != "no" {
			t.Errorf("can-i create pods as alice before the binding: want no (exit 1), got %v", r)
		}
		k.ok(t, "create", "role", "pod-creator", "--verb=create,get,list", "--resource=pods")
		k.ok(t, "create", "rolebinding", "alice-pod-creator", "--role=pod-creator", "--user=alice")
		if !eventually(30*time.Second, func() bool {
			r := k.run(t, "", "auth", "can-i", "create", "pods", "--as", "alice")
			return r.err == nil && strings.TrimSpace(r.stdout) == "yes"
		}) {
			t.Errorf("can-i create pods as alice after the binding: never yes, last %v", k.run(t, "", "auth", "can-i", "create", "pods", "--as", "alice"))
		}
		if out := k.ok(t, "auth", "can-i", "--list", "--as", "alice"); !hasRow(out, "pods", "[]", "[]", "[create get list]") {
			t.Errorf("alice's can-i --list has no pods row:\n%s", out)
		}
		if r := k.run(t, "", "auth", "can-i", "delete", "pods", "--as", "alice"); strings.TrimSpace(r.stdout) != "no" {
			t.Errorf("can-i delete pods as alice: want no, got %v", r)
		}
		k.fails(t, `pods "nothing" is forbidden: User "alice" cannot delete resource "pods" in API group "" in the namespace "`+k.namespace+`"`,
			"delete", "pod", "nothing", "--as", "alice")

		// A service account token authenticates the account, which has
		// no rules here until bound.
		token := strings.TrimSpace(k.ok(t, "create", "token", "default"))
		sa := k.withEnv("KUBECONFIG=" + tokenKubeconfig(t, k, token))
		user := "system:serviceaccount:" + k.namespace + ":default"
		sa.fails(t, `pods is forbidden: User "`+user+`" cannot list resource "pods" in API group "" in the namespace "`+k.namespace+`"`, "get", "pods")
		if k.version != "1.27" { // `auth whoami` came with kubectl 1.28
			if out := sa.ok(t, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username}"); out != user {
				t.Errorf("whoami with the token: %q, want %q", out, user)
			}
		}
		k.ok(t, "create", "rolebinding", "default-view", "--clusterrole=view", "--serviceaccount="+k.namespace+":default")
		if !eventually(30*time.Second, func() bool { return sa.run(t, "", "get", "pods").err == nil }) {
			t.Errorf("get pods with the token after binding view: %v", sa.run(t, "", "get", "pods"))
		}
		sa.fails(t, `pods is forbidden: User "`+user+`" cannot create resource "pods"`, "run", "p", "--image=registry.k8s.io/pause:3.10")
	})
}

// hasRow reports whether a `kubectl auth can-i --list` table has a row
// with exactly these columns.
func hasRow(out string, columns ...string) bool {
	for _, line := range strings.Split(out, "\n") {
		if strings.Join(strings.Fields(line), " ") == strings.Join(columns, " ") {
			return true
		}
	}
	return false
}

// tokenKubeconfig writes a kubeconfig for k's server that authenticates
// with token alone, in k's namespace.
func tokenKubeconfig(t *testing.T, k *kubectl, token string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "token.kubeconfig")
	host := strings.TrimSpace(k.ok(t, "config", "view", "--minify", "-o", "jsonpath={.clusters[0].cluster.server}"))
	ca := strings.TrimSpace(k.ok(t, "config", "view", "--minify", "--raw", "-o", "jsonpath={.clusters[0].cluster.certificate-authority-data}"))
	config := fmt.Sprintf(`apiVersion: v1
kind: Config
clusters:
- name: kubeshim
  cluster:
    server: %s
    certificate-authority-data: %s
users:
- name: sa
  user:
    token: %s
contexts:
- name: sa
  context:
    cluster: kubeshim
    user: sa
    namespace: %s
current-context: sa
`, host, ca, token, k.namespace)
	if err := os.WriteFile(path, []byte(config), 0o600); err != nil {
		t.Fatalf("write kubeconfig: %v", err)
	}
	return path
}

// TestInClusterConfig: a pod's own credentials reach the API: the token,
// CA bundle and namespace of its kube-api-access volume, read by client-go's
// in-cluster config (stock kubectl's, run in the pod with no kubeconfig).
// The pod lists pods once `create role` and `create rolebinding` allow its
// service account to, and is refused before.
//
// The test cluster's API server listens on 127.0.0.1 only (nothing here may
// answer the network), which a pod's network namespace cannot reach through
// the kubernetes service: the pod runs in the host's network and names
// 127.0.0.1 in KUBERNETES_SERVICE_HOST/PORT, the variables in-cluster
// config reads. What differs from a pod on a real node is the route, not
// the credentials.
func TestInClusterConfig(t *testing.T) {
	forEachNodeKubectl(t, func(t *testing.T, k *kubectl) {
		s := nodeCluster(t)
		run := func(name string) (string, string) {
			t.Helper()
			k.okIn(t, fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: %s}
spec:
  hostNetwork: true
  restartPolicy: Never
  containers:
  - name: c
    image: %s
    command: [sh, -c, '/kubectl get pods -o name 2>&1; echo "exit=$?"; /kubectl auth whoami -o jsonpath="{.status.userInfo.username}"']
    env:
    - {name: KUBERNETES_SERVICE_HOST, value: 127.0.0.1}
    - {name: KUBERNETES_SERVICE_PORT, value: "%d"}
    volumeMounts: [{name: kubectl, mountPath: /kubectl, readOnly: true}]
  volumes:
  - name: kubectl
    hostPath: {path: %s, type: File}
`, name, busybox, s.port, kubectlPath(t, "1.33")), "apply", "-f", "-")
			succeedsWithin(t, 60*time.Second, func() error {
				if phase := k.jsonpath(t, "pod/"+name, "{.status.phase}"); phase != "Succeeded" {
					return fmt.Errorf("pod %s is %s, want Succeeded", name, phase)
				}
				return nil
			})
			// kubectl's error goes to stdout (2>&1): the log keeps the
			// order within a stream, not between stdout and stderr.
			out := k.ok(t, "logs", name)
			list, whoami, _ := strings.Cut(out, "exit=")
			return list, whoami
		}
		user := "system:serviceaccount:" + k.namespace + ":default"

		list, rest := run("refused")
		if !strings.Contains(list, `pods is forbidden: User "`+user+`" cannot list resource "pods" in API group "" in the namespace "`+k.namespace+`"`) ||
			!strings.HasPrefix(rest, "1") {
			t.Errorf("listing pods before the binding: %q, exit %q; want forbidden for %s", list, rest, user)
		}
		if !strings.HasSuffix(strings.TrimSpace(rest), user) {
			t.Errorf("auth whoami in the pod: %q, want %s", rest, user)
		}

		k.ok(t, "create", "role", "pod-reader", "--verb=list", "--resource=pods")
		k.ok(t, "create", "rolebinding", "pod-reader", "--role=pod-reader", "--serviceaccount="+k.namespace+":default")
		list, rest = run("allowed")
		if !strings.Contains(list, "pod/refused") || !strings.Contains(list, "pod/allowed") || !strings.HasPrefix(rest, "0") {
			t.Errorf("listing pods after the binding: %q, exit %q; want both pods", list, rest)
		}
	})
}

// TestNodeKubeconfig: `kubeshim kubeconfig` issues a node's credentials
// (system:node:<name> in system:nodes); with them stock kubectl lists the
// node's own pods, not every pod, and no Secret, as the Node authorizer
// allows upstream's kubelets.
func TestNodeKubeconfig(t *testing.T) {
	s := sharedServer(t)
	binary, err := serverBinary()
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(binary, "kubeconfig", "--data-dir", filepath.Join(s.dir, "data"),
		"--user", "system:node:kubeconfig-test", "--group", "system:nodes").Output()
	if err != nil {
		t.Fatalf("kubeshim kubeconfig: %v", err)
	}
	path := filepath.Join(t.TempDir(), "node.kubeconfig")
	if err := os.WriteFile(path, out, 0o600); err != nil {
		t.Fatal(err)
	}
	if r, err := exec.Command(binary, "kubeconfig", "--data-dir", t.TempDir(), "--user", "x").CombinedOutput(); err == nil || !strings.Contains(string(r), "read the admin kubeconfig") {
		t.Errorf("kubeshim kubeconfig on a dir that is no server's: %v, %s; want an error saying so", err, r)
	}
	forEachKubectl(t, func(t *testing.T, k *kubectl) {
		node := k.withEnv("KUBECONFIG=" + path)
		if k.version != "1.27" { // `auth whoami` came with kubectl 1.28
			if got := node.ok(t, "auth", "whoami", "-o", "jsonpath={.status.userInfo.username} {.status.userInfo.groups}"); !strings.HasPrefix(got, "system:node:kubeconfig-test ") || !strings.Contains(got, "system:nodes") {
				t.Errorf("whoami with the node kubeconfig: %q", got)
			}
		}
		node.fails(t, `pods is forbidden: User "system:node:kubeconfig-test" cannot list resource "pods" in API group "" at the cluster scope: node: can only list/watch pods with spec.nodeName field selector`,
			"get", "pods", "-A")
		node.ok(t, "get", "pods", "-A", "--field-selector", "spec.nodeName=kubeconfig-test")
		node.fails(t, `secrets is forbidden: User "system:node:kubeconfig-test" cannot list resource "secrets" in API group "" in the namespace "`+k.namespace+`"`,
			"get", "secrets", "-n", k.namespace)
		node.fails(t, `nodes "kubeconfig-test" not found`, "get", "node", "kubeconfig-test")
	})
}
