package queue

import "k8s.io/client-go/tools/cache"

// Key is the namespace/name key an object is queued and looked up under;
// the same as cache.MetaNamespaceKeyFunc for a namespaced object, without
// the error a controller would have to ignore.
func Key(namespace, name string) string { return namespace + "/" + name }

// Unwrap returns the object a delete event carries. An informer that missed
// the delete and learned of it on relist hands a
// cache.DeletedFinalStateUnknown with the last state it saw; handlers want
// that object either way.
func Unwrap(obj any) any {
	if tomb, ok := obj.(cache.DeletedFinalStateUnknown); ok {
		return tomb.Obj
	}
	return obj
}
