// Package role stores rbac/v1 Roles (roles).
package role
