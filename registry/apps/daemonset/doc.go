// Package daemonset stores apps/v1 DaemonSets (daemonsets).
package daemonset
