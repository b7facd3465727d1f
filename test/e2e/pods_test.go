package e2e

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestPodRunLogs(t *testing.T) {
	forEachNodeKubectl(t, func(t *testing.T, k *kubectl) {
		k.ok(t, "run", "hello", "--image="+busybox, "--restart=Never", "--env=WHO=world", "--", "sh", "-c", "echo hello $WHO; echo from $(hostname)")
		k.waitFor(t, "pod/hello", "jsonpath={.status.phase}=Succeeded")
		if got, want := k.ok(t, "logs", "hello"), "hello world\nfrom hello\n"; got != want {
			t.Errorf("logs: got %q, want %q", got, want)
		}
		k.expectJSONPath(t, "pod/hello", "{.status.containerStatuses[0].state.terminated.reason}", "Completed")
		if ip := k.jsonpath(t, "pod/hello", "{.status.hostIP}"); ip == "" {
			t.Errorf("no hostIP")
		}
	})
}

func TestPodLogsFollowAndOptions(t *testing.T) {
	forEachNodeKubectl(t, func(t *testing.T, k *kubectl) {
		k.ok(t, "run", "counter", "--image="+busybox, "--restart=Never", "--", "sh", "-c", "for i in 1 2 3 4 5; do echo line $i; sleep 0.3; done")
		k.waitFor(t, "pod/counter", "condition=Ready")
		// -f follows until the container ends, so it sees every line.
		if got := k.ok(t, "logs", "-f", "counter"); got != "line 1\nline 2\nline 3\nline 4\nline 5\n" {
			t.Errorf("logs -f: got %q", got)
		}
		if got := k.ok(t, "logs", "--tail=2", "counter"); got != "line 4\nline 5\n" {
			t.Errorf("logs --tail=2: got %q", got)
		}
		ts := k.ok(t, "logs", "--timestamps", "--tail=1", "counter")
		if !regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d+Z line 5\n$`).MatchString(ts) {
			t.Errorf("logs --timestamps: got %q", ts)
		}
		if got := k.ok(t, "logs", "--limit-bytes=4", "counter"); got != "line" {
			t.Errorf("logs --limit-bytes=4: got %q", got)
		}
	})
}

func TestPodExec(t *testing.T) {
	s := nodeCluster(t)
	for _, version := range kubectlVersions {
		for _, ws := range []string{"false", "true"} {
			t.Run(fmt.Sprintf("kubectl-%s/websockets=%s", version, ws), func(t *testing.T) {
				k := newKubectl(t, version, s).withEnv("KUBECTL_REMOTE_COMMAND_WEBSOCKETS=" + ws)
				k.namespace = namespaceName(t)
				k.createNamespace(t, k.namespace)
				defer k.run(t, "", "delete", "namespace", k.namespace, "--wait=false")
				k.ok(t, "run", "sleeper", "--image="+busybox, "--", "sleep", "3600")
				k.waitFor(t, "pod/sleeper", "condition=Ready")
				if got := k.ok(t, "exec", "sleeper", "--", "sh", "-c", "echo $((6*7)); echo err >&2"); got != "42\n" {
					t.Errorf("exec: got %q", got)
				}
				r := k.run(t, "", "exec", "sleeper", "--", "sh", "-c", "exit 3")
				if r.code != 3 {
					t.Errorf("exec exit 3: got %v", r)
				}
				if got := k.okIn(t, "from stdin\n", "exec", "-i", "sleeper", "--", "cat"); got != "from stdin\n" {
					t.Errorf("exec -i cat: got %q", got)
				}
				// kubectl cp goes through exec and tar.
				src := filepath.Join(t.TempDir(), "file.txt")
				os.WriteFile(src, []byte("copied\n"), 0o644)
				k.ok(t, "cp", src, k.namespace+"/sleeper:/tmp/file.txt")
				if got := k.ok(t, "exec", "sleeper", "--", "cat", "/tmp/file.txt"); got != "copied\n" {
					t.Errorf("cp then cat: got %q", got)
				}
				back := filepath.Join(t.TempDir(), "back.txt")
				k.ok(t, "cp", k.namespace+"/sleeper:/tmp/file.txt", back)
				if b, _ := os.ReadFile(back); string(b) != "copied\n" {
					t.Errorf("cp back: got %q", b)
				}
			})
		}
	}
}

func TestPodAttach(t *testing.T) {
	forEachNodeKubectl(t, func(t *testing.T, k *kubectl) {
		k.ok(t, "run", "talker", "--image="+busybox, "--", "sh", "-c", "i=0; while true; do i=$((i+1)); echo tick $i; sleep 0.2; done")
		k.waitFor(t, "pod/talker", "condition=Ready")
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		cmd := k.command(ctx, "attach", "talker")
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cmd.Process.Kill(); cmd.Wait() }()
		sc := bufio.NewScanner(out)
		for i := 0; i < 2; i++ {
			if !sc.Scan() {
				t.Fatalf("attach: no output: %v", sc.Err())
			}
			if !strings.HasPrefix(sc.Text(), "tick ") {
				t.Errorf("attach: got %q", sc.Text())
			}
		}
	})
}

func TestPodPortForwardAndPodIP(t *testing.T) {
	forEachNodeKubectl(t, func(t *testing.T, k *kubectl) {
		k.ok(t, "run", "web", "--image="+busybox, "--port=8080", "--", "sh", "-c", "mkdir -p /www && echo served > /www/index.html && httpd -f -p 8080 -h /www")
		k.waitFor(t, "pod/web", "condition=Ready")
		// The pod's IP is reachable from the host.
		ip := k.jsonpath(t, "pod/web", "{.status.podIP}")
		succeedsWithin(t, 10*time.Second, func() error { return expectHTTP("http://"+ip+":8080/", "served\n") })

		port, err := freePort()
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := k.command(ctx, "port-forward", "pod/web", fmt.Sprintf("%d:8080", port))
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer func() { cmd.Process.Kill(); cmd.Wait() }()
		succeedsWithin(t, 10*time.Second, func() error { return expectHTTP(fmt.Sprintf("http://127.0.0.1:%d/", port), "served\n") })
	})
}

func expectHTTP(url, want string) error {
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if string(b) != want {
		return fmt.Errorf("GET %s: got %q, want %q", url, b, want)
	}
	return nil
}

func TestPodSharedLocalhostAndInitOrder(t *testing.T) {
	forEachNodeKubectl(t, func(t *testing.T, k *kubectl) {
		k.okIn(t, `apiVersion: v1
kind: Pod
metadata: {name: duo}
spec:
  volumes: [{name: shared, emptyDir: {}}]
  initContainers:
  - {name: first, image: `+busybox+`, command: [sh, -c, "echo first >> /shared/order"], volumeMounts: [{name: shared, mountPath: /shared}]}
  - {name: second, image: `+busybox+`, command: [sh, -c, "echo second >> /shared/order"], volumeMounts: [{name: shared, mountPath: /shared}]}
  containers:
  - {name: server, image: `+busybox+`, command: [sh, -c, "cp /shared/order /order && httpd -f -p 8080 -h /"], volumeMounts: [{name: shared, mountPath: /shared}]}
  - {name: client, image: `+busybox+`, command: [sleep, "3600"]}
`, "apply", "-f", "-")
		k.waitFor(t, "pod/duo", "condition=Ready")
		succeedsWithin(t, 10*time.Second, func() error {
			r := k.run(t, "", "exec", "duo", "-c", "client", "--", "wget", "-q", "-O", "-", "http://localhost:8080/order")
			if r.err != nil || r.stdout != "first\nsecond\n" {
				return fmt.Errorf("%v", r)
			}
			return nil
		})
	})
}

func TestPodVolumes(t *testing.T) {
	forEachNodeKubectl(t, func(t *testing.T, k *kubectl) {
		k.ok(t, "create", "configmap", "cm", "--from-literal=color=blue")
		k.ok(t, "create", "secret", "generic", "sec", "--from-literal=password=s3cret")
		k.okIn(t, `apiVersion: v1
kind: Pod
metadata: {name: vols, labels: {tier: backend}}
spec:
  restartPolicy: Never
  volumes:
  - {name: cm, configMap: {name: cm}}
  - {name: sec, secret: {secretName: sec}}
  - name: down
    downwardAPI: {items: [{path: labels, fieldRef: {fieldPath: metadata.labels}}]}
  - name: proj
    projected:
      sources:
      - configMap: {name: cm, items: [{key: color, path: c}]}
      - downwardAPI: {items: [{path: ns, fieldRef: {fieldPath: metadata.namespace}}]}
  containers:
  - name: c
    image: `+busybox+`
    command: [sh, -c, "cat /cm/color /sec/password; echo; cat /down/labels; echo; cat /proj/c /proj/ns; echo; ls /var/run/secrets/kubernetes.io/serviceaccount"]
    volumeMounts:
    - {name: cm, mountPath: /cm}
    - {name: sec, mountPath: /sec}
    - {name: down, mountPath: /down}
    - {name: proj, mountPath: /proj}
`, "apply", "-f", "-")
		k.waitFor(t, "pod/vols", "jsonpath={.status.phase}=Succeeded")
		want := "blues3cret\ntier=\"backend\"\nblue" + k.namespace + "\nca.crt\nnamespace\ntoken\n"
		if got := k.ok(t, "logs", "vols"); got != want {
			t.Errorf("logs: got %q, want %q", got, want)
		}
	})
}

func TestPodProbesFlipReadiness(t *testing.T) {
	forEachNodeKubectl(t, func(t *testing.T, k *kubectl) {
		k.okIn(t, `apiVersion: v1
kind: Pod
metadata: {name: probed}
spec:
  containers:
  - name: c
    image: `+busybox+`
    command: [sh, -c, "touch /tmp/ready; sleep 3600"]
    readinessProbe: {exec: {command: [cat, /tmp/ready]}, periodSeconds: 1, failureThreshold: 1}
`, "apply", "-f", "-")
		k.waitFor(t, "pod/probed", "condition=Ready")
		k.ok(t, "exec", "probed", "--", "rm", "/tmp/ready")
		k.waitFor(t, "pod/probed", "condition=Ready=false")
		k.ok(t, "exec", "probed", "--", "touch", "/tmp/ready")
		k.waitFor(t, "pod/probed", "condition=Ready")
	})
}

func TestPodCrashLoopAndOOM(t *testing.T) {
	forEachNodeKubectl(t, func(t *testing.T, k *kubectl) {
		k.ok(t, "run", "crasher", "--image="+busybox, "--", "sh", "-c", "echo dying; exit 1")
		succeedsWithin(t, 40*time.Second, func() error {
			n, _ := strconv.Atoi(k.jsonpath(t, "pod/crasher", "{.status.containerStatuses[0].restartCount}"))
			if n < 2 {
				return fmt.Errorf("restartCount %d", n)
			}
			return nil
		})
		k.waitFor(t, "pod/crasher", "jsonpath={.status.containerStatuses[0].state.waiting.reason}=CrashLoopBackOff")
		k.expectJSONPath(t, "pod/crasher", "{.status.containerStatuses[0].lastState.terminated.exitCode}", "1")
		if got := k.ok(t, "logs", "--previous", "crasher"); got != "dying\n" {
			t.Errorf("logs --previous: got %q", got)
		}

		k.okIn(t, `apiVersion: v1
kind: Pod
metadata: {name: hog}
spec:
  restartPolicy: Never
  containers:
  - name: c
    image: `+busybox+`
    command: [sh, -c, "tail /dev/zero"]
    resources: {limits: {memory: 20Mi}}
`, "apply", "-f", "-")
		k.waitFor(t, "pod/hog", "jsonpath={.status.phase}=Failed")
		k.expectJSONPath(t, "pod/hog", "{.status.containerStatuses[0].state.terminated.reason}", "OOMKilled")
	})
}

func TestPodGracefulDelete(t *testing.T) {
	forEachNodeKubectl(t, func(t *testing.T, k *kubectl) {
		mark := filepath.Join(t.TempDir(), "mark")
		os.MkdirAll(mark, 0o777)
		k.okIn(t, `apiVersion: v1
kind: Pod
metadata: {name: graceful}
spec:
  terminationGracePeriodSeconds: 20
  volumes: [{name: mark, hostPath: {path: `+mark+`}}]
  containers:
  - name: c
    image: `+busybox+`
    command: [sh, -c, "trap 'echo got-term > /mark/term; sleep 1; exit 0' TERM; while true; do sleep 0.1; done"]
    volumeMounts: [{name: mark, mountPath: /mark}]
`, "apply", "-f", "-")
		k.waitFor(t, "pod/graceful", "condition=Ready")
		k.ok(t, "delete", "pod", "graceful")
		if b, err := os.ReadFile(filepath.Join(mark, "term")); err != nil || string(b) != "got-term\n" {
			t.Errorf("the container did not get SIGTERM before it ended: %q %v", b, err)
		}
		r := k.run(t, "", "get", "pod", "graceful")
		if !strings.Contains(r.stderr, "NotFound") {
			t.Errorf("pod still there after delete: %v", r)
		}
	})
}

// TestAgentRestartKeepsContainers restarts the node's process and checks
// that running containers were adopted, not restarted, and their logs kept.
func TestAgentRestartKeepsContainers(t *testing.T) {
	s := nodeCluster(t)
	k := newKubectl(t, "1.33", s)
	k.namespace = namespaceName(t)
	k.createNamespace(t, k.namespace)
	k.ok(t, "run", "survivor", "--image="+busybox, "--", "sh", "-c", "echo before; sleep 3600")
	k.waitFor(t, "pod/survivor", "condition=Ready")
	id := k.jsonpath(t, "pod/survivor", "{.status.containerStatuses[0].containerID}")

	if err := node.stop(); err != nil {
		t.Fatalf("stop: %v", err)
	}
	restarted, err := startKubeshim(nodeBinary, nodeDir, node.port, "up", "--containerd-namespace", nodeNS, "--dns-upstreams=none", "--disable-image-pulls")
	if err != nil {
		t.Fatalf("restart: %v", err)
	}
	node = restarted
	if r := k.run(t, "", "wait", "--for=condition=Ready", "node", "--all", "--timeout=50s"); r.err != nil {
		t.Fatalf("%v", r)
	}
	k.waitFor(t, "pod/survivor", "condition=Ready")
	k.expectJSONPath(t, "pod/survivor", "{.status.containerStatuses[0].containerID}", id)
	k.expectJSONPath(t, "pod/survivor", "{.status.containerStatuses[0].restartCount}", "0")
	if got := k.ok(t, "logs", "survivor"); got != "before\n" {
		t.Errorf("logs after restart: got %q", got)
	}
	k.ok(t, "delete", "namespace", k.namespace, "--wait=false")
}

// TestSinkRoutes checks the network safety rule: cluster addresses that no
// pod or service has are routed to the sink device, never to a gateway.
func TestSinkRoutes(t *testing.T) {
	nodeCluster(t)
	for _, ip := range []string{"10.96.123.45", "10.244.7.7"} {
		out, err := exec.Command("ip", "route", "get", ip).CombinedOutput()
		if err != nil {
			t.Fatalf("ip route get %s: %v\n%s", ip, err, out)
		}
		if !strings.Contains(string(out), "dev kubeshim-sink") || strings.Contains(string(out), " via ") {
			t.Errorf("ip route get %s: %s; want dev kubeshim-sink, no gateway", ip, out)
		}
	}
}

// TestPodExecTTY runs `kubectl exec -it` under a pseudo-terminal (script(1)
// gives kubectl one), so the container's process gets a TTY.
func TestPodExecTTY(t *testing.T) {
	if _, err := exec.LookPath("script"); err != nil {
		t.Skip("needs script(1) from util-linux for a pseudo-terminal")
	}
	forEachNodeKubectl(t, func(t *testing.T, k *kubectl) {
		k.ok(t, "run", "tty", "--image="+busybox, "--", "sleep", "3600")
		k.waitFor(t, "pod/tty", "condition=Ready")
		ctx, cancel := context.WithTimeout(context.Background(), commandTimeout)
		defer cancel()
		line := fmt.Sprintf("%s --namespace %s exec -it tty -- sh -c 'tty; echo cols=$(stty size)'", k.path, k.namespace)
		cmd := exec.CommandContext(ctx, "script", "-qec", line, "/dev/null")
		cmd.Env = append(os.Environ(), "KUBECONFIG="+k.kubeconfig, "HOME="+k.home)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", line, err, out)
		}
		if !strings.Contains(string(out), "/dev/pts/") {
			t.Errorf("exec -it: the process has no terminal: %q", out)
		}
	})
}

// TestPodConfigMapUpdateAndHostPort: a config map's new data appears in a
// running pod's volume, and a hostPort answers on the node's address.
func TestPodConfigMapUpdateAndHostPort(t *testing.T) {
	forEachNodeKubectl(t, func(t *testing.T, k *kubectl) {
		k.ok(t, "create", "configmap", "live", "--from-literal=index.html=v1")
		hostPort := 18080
		if k.version != kubectlVersions[0] {
			hostPort = 18081
		}
		k.okIn(t, fmt.Sprintf(`apiVersion: v1
kind: Pod
metadata: {name: live}
spec:
  volumes: [{name: www, configMap: {name: live}}]
  containers:
  - name: web
    image: %s
    command: [httpd, -f, -p, "8080", -h, /www]
    ports: [{containerPort: 8080, hostPort: %d}]
    volumeMounts: [{name: www, mountPath: /www}]
`, busybox, hostPort), "apply", "-f", "-")
		k.waitFor(t, "pod/live", "condition=Ready")
		hostIP := k.jsonpath(t, "pod/live", "{.status.hostIP}")
		url := fmt.Sprintf("http://%s:%d/index.html", hostIP, hostPort)
		succeedsWithin(t, 10*time.Second, func() error { return expectHTTP(url, "v1") })
		k.ok(t, "patch", "configmap", "live", "--type=merge", "-p", `{"data":{"index.html":"v2"}}`)
		succeedsWithin(t, 60*time.Second, func() error { return expectHTTP(url, "v2") })
	})
}

// TestPodSysctls: a safe sysctl is set in the pod's namespaces, not the
// node's; an unsafe one the node does not allow makes the agent reject the
// pod before it starts, as the kubelet does.
func TestPodSysctls(t *testing.T) {
	forEachNodeKubectl(t, func(t *testing.T, k *kubectl) {
		k.okIn(t, `apiVersion: v1
kind: Pod
metadata: {name: safe}
spec:
  restartPolicy: Never
  securityContext:
    sysctls:
    - {name: kernel.shm_rmid_forced, value: "1"}
    - {name: net/ipv4/ip_local_port_range, value: "33000 34000"}
  containers:
  - name: c
    image: `+busybox+`
    command: [sh, -c, "cat /proc/sys/kernel/shm_rmid_forced /proc/sys/net/ipv4/ip_local_port_range"]
---
apiVersion: v1
kind: Pod
metadata: {name: unsafe}
spec:
  restartPolicy: Never
  securityContext:
    sysctls:
    - {name: kernel.msgmax, value: "10000"}
  containers:
  - name: c
    image: `+busybox+`
    command: [sh, -c, "true"]
`, "apply", "-f", "-")
		k.waitFor(t, "pod/safe", "jsonpath={.status.phase}=Succeeded")
		if got, want := k.ok(t, "logs", "safe"), "1\n33000\t34000\n"; got != want {
			t.Errorf("sysctls in the pod: got %q, want %q", got, want)
		}
		k.waitFor(t, "pod/unsafe", "jsonpath={.status.phase}=Failed")
		k.expectJSONPath(t, "pod/unsafe", "{.status.reason}", "SysctlForbidden")
		k.expectJSONPath(t, "pod/unsafe", "{.status.message}", `Pod was rejected: forbidden sysctl: "kernel.msgmax" not allowlisted`)
		if got := k.jsonpath(t, "pod/unsafe", "{.status.containerStatuses[0].state.running}"); got != "" {
			t.Errorf("the rejected pod's container ran: %s", got)
		}
	})
	// The node's own values are untouched.
	if b, err := os.ReadFile("/proc/sys/kernel/shm_rmid_forced"); err != nil || strings.TrimSpace(string(b)) != "0" {
		t.Errorf("node's kernel.shm_rmid_forced = %q (%v), want 0", b, err)
	}
}
