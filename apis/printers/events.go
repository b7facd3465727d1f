package printers

import (
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
)

// eventsV1Events prints events.k8s.io events with the core ones' columns:
// upstream serves both from one store, and prints both as core events.
var eventsV1Events = printer[*eventsv1.Event]{
	header: coreEvents.header,
	cells: func(c clock, e *eventsv1.Event) []any {
		return eventCells(c, coreEvent(e))
	},
}

// coreEvent is upstream's events.k8s.io/v1 to core conversion, of the fields
// an event's row shows.
func coreEvent(e *eventsv1.Event) *corev1.Event {
	out := &corev1.Event{
		ObjectMeta:          e.ObjectMeta,
		InvolvedObject:      e.Regarding,
		Reason:              e.Reason,
		Message:             e.Note,
		Source:              e.DeprecatedSource,
		FirstTimestamp:      e.DeprecatedFirstTimestamp,
		LastTimestamp:       e.DeprecatedLastTimestamp,
		Count:               e.DeprecatedCount,
		Type:                e.Type,
		EventTime:           e.EventTime,
		ReportingController: e.ReportingController,
		ReportingInstance:   e.ReportingInstance,
	}
	if e.Series != nil {
		out.Series = &corev1.EventSeries{Count: e.Series.Count, LastObservedTime: e.Series.LastObservedTime}
	}
	return out
}
