// Package event stores events/v1 Events (events).
package event
