#!/usr/bin/env bash
# Builds the microshift-multus RPMs from this checkout's deploy/ tree.
#
# Usage: deploy/rpm/make-rpm.sh [TOPDIR]
#   TOPDIR      rpmbuild's _topdir (default <repo>/.cache/rpmbuild); RPMs land in TOPDIR/RPMS/<arch>/
#   RPM_TARGET  target architecture, x86_64 or aarch64 (default: this machine's); the packages carry no
#               binaries, so either can be built anywhere
# Needs rpmbuild (Debian/Ubuntu: apt-get install rpm; Fedora/RHEL: dnf install rpm-build).
# The last line on stdout is TOPDIR; rpmbuild's output goes to stderr.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "${here}/../.." && pwd)"
spec="${here}/microshift-multus.spec"
topdir="${1:-${repo}/.cache/rpmbuild}"

command -v rpmbuild >/dev/null || {
	echo "make-rpm.sh: rpmbuild not found (Debian/Ubuntu: apt-get install rpm; Fedora/RHEL: dnf install rpm-build)" >&2
	exit 1
}

name="$(awk '$1 == "Name:" { print $2; exit }' "${spec}")"
version="$(awk '$1 == "Version:" { print $2; exit }' "${spec}")"
mkdir -p "${topdir}"/{BUILD,BUILDROOT,RPMS,SOURCES,SPECS,SRPMS}
topdir="$(cd "${topdir}" && pwd)"

# Source0: <name>-<version>/deploy/..., with fixed owner and times so the same tree gives the same tarball.
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 \
	--transform "s,^,${name}-${version}/," -C "${repo}" -czf "${topdir}/SOURCES/${name}-${version}.tar.gz" deploy

target=()
if [[ -n "${RPM_TARGET:-}" ]]; then
	target=(--target "${RPM_TARGET}")
fi
rpmbuild -ba "${target[@]}" --define "_topdir ${topdir}" "${spec}" >&2
printf '%s\n' "${topdir}"
