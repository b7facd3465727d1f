package printers

import (
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

func TestEventsV1(t *testing.T) {
	testRows(t, schema.GroupResource{Group: "events.k8s.io", Resource: "events"}, eventColumns, []rowCase{
		{
			name: "events.k8s.io series",
			obj: &eventsv1.Event{
				ObjectMeta:          objectMeta("web.18a"),
				EventTime:           metav1.NewMicroTime(now.Add(-time.Hour)),
				Series:              &eventsv1.EventSeries{Count: 12, LastObservedTime: metav1.NewMicroTime(now.Add(-2 * time.Minute))},
				ReportingController: "kubeshim/scheduler",
				ReportingInstance:   "cp-1",
				Reason:              "FailedScheduling",
				Regarding:           corev1.ObjectReference{Kind: "Pod", Name: "web"},
				Note:                "0/3 nodes are available",
				Type:                corev1.EventTypeWarning,
			},
			row: []any{"2m", "Warning", "FailedScheduling", "pod/web", "", "kubeshim/scheduler, cp-1",
				"0/3 nodes are available", "60m", int64(12), "web.18a"},
		},
		{
			name: "events.k8s.io with deprecated fields",
			obj: &eventsv1.Event{
				ObjectMeta:               objectMeta("old"),
				Reason:                   "Pulled",
				Regarding:                corev1.ObjectReference{Kind: "Pod", Name: "web"},
				DeprecatedSource:         corev1.EventSource{Component: "kubelet"},
				DeprecatedFirstTimestamp: ago(time.Hour), DeprecatedLastTimestamp: ago(time.Minute), DeprecatedCount: 2,
			},
			row: []any{"60s", "", "Pulled", "pod/web", "", "kubelet", "", "60m", int64(2), "old"},
		},
	})
}
