// Package resourcequota stores core/v1 ResourceQuotas (resourcequotas).
package resourcequota
