// Package fielderrors holds what the API groups' validation tests share:
// comparing a field.ErrorList with the errors as the API server reports
// them.
package fielderrors
