#!/usr/bin/env bash
# Builds _output/bin/kubeshim and _output/bin/kubeshim-pause.
source "$(dirname "$0")/lib.sh"
mkdir -p _output/bin
go build -ldflags "$LDFLAGS" -o _output/bin/kubeshim ./cmd/kubeshim
echo "built _output/bin/kubeshim ($(_output/bin/kubeshim version))"
# The sandbox's pause process, static so that its image needs no libraries.
CGO_ENABLED=0 go build -ldflags "-s -w" -o _output/bin/kubeshim-pause ./cmd/kubeshim-pause
echo "built _output/bin/kubeshim-pause ($(_output/bin/kubeshim-pause -v))"
