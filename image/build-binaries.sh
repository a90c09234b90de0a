#!/usr/bin/env bash
# Build the pinned Multus + CNI plugin binaries from two tools-only modules:
#   image/multus/go.mod + go.sum   -> multus, thin_entrypoint
#   image/plugins/go.mod + go.sum  -> bridge, macvlan, ipvlan, loopback,
#                                     host-local, dhcp, static
# Each module is built on its own, so each upstream gets exactly the
# dependency versions of its own release.
#
# Default: builds into a content-addressed cache dir
#   <repo>/.cache/bin/<key>/
# where <key> = first 16 hex of sha256(both go.mod/go.sum pairs, this script,
# go env GOVERSION/GOOS/GOARCH/GOAMD64/GOARM64/GOFLAGS/GOEXPERIMENT).
# If that dir already exists nothing is built.
# A symlink <repo>/.cache/bin/current -> <key> is (re)created.
#
# OUT_DIR=/some/dir: build straight into that dir instead (no cache, no
# symlink; always builds). Intended for the Containerfile build stage.
#
# CACHE_DIR overrides <repo>/.cache/bin.
#
# Logs go to stderr; the last line on stdout is the output directory.
set -euo pipefail

# Never download a toolchain; ignore any go.work above us.
export GOTOOLCHAIN=local
export GOWORK=off
export CGO_ENABLED=0

IMAGE_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_ROOT="$(cd "${IMAGE_DIR}/.." && pwd)"
SCRIPT_PATH="${IMAGE_DIR}/$(basename "${BASH_SOURCE[0]}")"

MULTUS_DIR="${IMAGE_DIR}/multus"
PLUGINS_DIR="${IMAGE_DIR}/plugins"
# Relative to IMAGE_DIR; these four files define what gets built.
MOD_FILES=(multus/go.mod multus/go.sum plugins/go.mod plugins/go.sum)

MULTUS_MOD="gopkg.in/k8snetworkplumbingwg/multus-cni.v4"
PLUGINS_MOD="github.com/containernetworking/plugins"

MULTUS_PACKAGES=(
  "${MULTUS_MOD}/cmd/multus"
  "${MULTUS_MOD}/cmd/thin_entrypoint"
)
PLUGINS_PACKAGES=(
  "${PLUGINS_MOD}/plugins/main/bridge"
  "${PLUGINS_MOD}/plugins/main/macvlan"
  "${PLUGINS_MOD}/plugins/main/ipvlan"
  "${PLUGINS_MOD}/plugins/main/loopback"
  "${PLUGINS_MOD}/plugins/ipam/host-local"
  "${PLUGINS_MOD}/plugins/ipam/dhcp"
  "${PLUGINS_MOD}/plugins/ipam/static"
)

log() { printf '[build-binaries] %s\n' "$*" >&2; }

# mod_version MODDIR MODPATH: version of MODPATH selected in MODDIR's module.
mod_version() {
  go -C "$1" list -mod=readonly -m -f '{{.Version}}' "$2"
}

# go_build MODDIR DEST LDFLAGS PKG...: one `go build` per module. go builds
# the packages in parallel and, with -o DIR, names each binary after the
# last element of its import path.
go_build() {
  local moddir="$1" dest="$2" ldflags="$3"
  shift 3
  go -C "${moddir}" build -mod=readonly -trimpath -buildvcs=false \
    -ldflags "${ldflags}" -o "${dest}/" "$@"
}

# build_into DIR: compile all binaries into DIR (which must exist) and write
# DIR/versions.json.
build_into() {
  local dest="$1"
  local multus_ver plugins_ver multus_date go_ver
  multus_ver="$(mod_version "${MULTUS_DIR}" "${MULTUS_MOD}")"
  plugins_ver="$(mod_version "${PLUGINS_DIR}" "${PLUGINS_MOD}")"
  # Release time from the module proxy .info: deterministic, unlike `date`.
  multus_date="$(go -C "${MULTUS_DIR}" list -mod=readonly -m \
    -f '{{if .Time}}{{.Time.UTC.Format "2006-01-02T15:04:05Z07:00"}}{{end}}' "${MULTUS_MOD}")"
  go_ver="$(go env GOVERSION)"

  local mpkg="${MULTUS_MOD}/pkg/multus"
  local multus_ldflags="-s -w"
  multus_ldflags+=" -X ${mpkg}.version=${multus_ver}"
  multus_ldflags+=" -X ${mpkg}.commit=unknown"
  multus_ldflags+=" -X ${mpkg}.gitTreeState=clean"
  multus_ldflags+=" -X ${mpkg}.releaseStatus=,released"
  multus_ldflags+=" -X ${mpkg}.date=${multus_date:-unknown}"
  local plugins_ldflags="-s -w"
  plugins_ldflags+=" -X ${PLUGINS_MOD}/pkg/utils/buildversion.BuildVersion=${plugins_ver}"

  log "building multus ${multus_ver} with ${go_ver} -> ${dest}"
  go_build "${MULTUS_DIR}" "${dest}" "${multus_ldflags}" "${MULTUS_PACKAGES[@]}"
  log "building plugins ${plugins_ver} with ${go_ver} -> ${dest}"
  go_build "${PLUGINS_DIR}" "${dest}" "${plugins_ldflags}" "${PLUGINS_PACKAGES[@]}"

  printf '{"multus": "%s", "plugins": "%s", "go": "%s"}\n' \
    "${multus_ver}" "${plugins_ver}" "${go_ver}" >"${dest}/versions.json"
}

if [[ -n "${OUT_DIR:-}" ]]; then
  mkdir -p "${OUT_DIR}"
  out="$(cd "${OUT_DIR}" && pwd)"
  start=${SECONDS}
  build_into "${out}"
  log "done in $((SECONDS - start))s"
  printf '%s\n' "${out}"
  exit 0
fi

CACHE_DIR="${CACHE_DIR:-${REPO_ROOT}/.cache/bin}"

# Cache key: everything that determines the output bytes. sha256sum of the
# module files records each file's relative name next to its hash, so the key
# does not depend on where the repo is checked out.
key="$(
  {
    (cd "${IMAGE_DIR}" && sha256sum "${MOD_FILES[@]}")
    cat "${SCRIPT_PATH}"
    go env GOVERSION GOOS GOARCH GOAMD64 GOARM64 GOFLAGS GOEXPERIMENT
  } | sha256sum | cut -c1-16
)"
key_dir="${CACHE_DIR}/${key}"

update_current() {
  # Relative target so the link stays valid if the repo is moved.
  local tmp_link="${CACHE_DIR}/.current.$$"
  ln -sfn "${key}" "${tmp_link}"
  mv -Tf "${tmp_link}" "${CACHE_DIR}/current"
}

if [[ -d "${key_dir}" ]]; then
  log "cache hit: ${key_dir}"
  update_current
  printf '%s\n' "${key_dir}"
  exit 0
fi

mkdir -p "${CACHE_DIR}"
tmp_dir="$(mktemp -d "${CACHE_DIR}/.tmp-${key}.XXXXXX")"
trap 'rm -rf "${tmp_dir}"' EXIT

start=${SECONDS}
build_into "${tmp_dir}"
chmod 0755 "${tmp_dir}"

# Atomic publish. If a concurrent run won the race, keep its result.
if ! mv -T "${tmp_dir}" "${key_dir}" 2>/dev/null; then
  if [[ -d "${key_dir}" ]]; then
    log "another run already published ${key_dir}; discarding ours"
  else
    log "failed to move ${tmp_dir} to ${key_dir}"
    exit 1
  fi
fi
log "done in $((SECONDS - start))s"

update_current
printf '%s\n' "${key_dir}"
