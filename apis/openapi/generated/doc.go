// Package generated holds the OpenAPI definitions openapi-gen writes for the
// k8s.io/api and k8s.io/apimachinery types kubeshim serves. Only
// hack/update-openapi.sh writes it; the server uses the merged definitions of
// the parent package apis/openapi instead.
package generated
