// Package clusterrole stores rbac/v1 ClusterRoles (clusterroles).
package clusterrole
