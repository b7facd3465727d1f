// Package clusterroleaggregation fills the rules of every ClusterRole with
// an aggregationRule, as upstream's clusterrole-aggregation controller
// does: the rules are those of the ClusterRoles its selectors match (not
// itself), in selector order, then by role name, each rule once. That is
// how admin, edit and view gather the aggregate-to-* roles' rules, and how
// a CRD's author extends them with a labelled ClusterRole.
//
// The rules are written with server-side apply under the field manager
// "clusterrole-aggregation-controller", forcing ownership: they are the
// controller's, whatever a user wrote there.
package clusterroleaggregation
