// Package ttlafterfinished deletes finished Jobs once their
// spec.ttlSecondsAfterFinished has passed, as upstream's TTL-after-finished
// controller (pkg/controller/ttlafterfinished) does.
//
// A Job's clock starts at the lastTransitionTime of its Complete or Failed
// condition. The deletion is a foreground cascade with the Job's UID as
// precondition, issued only after a live read confirms that the TTL has
// passed on the current object: a user may have changed the TTL, or
// recreated the Job under the same name, since the cache saw it.
package ttlafterfinished
