// Package resourceclaimtemplate stores resource.k8s.io/v1
// ResourceClaimTemplates (resourceclaimtemplates): the claims a pod's
// resourceClaims stamp out for each pod.
package resourceclaimtemplate
