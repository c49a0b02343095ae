#!/usr/bin/env bash
# What AgentSandbox costs, measured against a real engine with the real Claude Code CLI driven by the scripted API:
# prints one table of medians and targets and writes it to artifacts/bench/results.md (README shows the latest).
#   build/bench.sh [--quick] [--only 1,2,...]     sections: 1 warm runs, 2 no-op image step, 3 copy workspace,
#                                                  4 build context, 5 image size, 6 rebuilds, 7 parallel, 8 output, 9 proxy,
#                                                  10 fan-out over the cluster KUBECONFIG names (skipped without one)
# Needs what .ci/run sets up (a running engine, the test base image, NODE_EXTRA_CA_CERTS behind a TLS-intercepting
# proxy); installs hyperfine from Debian's packages when it is missing. Exits 1 when a target is not met.
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v hyperfine >/dev/null; then
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q hyperfine
fi
docker version >/dev/null || { echo "bench: no Docker engine answers; start one (see .ci/run)" >&2; exit 2; }
export NODE_EXTRA_CA_CERTS="${NODE_EXTRA_CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}"
export SSL_CERT_FILE="${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}"
export DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1

# The package as users get it: the benchmark's projects restore it from artifacts/packages.
dotnet pack AgentSandbox.Sdk.sln -c Release -o artifacts/packages -nodeReuse:false -v:q
dotnet run -c Release --project bench/AgentSandbox.Sdk.Benchmarks -- "$@"
