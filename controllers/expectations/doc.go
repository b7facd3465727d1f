// Package expectations remembers, per owner key, the pod creates and deletes
// a controller's sync issued that its pod informer has not shown yet, as
// upstream's ControllerExpectations and UIDTrackingControllerExpectations
// do. Until they are seen the pod cache is behind the controller's own
// writes, and managing pods from it again would create or delete twice; a
// controller skips managing an owner until Satisfied says the cache caught
// up or the expectations are older than Timeout.
//
// Counting only counts: any delete event of the owner's pods lowers it.
// Tracking also remembers which pods it deletes, so that a pod's delete
// events (the update that sets its deletion timestamp and the final delete)
// count once and only for pods this owner deleted.
//
// Both are safe for concurrent use: event handlers and the sync's create
// and delete goroutines lower them while a worker reads them.
package expectations
