// Package configmap stores core/v1 ConfigMaps (configmaps).
package configmap
