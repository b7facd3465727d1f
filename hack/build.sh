#!/usr/bin/env bash
# Builds _output/bin/kubeshim.
source "$(dirname "$0")/lib.sh"
mkdir -p _output/bin
go build -ldflags "$LDFLAGS" -o _output/bin/kubeshim ./cmd/kubeshim
echo "built _output/bin/kubeshim ($(_output/bin/kubeshim version))"
