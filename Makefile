# kubeshim: the Makefile only dispatches; the work is in hack/.
SHELL := /bin/bash
.DEFAULT_GOAL := help

export KUBESHIM_VERSION ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)

.PHONY: help
help: ## Show the targets
	@awk 'BEGIN {FS = ":.*## "} /^[a-zA-Z_-]+:.*## / {printf "  %-12s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

.PHONY: build
build: ## Build _output/bin/kubeshim
	hack/build.sh

.PHONY: test
test: ## Run every test CI runs (verify, unit, integration, end-to-end)
	hack/test.sh

.PHONY: verify
verify: ## Check gofmt, go vet and generated code
	hack/verify-all.sh

.PHONY: test-images
test-images: ## Build the test images and import them into containerd
	hack/test-images.sh

.PHONY: conformance
conformance: ## Run the upstream conformance tests of conformance/focus.txt (FOCUS=regex|all)
	hack/conformance.sh

.PHONY: bench
bench: ## Measure kubeshim against upstream kube-apiserver and etcd (docs/benchmarks.md)
	hack/bench.sh

.PHONY: bench-start
bench-start: build ## Measure kubeshim server's cold start to /readyz and, with IDLE=1, its idle RSS and CPU (docs/benchmarks.md)
	hack/bench-start.sh

.PHONY: bench-pods
bench-pods: ## Measure pod startup latency on a real one-node cluster (docs/benchmarks.md)
	hack/bench-pods.sh

.PHONY: bench-deployments
bench-deployments: ## Measure how long 10- and 100-replica deployments take to be available on a real node (docs/benchmarks.md)
	ROUNDS=$${ROUNDS:-2} hack/bench-pods.sh deployments

.PHONY: bench-deployments-simulated
bench-deployments-simulated: ## The same on 10 simulated nodes: the control plane alone, no root needed (docs/benchmarks.md)
	ROUNDS=$${ROUNDS:-3} hack/bench-pods.sh deployments-simulated

.PHONY: bench-scheduler
bench-scheduler: ## Measure kubeshim's scheduler against kube-scheduler on 1,000 and 5,000 simulated nodes (docs/benchmarks.md)
	hack/bench-scheduler.sh

.PHONY: up
up: ## Install what the host lacks, build, start a one-node cluster
	hack/up.sh

.PHONY: down
down: ## Stop the cluster `make up` started
	hack/down.sh

.PHONY: update
update: ## Regenerate generated code
	hack/update-openapi.sh

.PHONY: clean
clean: ## Remove build output
	rm -rf _output
