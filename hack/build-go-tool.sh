#!/usr/bin/env bash
# Build a Go command from the Go module proxy and cache it outside the
# repository in a directory keyed by name and version (a second run is
# instant). For tools whose module can be installed with `go install
# pkg@version` (no replace or exclude directives in its go.mod).
#
# Usage:
#   hack/build-go-tool.sh NAME PACKAGE@VERSION
#   hack/build-go-tool.sh promtool github.com/prometheus/prometheus/cmd/promtool@v0.316.0
#
# Only the binary's path is printed on stdout; progress goes to stderr.
#
# Environment:
#   JOBFIT_TOOLS_DIR  cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/jobfit-tools)
set -euo pipefail
# shellcheck source=hack/tools-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/tools-lib.sh"

log() { printf '%s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

(($# == 2)) || die "usage: $0 NAME PACKAGE@VERSION"
name="$1"
pkg="$2"
[[ "${pkg}" == *@v* ]] || die "PACKAGE@VERSION must carry a version, got ${pkg}"
version="${pkg##*@}"

cache_root="$(tools_cache_root)"
dir="${cache_root}/${name}-${version}"
bin="${dir}/${name}"

if [[ -x "${bin}" ]]; then
	printf '%s\n' "${bin}"
	exit 0
fi

# One builder at a time per directory.
lock_tool_dir "${dir}"
if [[ -x "${bin}" ]]; then
	printf '%s\n' "${bin}"
	exit 0
fi

work="$(mktemp -d "${TMPDIR:-/tmp}/jobfit-${name}.XXXXXX")"
trap 'rm -rf "${work}"' EXIT

start="${SECONDS}"
log "==> building ${name} from ${pkg} (once; cached in ${dir})"
# Outside any module, with the caller's GOFLAGS ignored, so the tool's own
# go.mod decides its dependencies.
(cd "${work}" && GOWORK=off GO111MODULE=on CGO_ENABLED=0 GOFLAGS="-buildvcs=false" GOBIN="${work}/bin" \
	go install -trimpath -ldflags="-s -w" "${pkg}") >&2
mv -f "${work}/bin/${name}" "${bin}"
log "    built in $((SECONDS - start))s"
printf '%s\n' "${bin}"
