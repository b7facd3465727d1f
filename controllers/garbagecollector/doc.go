// Package garbagecollector deletes objects whose owners are gone, as
// upstream's garbage collector controller does.
//
// It watches the metadata of every resource that discovery lists as
// listable, watchable and deletable (re-discovered every 30 seconds, so
// custom resources join), and keeps a graph of ownerReferences keyed by UID.
// Three kinds of cascading deletion follow from it:
//
//   - background: an object whose owners are all absent (confirmed by a live
//     GET of each owner, checking its UID) is deleted; one that keeps some
//     owner loses only its references to the absent ones;
//   - foreground: an owner being deleted with the foregroundDeletion
//     finalizer first has its dependents deleted; the finalizer is removed
//     once no dependent with blockOwnerDeletion=true is left;
//   - orphan: an owner being deleted with the orphan finalizer has its
//     references removed from its dependents, then the finalizer.
//
// The graph only decides what to look at; every decision is made on live
// objects, and every write carries a precondition (UID and
// resourceVersion), so a stale graph costs a retry, never a wrong deletion.
package garbagecollector
