#!/usr/bin/env bash

# Generates the OpenAPI definitions of the built-in types kubeshim serves into
# apis/openapi/generated, and the API rule violations openapi-gen reports for
# them into apis/openapi/violations.report.
#
# Usage: hack/update-openapi.sh [output-root]
# output-root defaults to the repository; hack/verify-openapi.sh passes a
# temporary directory so that nothing in the tree changes.

set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
OUTPUT_ROOT="${1:-${ROOT}}"
mkdir -p "${OUTPUT_ROOT}"
OUTPUT_ROOT="$(cd "${OUTPUT_ROOT}" && pwd)"
cd "${ROOT}"

OUTPUT_DIR="${OUTPUT_ROOT}/apis/openapi/generated"
REPORT_FILE="${OUTPUT_ROOT}/apis/openapi/violations.report"
OUTPUT_PKG="github.com/kubeshim/kubeshim/apis/openapi/generated"

# The served versions (apis/scheme.Groups) and every package their types
# reference. openapi-gen writes definitions only for the packages it is given,
# so this set must be closed; apis/openapi's tests fail if it is not.
# CRD and APIService types come from apiextensions-apiserver's and
# kube-aggregator's own generated packages (see apis/openapi/openapi.go).
PACKAGES=(
  k8s.io/api/admissionregistration/v1
  k8s.io/api/apps/v1
  k8s.io/api/authentication/v1
  k8s.io/api/authorization/v1
  k8s.io/api/autoscaling/v1
  k8s.io/api/autoscaling/v2
  k8s.io/api/batch/v1
  k8s.io/api/certificates/v1
  k8s.io/api/coordination/v1
  k8s.io/api/core/v1
  k8s.io/api/discovery/v1
  k8s.io/api/events/v1
  k8s.io/api/networking/v1
  k8s.io/api/node/v1
  k8s.io/api/policy/v1
  k8s.io/api/rbac/v1
  k8s.io/api/resource/v1
  k8s.io/api/scheduling/v1
  # batch/v1 JobSchedulingConfiguration references the alpha Workload API.
  k8s.io/api/scheduling/v1alpha3
  k8s.io/api/storage/v1
  k8s.io/apimachinery/pkg/api/resource
  k8s.io/apimachinery/pkg/apis/meta/v1
  k8s.io/apimachinery/pkg/runtime
  k8s.io/apimachinery/pkg/util/intstr
  k8s.io/apimachinery/pkg/version
  # The resource metrics API (registry/metrics).
  k8s.io/metrics/pkg/apis/metrics/v1beta1
)

mkdir -p "${OUTPUT_DIR}"

# No --output-model-name-file: every input package already ships its
# OpenAPIModelName methods, and they live in the read-only module cache.
go tool openapi-gen \
  --go-header-file hack/boilerplate.go.txt \
  --output-dir "${OUTPUT_DIR}" \
  --output-pkg "${OUTPUT_PKG}" \
  --output-file zz_generated.openapi.go \
  --report-filename "${REPORT_FILE}" \
  "${PACKAGES[@]}"

# The report lists upstream's own, accepted violations of the API rules
# (upstream keeps them in api/api-rules/violation_exceptions.list). It is
# committed so that hack/verify-openapi.sh notices when the list changes.
touch "${REPORT_FILE}"
