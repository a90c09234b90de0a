#!/usr/bin/env bash
# Assembles the microshift-multus image's root filesystem into a directory. The Containerfile's final stage
# is `FROM scratch` + a copy of what this script produces, so a test can run the very same tree with chroot
# when there is no container engine (test/image/rootfs.test.ts).
#
# Usage: image/rootfs/assemble.sh OUT_DIR
#   OUT_DIR must not exist or be empty. The last line on stdout is OUT_DIR; progress goes to stderr.
#
# Inputs (environment; defaults are this checkout's build outputs):
#   NODE_BIN  the Node.js 24 binary           default <repo>/node_modules/node/bin/node (npm node@24, pinned
#                                              by package-lock.json; the real ELF, not a wrapper)
#   BUNDLE    the agent bundle                default <repo>/dist/multus-agent.mjs (npm run build)
#   BIN_DIR   the pinned Go binaries          default <repo>/.cache/bin/current (image/build-binaries.sh)
#   NODE_MODULES  installed packages          default <repo>/node_modules (npm ci); read only when the bundle
#                                              imports a package it keeps external (see below)
#   SOURCE_DATE_EPOCH  mtime of every entry   default 0, so the tree's metadata does not depend on when it
#                                              was assembled
#
# Layout:
#   /usr/bin/node                                  Node.js runtime, plus the shared libraries ldd says it
#   /lib*/..., /usr/lib*/...                       needs (libc, libm, libstdc++, libgcc_s, ld-linux...),
#                                                  at the paths ldd resolved them to
#   /usr/lib/multus-agent/multus-agent.mjs         the agent (+ .LEGAL.txt: licences of bundled code)
#   /usr/lib/multus-agent/dhcp-socket-cleanup.mjs  the dhcp-daemon init container's stale-socket check
#   /usr/lib/multus-agent/versions.json            Multus, plugins and Go versions of the binaries
#   /usr/lib/multus-agent/node_modules/            only if the bundle imports a package it keeps external
#                                                  (scripts/bundle.mjs: @kubernetes/client-node, loaded
#                                                  lazily by the doctor/lint commands): that package and its
#                                                  runtime dependency closure, as installed by npm ci
#   /usr/src/multus-cni/bin/multus                 thin plugin (MicroShift's multus-cni-microshift path)
#   /usr/src/plugins/bin/{bridge,macvlan,ipvlan,host-local,dhcp,static}
#                                                  (MicroShift's containernetworking-plugins-microshift path)
#   /etc/passwd, /etc/group                        root and nobody
#   /tmp                                           1777, empty
# No shell, no package manager. The agent itself runs with the copied node and libraries alone (checked).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"

NODE_BIN="${NODE_BIN:-${repo}/node_modules/node/bin/node}"
BUNDLE="${BUNDLE:-${repo}/dist/multus-agent.mjs}"
BIN_DIR="${BIN_DIR:-${repo}/.cache/bin/current}"
NODE_MODULES="${NODE_MODULES:-${repo}/node_modules}"
SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-0}"

MULTUS_BINARIES=(multus)
PLUGIN_BINARIES=(bridge macvlan ipvlan host-local dhcp static)

log() { printf '[assemble] %s\n' "$*" >&2; }
die() {
	log "error: $*"
	exit 1
}

[[ $# -eq 1 ]] || die "usage: $0 OUT_DIR"
out="$1"
if [[ -e "${out}" ]] && [[ -n "$(ls -A "${out}")" ]]; then
	die "${out} is not empty"
fi

[[ -x "${NODE_BIN}" ]] || die "no Node.js binary at ${NODE_BIN}: run 'npm ci', or set NODE_BIN"
[[ -f "${BUNDLE}" ]] || die "no agent bundle at ${BUNDLE}: run 'npm run build', or set BUNDLE"
for name in "${MULTUS_BINARIES[@]}" "${PLUGIN_BINARIES[@]}"; do
	[[ -x "${BIN_DIR}/${name}" ]] || die "no ${name} in ${BIN_DIR}: run image/build-binaries.sh, or set BIN_DIR"
done

node_bin="$(readlink -f "${NODE_BIN}")"
node_version="$("${node_bin}" --version)"
[[ "${node_version}" == v24.* ]] || die "${NODE_BIN} is Node.js ${node_version}, not 24"

# What the bundle imports at run time besides Node.js built-ins ("node:x", or a bare built-in name that
# esbuild keeps for CommonJS dependencies): packages scripts/bundle.mjs keeps external. Only those (and
# their dependencies) go into the image's node_modules.
externals=()
while read -r specifier; do
	[[ -n "${specifier}" && "${specifier}" != node:* ]] || continue
	if "${node_bin}" -e 'process.exit(require("node:module").isBuiltin(process.argv[1]) ? 0 : 1)' "${specifier}"; then
		continue
	fi
	# The package name: @scope/name or name, without a subpath.
	if [[ "${specifier}" == @* ]]; then
		package="$(cut -d/ -f1-2 <<<"${specifier}")"
	else
		package="${specifier%%/*}"
	fi
	[[ " ${externals[*]} " == *" ${package} "* ]] || externals+=("${package}")
done < <(grep -oE "(from ?|import\(|require\()[\"'][^\"']+[\"']" "${BUNDLE}" | sed -E "s/^(from ?|import\(|require\()[\"']//; s/[\"']$//" | sort -u)

mkdir -p "${out}"
out="$(cd "${out}" && pwd)"

install -d -m 0755 "${out}/usr/bin" "${out}/usr/lib/multus-agent" "${out}/usr/src/multus-cni/bin" \
	"${out}/usr/src/plugins/bin" "${out}/etc"
install -d -m 1777 "${out}/tmp"

log "node ${node_version} from ${node_bin}"
install -m 0755 "${node_bin}" "${out}/usr/bin/node"

# Shared libraries: copy each file ldd resolves (following symlinks) to the same path in the tree, so the
# loader's default search path finds them without an ld.so.cache. The interpreter (the line without
# "=>") lands at the absolute path baked into the ELF, e.g. /lib64/ld-linux-x86-64.so.2.
ldd_output="$(ldd "${node_bin}")" || die "ldd ${node_bin} failed"
if grep -q 'not found' <<<"${ldd_output}"; then
	die "ldd cannot resolve every library of ${node_bin}:
${ldd_output}"
fi
while read -r lib; do
	install -d -m 0755 "${out}$(dirname "${lib}")"
	install -m 0755 "$(readlink -f "${lib}")" "${out}${lib}"
	log "library ${lib}"
done < <(awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' <<<"${ldd_output}" | sort -u)

install -m 0644 "${BUNDLE}" "${out}/usr/lib/multus-agent/multus-agent.mjs"
if [[ -f "${BUNDLE}.LEGAL.txt" ]]; then
	install -m 0644 "${BUNDLE}.LEGAL.txt" "${out}/usr/lib/multus-agent/multus-agent.mjs.LEGAL.txt"
fi

for name in "${MULTUS_BINARIES[@]}"; do
	install -m 0755 "${BIN_DIR}/${name}" "${out}/usr/src/multus-cni/bin/${name}"
done
for name in "${PLUGIN_BINARIES[@]}"; do
	install -m 0755 "${BIN_DIR}/${name}" "${out}/usr/src/plugins/bin/${name}"
done
if [[ -f "${BIN_DIR}/versions.json" ]]; then
	install -m 0644 "${BIN_DIR}/versions.json" "${out}/usr/lib/multus-agent/versions.json"
fi

if ((${#externals[@]} > 0)); then
	[[ -d "${NODE_MODULES}" ]] || die "the bundle imports ${externals[*]} but ${NODE_MODULES} does not exist: run npm ci, or set NODE_MODULES"
	log "the bundle keeps ${externals[*]} external: copying it and its dependencies from ${NODE_MODULES}"
	"${node_bin}" "${here}/copy-externals.mjs" "${NODE_MODULES}" "${out}/usr/lib/multus-agent/node_modules" "${externals[@]}" |
		while read -r package version; do log "package ${package} ${version}"; done
fi

# Static files (passwd, group, the dhcp socket check), with fixed modes.
(cd "${here}/files" && find . -type d) | while read -r dir; do
	install -d -m 0755 "${out}/${dir}"
done
(cd "${here}/files" && find . -type f) | while read -r file; do
	install -m 0644 "${here}/files/${file}" "${out}/${file}"
done

# The copied node runs with the tree's loader and nothing but the tree's libraries (--library-path,
# no ld.so.cache): a missing library fails the build here, not on a node.
interpreter="$(awk '$1 ~ /^\// { print $1; exit }' <<<"${ldd_output}")"
if [[ -n "${interpreter}" ]]; then
	lib_path="$(awk '$2 == "=>" && $3 ~ /^\// { print $3 }' <<<"${ldd_output}" | xargs -r -n1 dirname | sort -u |
		sed "s|^|${out}|" | paste -sd: -)"
	tree_node=("${out}${interpreter}" --library-path "${lib_path}" --inhibit-cache "${out}/usr/bin/node")
	"${tree_node[@]}" "${out}/usr/lib/multus-agent/multus-agent.mjs" --version >/dev/null ||
		die "the assembled node cannot run the bundle with the tree's libraries"
	# Each external resolves into the tree's node_modules (not into one further up, outside the tree) and
	# loads there with its whole static import graph.
	for package in "${externals[@]}"; do
		(cd "${out}/usr/lib/multus-agent" && "${tree_node[@]}" --input-type=module -e "
			const url = import.meta.resolve(process.argv[1]);
			if (!url.startsWith(new URL('node_modules/', import.meta.url).href)) throw new Error('resolved outside the tree: ' + url);
			await import(url);" "${package}") || die "${package} does not load from ${out}/usr/lib/multus-agent/node_modules"
	done
fi

find "${out}" -exec touch -h -d "@${SOURCE_DATE_EPOCH}" {} +

log "$(du -sb "${out}" | cut -f1) bytes in ${out}"
printf '%s\n' "${out}"
