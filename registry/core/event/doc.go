// Package event stores core/v1 Events (events).
package event
