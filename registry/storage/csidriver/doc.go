// Package csidriver stores storage/v1 CSIDrivers (csidrivers).
package csidriver
