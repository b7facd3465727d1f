package bootstraptokencleaner

import (
	"context"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/informers"
	"k8s.io/client-go/kubernetes/fake"
	clienttesting "k8s.io/client-go/testing"
	testclock "k8s.io/utils/clock/testing"
)

var now = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func token(edits ...func(*corev1.Secret)) *corev1.Secret {
	s := &corev1.Secret{
		ObjectMeta: metav1.ObjectMeta{Namespace: "kube-system", Name: "bootstrap-token-abcdef", UID: "uid-1", ResourceVersion: "7"},
		Type:       "bootstrap.kubernetes.io/token",
		Data: map[string][]byte{
			"token-id":     []byte("abcdef"),
			"token-secret": []byte("0123456789abcdef"),
		},
	}
	for _, e := range edits {
		e(s)
	}
	return s
}

func expiring(at string) func(*corev1.Secret) {
	return func(s *corev1.Secret) { s.Data["expiration"] = []byte(at) }
}

func in(d time.Duration) string { return now.Add(d).Format(time.RFC3339) }

// deleteCall is what a test checks of a delete request.
type deleteCall struct {
	Namespace, Name string
	UID, RV         string
}

func TestSync(t *testing.T) {
	deleted := []deleteCall{{Namespace: "kube-system", Name: "bootstrap-token-abcdef", UID: "uid-1", RV: "7"}}
	tests := []struct {
		name        string
		secret      *corev1.Secret
		deleteErr   error
		wantDeletes []deleteCall
		wantRequeue time.Duration
		wantErr     bool
	}{
		{name: "expired", secret: token(expiring(in(-time.Minute))), wantDeletes: deleted},
		{name: "expiring now", secret: token(expiring(in(0))), wantDeletes: deleted},
		{name: "an unparsable expiration counts as expired", secret: token(expiring("next week")), wantDeletes: deleted},
		{name: "not yet expired: come back at expiration", secret: token(expiring(in(90 * time.Second))), wantRequeue: 90 * time.Second},
		{name: "no expiration: kept forever", secret: token()},
		{name: "an empty expiration is none", secret: token(expiring(""))},
		{name: "another type is not a token", secret: token(expiring(in(-time.Minute)), func(s *corev1.Secret) { s.Type = corev1.SecretTypeOpaque })},
		{name: "a token outside kube-system is not one", secret: token(expiring(in(-time.Minute)), func(s *corev1.Secret) { s.Namespace = "default" })},
		{name: "being deleted", secret: token(expiring(in(-time.Minute)), func(s *corev1.Secret) { s.DeletionTimestamp = &metav1.Time{Time: now} })},
		{name: "already gone", secret: token(expiring(in(-time.Minute))), deleteErr: apierrors.NewNotFound(schema.GroupResource{Resource: "secrets"}, "bootstrap-token-abcdef"), wantDeletes: deleted},
		{
			name:   "changed since the cache saw it: its update brings it back",
			secret: token(expiring(in(-time.Minute))), deleteErr: apierrors.NewConflict(schema.GroupResource{Resource: "secrets"}, "bootstrap-token-abcdef", nil),
			wantDeletes: deleted,
		},
		{name: "another failure is retried", secret: token(expiring(in(-time.Minute))), deleteErr: apierrors.NewServiceUnavailable("etcd"), wantDeletes: deleted, wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			client := fake.NewClientset(tt.secret)
			var deletes []deleteCall
			client.PrependReactor("delete", "secrets", func(a clienttesting.Action) (bool, runtime.Object, error) {
				d := a.(clienttesting.DeleteActionImpl)
				c := deleteCall{Namespace: d.Namespace, Name: d.Name}
				if pre := d.DeleteOptions.Preconditions; pre != nil {
					if pre.UID != nil {
						c.UID = string(*pre.UID)
					}
					if pre.ResourceVersion != nil {
						c.RV = *pre.ResourceVersion
					}
				}
				deletes = append(deletes, c)
				if tt.deleteErr != nil {
					return true, nil, tt.deleteErr
				}
				return false, nil, nil
			})
			factory := informers.NewSharedInformerFactory(client, 0)
			c := newController(client, factory.Core().V1().Secrets(), testclock.NewFakePassiveClock(now))
			if err := factory.Core().V1().Secrets().Informer().GetIndexer().Add(tt.secret); err != nil {
				t.Fatal(err)
			}
			requeue, err := c.sync(context.Background(), tt.secret.Namespace+"/"+tt.secret.Name)
			if (err != nil) != tt.wantErr {
				t.Fatalf("sync error %v, want error %v", err, tt.wantErr)
			}
			if requeue != tt.wantRequeue {
				t.Errorf("requeue after %v, want %v", requeue, tt.wantRequeue)
			}
			if diff := cmp.Diff(tt.wantDeletes, deletes); diff != "" {
				t.Errorf("deletes (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSyncGone: a key whose Secret is no longer cached is done with.
func TestSyncGone(t *testing.T) {
	client := fake.NewClientset()
	factory := informers.NewSharedInformerFactory(client, 0)
	c := newController(client, factory.Core().V1().Secrets(), testclock.NewFakePassiveClock(now))
	if requeue, err := c.sync(context.Background(), "kube-system/bootstrap-token-abcdef"); requeue != 0 || err != nil {
		t.Errorf("sync = %v, %v; want 0, nil", requeue, err)
	}
	if got := len(client.Actions()); got != 0 {
		t.Errorf("%d requests, want none: %v", got, client.Actions())
	}
}

// TestRun: the running controller deletes a token once its expiration has
// passed, through the informer and queue, and leaves the others.
func TestRun(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	clk := testclock.NewFakeClock(now)
	expired := token(expiring(in(-time.Second)))
	kept := token(func(s *corev1.Secret) { s.Name = "bootstrap-token-zzzzzz"; s.Data["token-id"] = []byte("zzzzzz") })
	client := fake.NewClientset(expired, kept)
	factory := informers.NewSharedInformerFactory(client, 0)
	c := newController(client, factory.Core().V1().Secrets(), clk)
	factory.Start(ctx.Done())
	go c.Run(ctx, 1)
	for {
		_, err := client.CoreV1().Secrets("kube-system").Get(ctx, expired.Name, metav1.GetOptions{})
		if apierrors.IsNotFound(err) {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatal("expired token not deleted")
		case <-time.After(20 * time.Millisecond):
		}
	}
	if _, err := client.CoreV1().Secrets("kube-system").Get(ctx, kept.Name, metav1.GetOptions{}); err != nil {
		t.Errorf("token without expiration: %v, want kept", err)
	}
}
