// Package clusterrolebinding stores rbac/v1 ClusterRoleBindings (clusterrolebindings).
package clusterrolebinding
