// Package poddisruptionbudget stores policy/v1 PodDisruptionBudgets (poddisruptionbudgets).
package poddisruptionbudget
