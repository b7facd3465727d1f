// Package podtemplate stores core/v1 PodTemplates (podtemplates).
package podtemplate
