#!/usr/bin/env bash
# Build helm (helm.sh/helm/v3) from Go modules and cache it outside the
# repository in a directory keyed by version, as hack/build-control-plane.sh
# does for the control plane. A second run is instant.
#
# Usage:
#   PATH="$(hack/build-helm.sh):${PATH}" helm lint --strict manifests/helm/jobfit
#   hack/build-helm.sh --print-dir   # print the directory, build nothing
#
# Only the directory holding the helm binary is printed on stdout; progress
# goes to stderr.
#
# Environment:
#   JOBFIT_TOOLS_DIR  cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/jobfit-tools)
#   HELM_VERSION      helm.sh/helm/v3 version (default v3.22.0)
set -euo pipefail
# shellcheck source=hack/tools-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/tools-lib.sh"

HELM_VERSION="${HELM_VERSION:-v3.22.0}"

log() { printf '%s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
	cat >&2 <<EOF
usage: $0 [--print-dir]

Builds helm (helm.sh/helm/v3 ${HELM_VERSION}) from Go modules into a cache
directory and prints that directory on stdout.

  --print-dir  print the cache directory and exit without building
EOF
}

print_dir_only=false
while (($#)); do
	case "$1" in
	--print-dir) print_dir_only=true ;;
	-h | --help)
		usage
		exit 0
		;;
	*)
		usage
		die "unknown argument: $1"
		;;
	esac
	shift
done

[[ "${HELM_VERSION}" =~ ^v3\.[0-9]+\.[0-9]+$ ]] ||
	die "HELM_VERSION must look like v3.X.Y, got ${HELM_VERSION}"

cache_root="$(tools_cache_root)"
tool_dir="${cache_root}/helm-${HELM_VERSION}"

if [[ "${print_dir_only}" == true || -x "${tool_dir}/helm" ]]; then
	printf '%s\n' "${tool_dir}"
	exit 0
fi

# One builder at a time per version; a second caller waits and then finds
# the binary already there.
lock_tool_dir "${tool_dir}"
if [[ -x "${tool_dir}/helm" ]]; then
	printf '%s\n' "${tool_dir}"
	exit 0
fi

gobin="$(mktemp -d "${TMPDIR:-/tmp}/jobfit-helm.XXXXXX")"
tmp="${tool_dir}/.helm.tmp.$$"
trap 'rm -rf "${gobin}"; rm -f "${tmp}"' EXIT

# Build outside any module so that the caller's go.mod, go.work and
# vendoring play no part: helm needs newer Kubernetes modules than jobfit.
export GOWORK=off GO111MODULE=on CGO_ENABLED=0
export GOFLAGS="-mod=mod -buildvcs=false"
cd "${gobin}"

# The stamps helm's own Makefile sets. Without them `helm version` says
# v3.22, and the Kubernetes version that `helm template` and `helm lint`
# assume (.Capabilities.KubeVersion) is v1.20, older than jobfit supports.
gomod="$(go mod download -json "helm.sh/helm/v3@${HELM_VERSION}" |
	sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')"
[[ -f "${gomod}" ]] || die "could not download helm.sh/helm/v3@${HELM_VERSION}"
k8s_minor="$(sed -n 's#^[[:space:]]*k8s\.io/client-go v0\.\([0-9]*\)\..*#\1#p' "${gomod}")"
[[ -n "${k8s_minor}" ]] || die "no k8s.io/client-go version in ${gomod}"
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=${HELM_VERSION}"
ldflags+=" -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for p in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
	ldflags+=" -X ${p}.k8sVersionMajor=1 -X ${p}.k8sVersionMinor=${k8s_minor}"
done

log "==> building helm ${HELM_VERSION} (first time ~5 min on 2 cores)"
start="${SECONDS}"
# go install MODULE@VERSION builds helm with its own go.mod, as released.
GOBIN="${gobin}" go install -trimpath -ldflags="${ldflags}" \
	"helm.sh/helm/v3/cmd/helm@${HELM_VERSION}" >&2
mv -f "${gobin}/helm" "${tmp}"
"${tmp}" version --short >/dev/null || die "helm version failed"
mv -f "${tmp}" "${tool_dir}/helm"
log "    helm built in $((SECONDS - start))s"
printf '%s\n' "${tool_dir}"
