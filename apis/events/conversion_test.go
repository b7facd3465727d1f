package events

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

func TestRoundTrip(t *testing.T) {
	now := metav1.NewMicroTime(time.Date(2026, 11, 24, 4, 0, 0, 0, time.UTC))
	full := &eventsv1.Event{
		ObjectMeta:               metav1.ObjectMeta{Name: "e", Namespace: "ns", Labels: map[string]string{"a": "b"}},
		EventTime:                now,
		Series:                   &eventsv1.EventSeries{Count: 3, LastObservedTime: now},
		ReportingController:      "kubeshim.io/scheduler",
		ReportingInstance:        "scheduler-1",
		Action:                   "Binding",
		Reason:                   "Scheduled",
		Regarding:                corev1.ObjectReference{Kind: "Pod", Name: "p", Namespace: "ns", UID: "u"},
		Related:                  &corev1.ObjectReference{Kind: "Node", Name: "n"},
		Note:                     "Successfully assigned ns/p to n",
		Type:                     corev1.EventTypeNormal,
		DeprecatedSource:         corev1.EventSource{Component: "c", Host: "h"},
		DeprecatedFirstTimestamp: metav1.NewTime(now.Time),
		DeprecatedLastTimestamp:  metav1.NewTime(now.Time),
		DeprecatedCount:          2,
	}
	for _, tc := range []struct {
		name string
		in   *eventsv1.Event
	}{
		{"every field", full},
		{"empty", &eventsv1.Event{}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var core corev1.Event
			ToCore(tc.in, &core)
			var back eventsv1.Event
			FromCore(&core, &back)
			if diff := cmp.Diff(tc.in, &back); diff != "" {
				t.Errorf("round trip (-want +got):\n%s", diff)
			}
		})
	}
	var core corev1.Event
	ToCore(full, &core)
	if core.Message != full.Note || core.InvolvedObject.Name != "p" || core.Count != 2 || core.Source.Host != "h" {
		t.Errorf("core shape: %+v", core)
	}
}

func TestSchemeConversionAndFieldSelectors(t *testing.T) {
	s := runtime.NewScheme()
	if err := Install(s); err != nil {
		t.Fatalf("install: %v", err)
	}
	var out corev1.Event
	if err := s.Convert(&eventsv1.Event{Note: "hello"}, &out, nil); err != nil || out.Message != "hello" {
		t.Fatalf("convert: %v, message %q", err, out.Message)
	}
	for _, tc := range []struct{ label, want string }{
		{"regarding.name", "involvedObject.name"},
		{"reportingController", "reportingComponent"},
		{"note", ""},
	} {
		got, _, err := s.ConvertFieldLabel(eventsv1.SchemeGroupVersion.WithKind("Event"), tc.label, "x")
		if tc.want == "" {
			if err == nil {
				t.Errorf("%s: no error, want field label not supported", tc.label)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("%s -> %q, %v; want %q", tc.label, got, err, tc.want)
		}
	}
}
