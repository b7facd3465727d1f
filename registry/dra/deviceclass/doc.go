// Package deviceclass stores resource.k8s.io/v1 DeviceClasses
// (deviceclasses): the kinds of devices claims can ask for, by selector.
package deviceclass
