// Package devicetaintrule stores resource.k8s.io/v1 DeviceTaintRules
// (devicetaintrules and their status): one taint for every device a
// selector matches.
package devicetaintrule
