#!/usr/bin/env bash
# Build the end-to-end tools from Go modules and cache them outside the
# repository in a directory keyed by version (a second run is instant):
#   karpenter-kwok  Karpenter with its kwok cloud provider (sigs.k8s.io/karpenter/kwok)
#   kwok            kwok, which plays the kubelet for the nodes Karpenter creates
#   stages/*.yaml   kwok's "fast" node and pod stages, from the kwok module
#
# Usage:
#   export JOBFIT_E2E_TOOLS="$(hack/build-e2e-tools.sh)"
#
# Only the directory is printed on stdout; progress goes to stderr.
#
# Environment:
#   JOBFIT_TOOLS_DIR   cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/jobfit-tools)
#   KARPENTER_VERSION  sigs.k8s.io/karpenter version (default v1.14.1, as in go.mod)
#   KWOK_VERSION       sigs.k8s.io/kwok version (default v0.8.0)
set -euo pipefail
# shellcheck source=hack/tools-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/tools-lib.sh"

KARPENTER_VERSION="${KARPENTER_VERSION:-v1.14.1}"
KWOK_VERSION="${KWOK_VERSION:-v0.8.0}"

log() { printf '%s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

cache_root="$(tools_cache_root)"
dir="${cache_root}/e2e-karpenter-${KARPENTER_VERSION}-kwok-${KWOK_VERSION}"

complete() {
	[[ -x "${dir}/karpenter-kwok" && -x "${dir}/kwok" ]] && compgen -G "${dir}/stages/*.yaml" >/dev/null
}

if complete; then
	printf '%s\n' "${dir}"
	exit 0
fi

# One builder at a time per directory.
lock_tool_dir "${dir}"

work="$(mktemp -d "${TMPDIR:-/tmp}/jobfit-e2e-tools.XXXXXX")"
trap 'rm -rf "${work}"' EXIT

export GOWORK=off GO111MODULE=on CGO_ENABLED=0
export GOFLAGS="-mod=mod -buildvcs=false"

log "==> resolving sigs.k8s.io/karpenter ${KARPENTER_VERSION} and sigs.k8s.io/kwok ${KWOK_VERSION}"
cat >"${work}/go.mod" <<EOF
module jobfit.dev/tools/e2e

go 1.26
EOF
cat >"${work}/tools.go" <<'EOF'
//go:build tools

package tools

import (
	_ "sigs.k8s.io/karpenter/kwok"
	_ "sigs.k8s.io/kwok/cmd/kwok"
)
EOF
(cd "${work}" && go get "sigs.k8s.io/karpenter@${KARPENTER_VERSION}" "sigs.k8s.io/kwok@${KWOK_VERSION}" && go mod tidy) >&2

start="${SECONDS}"
log "==> building karpenter-kwok and kwok (first time ~5 min on 2 cores)"
(cd "${work}" && go build -trimpath -o "${dir}/.karpenter-kwok.tmp" sigs.k8s.io/karpenter/kwok)
(cd "${work}" && go build -trimpath -o "${dir}/.kwok.tmp" sigs.k8s.io/kwok/cmd/kwok)
"${dir}/.kwok.tmp" --version >/dev/null || die "kwok --version failed"

kwok_dir="$(cd "${work}" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)"
mkdir -p "${dir}/stages"
for f in node/fast/node-initialize.yaml pod/fast/pod-ready.yaml pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
	install -m 0644 "${kwok_dir}/kustomize/stage/${f}" "${dir}/stages/"
done
mv -f "${dir}/.karpenter-kwok.tmp" "${dir}/karpenter-kwok"
mv -f "${dir}/.kwok.tmp" "${dir}/kwok"
log "    built in $((SECONDS - start))s"
log "==> e2e tools ready in ${dir}"
printf '%s\n' "${dir}"
