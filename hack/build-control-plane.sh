#!/usr/bin/env bash
# Build the control-plane binaries the integration and end-to-end tests need
# (kube-apiserver, kube-scheduler, etcd) from Go modules, and cache them outside
# the repository in a directory keyed by version. A second run is instant.
#
# Usage:
#   export KUBEBUILDER_ASSETS="$(hack/build-control-plane.sh)"
#   hack/build-control-plane.sh --print-dir   # print the directory, build nothing
#
# Only the asset directory is printed on stdout; progress goes to stderr.
#
# Environment:
#   JOBFIT_TOOLS_DIR  cache root (default ${XDG_CACHE_HOME:-$HOME/.cache}/jobfit-tools)
#   K8S_VERSION       k8s.io/kubernetes version (default v1.35.1)
#   ETCD_VERSION      go.etcd.io/etcd/server/v3 version (default v3.6.5, the one
#                     k8s.io/kubernetes v1.35.1 requires)
set -euo pipefail
# shellcheck source=hack/tools-lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/tools-lib.sh"

K8S_VERSION="${K8S_VERSION:-v1.35.1}"
ETCD_VERSION="${ETCD_VERSION:-v3.6.5}"
BINARIES=(kube-apiserver kube-scheduler etcd)

log() { printf '%s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

usage() {
	cat >&2 <<EOF
usage: $0 [--print-dir] [--with-scheduler]

Builds kube-apiserver and kube-scheduler (k8s.io/kubernetes ${K8S_VERSION}) and
etcd (go.etcd.io/etcd/server/v3 ${ETCD_VERSION}) from Go modules into a cache
directory and prints that directory on stdout.

  --print-dir       print the cache directory and exit without building
  --with-scheduler  accepted for compatibility; kube-scheduler is always built
EOF
}

print_dir_only=false
while (($#)); do
	case "$1" in
	--print-dir) print_dir_only=true ;;
	--with-scheduler) ;;
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

[[ "${K8S_VERSION}" =~ ^v1\.([0-9]+)\.([0-9]+)$ ]] ||
	die "K8S_VERSION must look like v1.X.Y, got ${K8S_VERSION}"
k8s_minor="${BASH_REMATCH[1]}"
# Staging modules (k8s.io/api, k8s.io/apiserver, ...) are tagged v0.X.Y for v1.X.Y.
STAGING_VERSION="v0.${k8s_minor}.${BASH_REMATCH[2]}"

cache_root="$(tools_cache_root)"
asset_dir="${cache_root}/k8s-${K8S_VERSION}-etcd-${ETCD_VERSION}"

if [[ "${print_dir_only}" == true ]]; then
	printf '%s\n' "${asset_dir}"
	exit 0
fi

complete() {
	local b
	for b in "${BINARIES[@]}"; do
		[[ -x "${asset_dir}/${b}" ]] || return 1
	done
}

if complete; then
	printf '%s\n' "${asset_dir}"
	exit 0
fi

# One builder at a time per asset directory; a second caller waits and then
# finds the binaries already there.
lock_tool_dir "${asset_dir}"

work="$(mktemp -d "${TMPDIR:-/tmp}/jobfit-control-plane.XXXXXX")"
cleanup() {
	rm -rf "${work}"
	rm -f "${asset_dir}"/.*.tmp."$$"
}
trap cleanup EXIT

# Scratch modules live in ${work}; keep the caller's workspace and vendoring out.
export GOWORK=off GO111MODULE=on CGO_ENABLED=0
export GOFLAGS="-mod=mod -buildvcs=false"

# go_mod_field MODULE@VERSION FIELD prints one path field of `go mod download -json`.
go_mod_field() {
	(cd "${work}" && go mod download -json "$1") |
		sed -n "s/^[[:space:]]*\"$2\": \"\\(.*\\)\",\\{0,1\\}\$/\\1/p"
}

# build NAME MODULE_DIR LDFLAGS PACKAGE: go build into a temporary name, check
# the binary runs, then rename it into place.
build() {
	local name="$1" dir="$2" ldflags="$3" pkg="$4"
	local tmp="${asset_dir}/.${name}.tmp.$$" start="${SECONDS}"
	(cd "${dir}" && go build -trimpath -ldflags="${ldflags}" -o "${tmp}" "${pkg}")
	"${tmp}" --version >/dev/null || die "${name} --version failed"
	mv -f "${tmp}" "${asset_dir}/${name}"
	log "    ${name} built in $((SECONDS - start))s"
}

need() { [[ ! -x "${asset_dir}/$1" ]]; }

if need kube-apiserver || need kube-scheduler; then
	log "==> resolving k8s.io/kubernetes ${K8S_VERSION} (staging modules at ${STAGING_VERSION})"
	k8s_gomod="$(go_mod_field "k8s.io/kubernetes@${K8S_VERSION}" GoMod)"
	k8s_info="$(go_mod_field "k8s.io/kubernetes@${K8S_VERSION}" Info)"
	[[ -f "${k8s_gomod}" ]] || die "could not download k8s.io/kubernetes@${K8S_VERSION}"

	# Every staging module k8s.io/kubernetes replaces with ./staging/src/k8s.io/X.
	mapfile -t staging < <(sed -n \
		's#^\(replace\)\{0,1\}[[:space:]]*\(k8s\.io/[^[:space:]]*\)[[:space:]]*=>[[:space:]]*\./staging/src/.*#\2#p' \
		"${k8s_gomod}")
	((${#staging[@]} > 0)) || die "no staging replaces found in ${k8s_gomod}"

	kdir="${work}/kubernetes"
	mkdir -p "${kdir}"
	{
		echo "module jobfit.dev/tools/kubernetes"
		echo
		grep -m1 '^go ' "${k8s_gomod}"
		grep '^godebug ' "${k8s_gomod}" || true
		echo
		echo "require k8s.io/kubernetes ${K8S_VERSION}"
		echo
		echo "replace ("
		for m in "${staging[@]}"; do
			printf '\t%s => %s %s\n' "${m}" "${m}" "${STAGING_VERSION}"
		done
		echo ")"
	} >"${kdir}/go.mod"
	(cd "${kdir}" && go get \
		"k8s.io/kubernetes/cmd/kube-apiserver@${K8S_VERSION}" \
		"k8s.io/kubernetes/cmd/kube-scheduler@${K8S_VERSION}") >&2

	build_date="$(sed -n 's/.*"Time":"\([^"]*\)".*/\1/p' "${k8s_info}" 2>/dev/null || true)"
	kflags="-s -w"
	# Without these, --version and /version report v0.0.0-master+$Format:%H$.
	for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
		kflags+=" -X ${p}.gitVersion=${K8S_VERSION}"
		kflags+=" -X ${p}.gitMajor=1 -X ${p}.gitMinor=${k8s_minor}"
		kflags+=" -X ${p}.gitTreeState=clean"
		kflags+=" -X ${p}.buildDate=${build_date:-1970-01-01T00:00:00Z}"
	done

	for b in kube-apiserver kube-scheduler; do
		if need "${b}"; then
			log "==> building ${b} ${K8S_VERSION} (first time ~10 min on 2 cores)"
			build "${b}" "${kdir}" "${kflags}" "k8s.io/kubernetes/cmd/${b}"
		fi
	done
fi

if need etcd; then
	log "==> resolving go.etcd.io/etcd/server/v3 ${ETCD_VERSION}"
	edir="${work}/etcd"
	mkdir -p "${edir}"
	cat >"${edir}/go.mod" <<EOF
module jobfit.dev/tools/etcd

go 1.24

require go.etcd.io/etcd/server/v3 ${ETCD_VERSION}
EOF
	cat >"${edir}/main.go" <<'EOF'
package main

import (
	"os"

	"go.etcd.io/etcd/server/v3/etcdmain"
)

func main() { etcdmain.Main(os.Args) }
EOF
	(cd "${edir}" && go get "go.etcd.io/etcd/server/v3/etcdmain@${ETCD_VERSION}") >&2

	log "==> building etcd ${ETCD_VERSION} (first time ~2 min on 2 cores)"
	build etcd "${edir}" "-s -w" .
fi

complete || die "some binaries are missing in ${asset_dir}"
log "==> control-plane binaries ready in ${asset_dir}"
printf '%s\n' "${asset_dir}"
