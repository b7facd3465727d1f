// Package statefulset stores apps/v1 StatefulSets (statefulsets).
package statefulset
