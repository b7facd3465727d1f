// Package events is what the events.k8s.io group means beyond its k8s.io/api
// types. Its Events are core/v1 Events seen through another schema, as
// upstream stores them: both groups' events live in one resource, and this
// package converts between the two shapes and maps the group's field
// selectors (regarding.name, reportingController, ...) to core's.
package events
