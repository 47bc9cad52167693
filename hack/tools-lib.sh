# shellcheck shell=bash
# Shared by the hack/build-*.sh scripts, which source it: where built tools
# are cached, and one builder at a time per cache directory.

# tools_cache_root prints the cache root for built tools.
tools_cache_root() {
	printf '%s\n' "${JOBFIT_TOOLS_DIR:-${XDG_CACHE_HOME:-${HOME}/.cache}/jobfit-tools}"
}

# lock_tool_dir DIR makes DIR and holds DIR/.lock on file descriptor 9 until
# the script exits, waiting while another build of the same directory runs;
# a caller that waited then finds the binaries already there. It fails when
# go, which every build needs, is not on PATH.
lock_tool_dir() {
	command -v go >/dev/null || {
		printf 'error: go is not on PATH\n' >&2
		exit 1
	}
	mkdir -p "$1"
	command -v flock >/dev/null || return 0
	exec 9>"$1/.lock"
	if ! flock -n 9; then
		printf '==> waiting for another build in %s\n' "$1" >&2
		flock 9
	fi
}
