package apiserver

import (
	"context"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/kubernetes"

	"github.com/kubeshim/kubeshim/test/integration/framework"
)

// TestEventsOneResourceTwoGroups: an event written through events.k8s.io/v1
// is a core/v1 event too (kubectl describe reads core), and back.
func TestEventsOneResourceTwoGroups(t *testing.T) {
	ctx := context.Background()
	client := kubernetes.NewForConfigOrDie(framework.Shared(t))
	ns := framework.Namespace(t, client)

	_, err := client.EventsV1().Events(ns).Create(ctx, &eventsv1.Event{
		ObjectMeta:          metav1.ObjectMeta{Name: "scheduled"},
		EventTime:           metav1.NewMicroTime(time.Now()),
		ReportingController: "kubeshim.io/scheduler",
		ReportingInstance:   "scheduler-1",
		Action:              "Binding",
		Reason:              "Scheduled",
		Regarding:           corev1.ObjectReference{Kind: "Pod", Name: "p", Namespace: ns},
		Note:                "Successfully assigned p",
		Type:                corev1.EventTypeNormal,
	}, metav1.CreateOptions{})
	if err != nil {
		t.Fatalf("create through events.k8s.io: %v", err)
	}
	core, err := client.CoreV1().Events(ns).Get(ctx, "scheduled", metav1.GetOptions{})
	if err != nil {
		t.Fatalf("get through core: %v", err)
	}
	if core.Message != "Successfully assigned p" || core.InvolvedObject.Name != "p" || core.ReportingController != "kubeshim.io/scheduler" {
		t.Errorf("core view: message %q involvedObject %+v", core.Message, core.InvolvedObject)
	}
	list, err := client.CoreV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "involvedObject.name=p"})
	if err != nil || len(list.Items) != 1 {
		t.Fatalf("core field selector: %d items, %v", len(list.Items), err)
	}
	elist, err := client.EventsV1().Events(ns).List(ctx, metav1.ListOptions{FieldSelector: "regarding.name=p"})
	if err != nil || len(elist.Items) != 1 || elist.Items[0].Note != "Successfully assigned p" {
		t.Fatalf("events.k8s.io field selector: %+v, %v", elist.Items, err)
	}
	if err := client.CoreV1().Events(ns).Delete(ctx, "scheduled", metav1.DeleteOptions{}); err != nil {
		t.Fatalf("delete through core: %v", err)
	}
	if elist, err = client.EventsV1().Events(ns).List(ctx, metav1.ListOptions{}); err != nil || len(elist.Items) != 0 {
		t.Errorf("after delete: %d events.k8s.io events, %v", len(elist.Items), err)
	}
}
