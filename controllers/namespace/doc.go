// Package namespace empties namespaces that are being deleted, as upstream's
// namespace controller does: it deletes every namespaced resource in the
// namespace, pods first and the rest only once no pod is left (upstream's
// OrderedNamespaceDeletion), reports what remains in the namespace's conditions, and once
// nothing is left removes the "kubernetes" finalizer through the finalize
// subresource, upon which the API server deletes the namespace.
package namespace
