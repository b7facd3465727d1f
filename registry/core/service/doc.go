// Package service stores core/v1 Services.
package service
