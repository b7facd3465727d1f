// Package namespace stores core/v1 Namespaces. A new namespace is Active and
// carries the "kubernetes" finalizer, which the namespace controller removes
// through the finalize subresource once the namespace's content is gone.
package namespace
