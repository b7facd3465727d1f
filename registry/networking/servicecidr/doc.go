// Package servicecidr stores networking/v1 ServiceCIDRs (servicecidrs), the
// ranges service cluster IPs come from. The server keeps the default one,
// "kubernetes", equal to --service-cluster-ip-range (registry/apiserver).
package servicecidr
