package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// The storage tests run persistent volumes end to end on the node cluster:
// the default class local-path, the scheduler's volume binding, the PV
// controller, the agent's local-path provisioner and its mounts.

// upstream's `kubectl get pv,pvc` columns (Kubernetes 1.37, server-side
// tables, so the same for every kubectl).
const (
	pvColumns  = "NAME CAPACITY ACCESS MODES RECLAIM POLICY STATUS CLAIM STORAGECLASS VOLUMEATTRIBUTESCLASS REASON AGE"
	pvcColumns = "NAME STATUS VOLUME CAPACITY ACCESS MODES STORAGECLASS VOLUMEATTRIBUTESCLASS AGE"
)

// TestStatefulSetVolumesOutlivePods: each replica of a StatefulSet with a
// volumeClaimTemplate gets its own local-path volume; what a replica wrote
// there is read back by the pod that replaces it. The pods run as a user
// with an fsGroup, which owns the volume.
func TestStatefulSetVolumesOutlivePods(t *testing.T) {
	forEachNodeKubectl(t, func(t *testing.T, k *kubectl) {
		k.okIn(t, `apiVersion: v1
kind: Service
metadata: {name: db}
spec:
  clusterIP: None
  selector: {app: db}
  ports: [{port: 80}]
---
apiVersion: apps/v1
kind: StatefulSet
metadata: {name: db}
spec:
  serviceName: db
  replicas: 3
  selector: {matchLabels: {app: db}}
  template:
    metadata: {labels: {app: db}}
    spec:
      terminationGracePeriodSeconds: 1
      securityContext: {runAsUser: 1000, fsGroup: 2000}
      containers:
      - name: c
        image: `+busybox+`
        command: [sleep, "3600"]
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
`, "apply", "-f", "-")
		rolloutStatus(t, k, "statefulset/db")

		// Each replica writes its ordinal and a token no other run has.
		b := make([]byte, 4)
		rand.Read(b)
		token := hex.EncodeToString(b)
		uids := map[int]string{}
		for i := 0; i < 3; i++ {
			pod := fmt.Sprintf("db-%d", i)
			k.ok(t, "exec", pod, "--", "sh", "-c", fmt.Sprintf("echo %d-%s > /data/ordinal", i, token))
			if g := strings.TrimSpace(k.ok(t, "exec", pod, "--", "stat", "-c", "%g", "/data/ordinal")); g != "2000" {
				t.Errorf("%s: /data/ordinal has group %s, want the fsGroup 2000", pod, g)
			}
			uids[i] = k.jsonpath(t, "pod/"+pod, "{.metadata.uid}")
			k.expectJSONPath(t, "pvc/data-"+pod, "{.status.phase} {.spec.storageClassName}", "Bound local-path")
		}
		claims := table(k.ok(t, "get", "pvc"))
		if len(claims) != 4 {
			t.Fatalf("claims: %q", claims)
		}
		if got := strings.Join(claims[0], " "); got != pvcColumns {
			t.Errorf("kubectl get pvc columns: %q, want %q", got, pvcColumns)
		}
		for i, row := range claims[1:] {
			// NAME STATUS VOLUME CAPACITY ACCESS-MODES STORAGECLASS VAC AGE
			want := []string{fmt.Sprintf("data-db-%d", i), "Bound", "pvc-", "1Gi", "RWO", "local-path", "<unset>"}
			if len(row) != 8 || row[0] != want[0] || row[1] != want[1] || !strings.HasPrefix(row[2], want[2]) ||
				row[3] != want[3] || row[4] != want[4] || row[5] != want[5] || row[6] != want[6] {
				t.Errorf("claim row %q, want %q and an age", row, want)
			}
		}

		k.ok(t, "delete", "pod", "db-0", "db-1", "db-2")
		for i := 0; i < 3; i++ {
			pod := fmt.Sprintf("db-%d", i)
			succeedsWithin(t, 90*time.Second, func() error {
				r := k.run(t, "", "get", "pod", pod, "-o", `jsonpath={.metadata.uid} {.status.conditions[?(@.type=="Ready")].status}`)
				if r.err != nil {
					return r.err
				}
				if r.stdout == uids[i]+" True" || !strings.HasSuffix(r.stdout, " True") {
					return fmt.Errorf("%s: %q, want a new pod, Ready", pod, r.stdout)
				}
				return nil
			})
			if got, want := strings.TrimSpace(k.ok(t, "exec", pod, "--", "cat", "/data/ordinal")), fmt.Sprintf("%d-%s", i, token); got != want {
				t.Errorf("%s read %q from its volume, want %q", pod, got, want)
			}
		}

		// A claim grows while its pod runs: the node agent resizes
		// local-path volumes, and the pod keeps its data.
		k.ok(t, "patch", "pvc", "data-db-0", "-p", `{"spec":{"resources":{"requests":{"storage":"2Gi"}}}}`)
		succeedsWithin(t, 30*time.Second, func() error {
			got := k.jsonpath(t, "pvc/data-db-0", "{.status.capacity.storage} {.status.allocatedResourceStatuses}")
			if got != "2Gi " {
				return fmt.Errorf("claim data-db-0 capacity and resize status: %q, want 2Gi and none", got)
			}
			return nil
		})
		volume := k.jsonpath(t, "pvc/data-db-0", "{.spec.volumeName}")
		k.expectJSONPath(t, "pv/"+volume, "{.spec.capacity.storage}", "2Gi")
		if got, want := strings.TrimSpace(k.ok(t, "exec", "db-0", "--", "cat", "/data/ordinal")), "0-"+token; got != want {
			t.Errorf("db-0 read %q from its grown volume, want %q", got, want)
		}
	})
}

// TestClaimInUseIsProtected: a claim deleted while a pod uses it stays,
// Terminating, until the pod is gone; then its volume and the volume's
// directory are removed.
func TestClaimInUseIsProtected(t *testing.T) {
	forEachNodeKubectl(t, func(t *testing.T, k *kubectl) {
		k.okIn(t, `apiVersion: v1
kind: PersistentVolumeClaim
metadata: {name: data}
spec:
  accessModes: [ReadWriteOnce]
  resources: {requests: {storage: 1Gi}}
---
apiVersion: v1
kind: Pod
metadata: {name: user}
spec:
  terminationGracePeriodSeconds: 1
  containers:
  - name: c
    image: `+busybox+`
    command: [sh, -c, "echo kept > /data/file && sleep 3600"]
    volumeMounts: [{name: data, mountPath: /data}]
  volumes:
  - name: data
    persistentVolumeClaim: {claimName: data}
`, "apply", "-f", "-")
		k.waitFor(t, "pod/user", "condition=Ready")
		pv := k.jsonpath(t, "pvc/data", "{.spec.volumeName}")
		dir := k.jsonpath(t, "pv/"+pv, "{.spec.local.path}")
		if b, err := os.ReadFile(dir + "/file"); err != nil || string(b) != "kept\n" {
			t.Fatalf("the volume's directory %s on the host: %q, %v", dir, b, err)
		}

		rows := table(k.ok(t, "get", "pv", pv))
		if got := strings.Join(rows[0], " "); got != pvColumns {
			t.Errorf("kubectl get pv columns: %q, want %q", got, pvColumns)
		}
		// NAME CAPACITY ACCESS-MODES RECLAIM-POLICY STATUS CLAIM STORAGECLASS VAC AGE
		want := []string{pv, "1Gi", "RWO", "Delete", "Bound", k.namespace + "/data", "local-path", "<unset>"}
		if row := rows[1]; len(row) != 9 || strings.Join(row[:8], " ") != strings.Join(want, " ") {
			t.Errorf("volume row %q, want %q and an age", row, want)
		}

		k.ok(t, "delete", "pvc", "data", "--wait=false")
		// It stays while the pod runs.
		for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(500 * time.Millisecond) {
			rows := table(k.ok(t, "get", "pvc", "data"))
			if len(rows) != 2 || rows[1][1] != "Terminating" {
				t.Fatalf("claim in use after delete: %q, want it Terminating", rows)
			}
		}
		k.expectJSONPath(t, "pv/"+pv, "{.status.phase}", "Bound")

		k.ok(t, "delete", "pod", "user")
		succeedsWithin(t, 60*time.Second, func() error {
			if r := k.run(t, "", "get", "pvc/data", "pv/"+pv, "--ignore-not-found", "-o", "name"); r.stdout != "" || r.err != nil {
				return fmt.Errorf("claims and volumes left: %q %v", r.stdout, r.err)
			}
			if _, err := os.Stat(dir); !os.IsNotExist(err) {
				return fmt.Errorf("volume directory %s: %v", dir, err)
			}
			return nil
		})
	})
}

// TestStatefulSetClaimRetention: persistentVolumeClaimRetentionPolicy end
// to end. With whenScaled: Delete, scaling down deletes the scaled-away
// replica's claim, and its local-path volume and directory follow; with
// whenDeleted: Retain, deleting the set keeps the other replica's claim and
// its data.
func TestStatefulSetClaimRetention(t *testing.T) {
	forEachNodeKubectl(t, func(t *testing.T, k *kubectl) {
		k.okIn(t, `apiVersion: apps/v1
kind: StatefulSet
metadata: {name: kept}
spec:
  serviceName: kept
  replicas: 2
  podManagementPolicy: Parallel
  persistentVolumeClaimRetentionPolicy: {whenScaled: Delete, whenDeleted: Retain}
  selector: {matchLabels: {app: kept}}
  template:
    metadata: {labels: {app: kept}}
    spec:
      terminationGracePeriodSeconds: 1
      containers:
      - name: c
        image: `+busybox+`
        command: [sh, -c, "hostname > /data/writer && sleep 3600"]
        volumeMounts: [{name: data, mountPath: /data}]
  volumeClaimTemplates:
  - metadata: {name: data}
    spec:
      accessModes: [ReadWriteOnce]
      resources: {requests: {storage: 1Gi}}
`, "apply", "-f", "-")
		rolloutStatus(t, k, "statefulset/kept")
		dirs := map[int]string{}
		for i := 0; i < 2; i++ {
			pv := k.jsonpath(t, fmt.Sprintf("pvc/data-kept-%d", i), "{.spec.volumeName}")
			dirs[i] = k.jsonpath(t, "pv/"+pv, "{.spec.local.path}")
			succeedsWithin(t, 30*time.Second, func() error {
				b, err := os.ReadFile(dirs[i] + "/writer")
				if want := fmt.Sprintf("kept-%d\n", i); err != nil || string(b) != want {
					return fmt.Errorf("%s/writer: %q, %v; want %q", dirs[i], b, err, want)
				}
				return nil
			})
		}

		k.ok(t, "scale", "statefulset/kept", "--replicas=1")
		succeedsWithin(t, 60*time.Second, func() error {
			r := k.run(t, "", "get", "pvc", "-o", "name")
			if r.err != nil || strings.TrimSpace(r.stdout) != "persistentvolumeclaim/data-kept-0" {
				return fmt.Errorf("claims after scaling to 1: %q %v, want data-kept-0 only", r.stdout, r.err)
			}
			if _, err := os.Stat(dirs[1]); !os.IsNotExist(err) {
				return fmt.Errorf("kept-1's volume directory %s: %v, want it removed", dirs[1], err)
			}
			return nil
		})

		k.ok(t, "delete", "statefulset/kept")
		succeedsWithin(t, 60*time.Second, func() error {
			if r := k.run(t, "", "get", "pod", "kept-0", "--ignore-not-found", "-o", "name"); r.stdout != "" || r.err != nil {
				return fmt.Errorf("pod kept-0 after deleting the set: %q %v", r.stdout, r.err)
			}
			return nil
		})
		k.expectJSONPath(t, "pvc/data-kept-0", "{.status.phase} {.metadata.ownerReferences}", "Bound ")
		if b, err := os.ReadFile(dirs[0] + "/writer"); err != nil || string(b) != "kept-0\n" {
			t.Errorf("kept-0's retained volume: %q, %v", b, err)
		}
	})
}
