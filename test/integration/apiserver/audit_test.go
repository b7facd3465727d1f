package apiserver

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/wait"
	auditv1 "k8s.io/apiserver/pkg/apis/audit/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeshim/kubeshim/registry/apiserver"
	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// TestAuditLog: with --audit-policy-file and --audit-log-path, requests are
// logged as the policy says: secrets at Metadata (no bodies), configmaps at
// RequestResponse, everything else not at all; refused requests too.
func TestAuditLog(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	policy := filepath.Join(dir, "policy.yaml")
	writeFile(t, policy, `apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: Metadata
  resources: [{group: "", resources: [secrets]}]
- level: RequestResponse
  resources: [{group: "", resources: [configmaps]}]
- level: None
`)
	logPath := filepath.Join(dir, "audit.log")
	srv, err := framework.Start(func(o *apiserver.Options) {
		o.Disable = []string{apiserver.RoleScheduler, apiserver.RoleControllers}
		o.Audit.PolicyFile = policy
		o.Audit.LogOptions.Path = logPath
	})
	if err != nil {
		t.Fatalf("start API server: %v", err)
	}
	t.Cleanup(func() { srv.Stop() })
	client := kubernetes.NewForConfigOrDie(srv.Config)
	ns := "audited"
	if _, err := client.CoreV1().Namespaces().Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CoreV1().Secrets(ns).Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Name: "s"}, StringData: map[string]string{"k": "secret-value"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CoreV1().ConfigMaps(ns).Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Name: "c"}, Data: map[string]string{"k": "config-value"}}, metav1.CreateOptions{}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CoreV1().ConfigMaps(ns).Get(ctx, "missing", metav1.GetOptions{}); err == nil {
		t.Fatal("get of a missing configmap succeeded")
	}

	type entry struct {
		Level, Verb, Resource, Name string
		Code                        int32
		Request, Response           bool
	}
	want := []entry{
		{Level: "Metadata", Verb: "create", Resource: "secrets", Name: "s", Code: 201},
		{Level: "RequestResponse", Verb: "create", Resource: "configmaps", Name: "c", Code: 201, Request: true, Response: true},
		{Level: "RequestResponse", Verb: "get", Resource: "configmaps", Name: "missing", Code: 404, Response: true},
	}
	var got []entry
	var raw string
	err = wait.PollUntilContextTimeout(ctx, 100*time.Millisecond, 10*time.Second, true, func(context.Context) (bool, error) {
		got, raw = nil, ""
		f, err := os.Open(logPath)
		if err != nil {
			return false, nil
		}
		defer f.Close()
		sc := bufio.NewScanner(f)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		for sc.Scan() {
			raw += sc.Text() + "\n"
			var ev auditv1.Event
			if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
				return false, fmt.Errorf("audit log line %q: %w", sc.Text(), err)
			}
			if ev.ObjectRef == nil || (ev.ObjectRef.Resource != "secrets" && ev.ObjectRef.Resource != "configmaps") {
				t.Errorf("event outside the policy's rules: %s", sc.Text())
				continue
			}
			if ev.ObjectRef.Namespace != ns {
				continue // the server's own informers watch secrets and configmaps
			}
			if ev.Stage != auditv1.StageResponseComplete || ev.User.Username == "" || ev.AuditID == "" {
				t.Errorf("event stage %s, user %q, audit ID %q: %s", ev.Stage, ev.User.Username, ev.AuditID, sc.Text())
			}
			got = append(got, entry{Level: string(ev.Level), Verb: ev.Verb, Resource: ev.ObjectRef.Resource, Name: ev.ObjectRef.Name,
				Code: ev.ResponseStatus.Code, Request: ev.RequestObject != nil, Response: ev.ResponseObject != nil})
		}
		return len(got) >= len(want), nil
	})
	if err != nil {
		t.Fatalf("audit log: %v; have %+v", err, got)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("audit events (-want +got):\n%s", diff)
	}
	if !strings.Contains(raw, "config-value") || strings.Contains(raw, "secret-value") {
		t.Errorf("audit log: the configmap's body should be logged and the secret's not:\n%s", raw)
	}
}
