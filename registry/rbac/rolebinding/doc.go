// Package rolebinding stores rbac/v1 RoleBindings (rolebindings).
package rolebinding
