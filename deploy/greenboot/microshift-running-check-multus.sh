#!/bin/bash
# Greenboot health check for microshift-multus, installed as
# /etc/greenboot/check/required.d/41_microshift_running_check_multus.sh (a required check: failing it
# fails the boot and, after the configured attempts, rolls an ostree/bootc system back).
#
# Waits up to WAIT_TIMEOUT_SECS for:
#   - DaemonSets multus and dhcp-daemon in openshift-multus to be rolled out and ready
#     (desired > 0, observedGeneration current, updated = ready = desired), and
#   - the host files the multus agent keeps:
#       /etc/cni/net.d/00-multus.conf or 00-multus.conflist, first in lexical order among the
#         *.conf, *.conflist and *.json files there, named "multus-cni-network" (CRI-O's default network),
#       /etc/cni/net.d/multus.d/multus.kubeconfig with mode 0600,
#       /run/cni/bin/multus, executable.
# On timeout it prints every check that still fails and exits 1.
#
# MicroShift's own healthcheck does not cover this Multus: it is deployed from manifests.d, not enabled in
# the MicroShift config (MicroShift >= 4.20 checks openshift-multus only when network.multus is Enabled).
#
# Environment:
#   WAIT_TIMEOUT_SECS   how long to wait; default: MicroShift's boot-count based get_wait_timeout when
#                       /usr/share/microshift/functions/greenboot.sh exists, else 300
#   POLL_INTERVAL_SECS  pause between rounds, default 5
#   HOST_ROOT           prefix of the host paths checked, default "" (tests use a temporary root; with
#                       HOST_ROOT set, the root and microshift.service checks are skipped)
#   KUBECONFIG          default /var/lib/microshift/resources/kubeadmin/kubeconfig
# Uses oc when it is on PATH, else kubectl.
set -euo pipefail

SCRIPT_NAME="$(basename "$0")"
NAMESPACE=openshift-multus
DAEMONSETS=(multus dhcp-daemon)
HOST_ROOT="${HOST_ROOT:-}"
POLL_INTERVAL_SECS="${POLL_INTERVAL_SECS:-5}"
CONF_DIR="${HOST_ROOT}/etc/cni/net.d"
KUBECONFIG_FILE="${CONF_DIR}/multus.d/multus.kubeconfig"
MULTUS_BIN="${HOST_ROOT}/run/cni/bin/multus"
GREENBOOT_FUNCTIONS=/usr/share/microshift/functions/greenboot.sh

say() { printf '%s: %s\n' "${SCRIPT_NAME}" "$*"; }

if [[ -z "${HOST_ROOT}" ]]; then
	if [[ "$(id -u)" -ne 0 ]]; then
		say "must be run as root"
		exit 1
	fi
	if command -v systemctl >/dev/null && ! systemctl -q is-enabled microshift.service 2>/dev/null; then
		say "microshift.service is not enabled: nothing to check"
		exit 0
	fi
fi

if [[ -z "${WAIT_TIMEOUT_SECS:-}" ]]; then
	WAIT_TIMEOUT_SECS=300
	if [[ -z "${HOST_ROOT}" && -f "${GREENBOOT_FUNCTIONS}" ]]; then
		# shellcheck source=/dev/null
		source "${GREENBOOT_FUNCTIONS}"
		WAIT_TIMEOUT_SECS="$(get_wait_timeout)"
	fi
fi
[[ "${WAIT_TIMEOUT_SECS}" =~ ^[0-9]+$ ]] || {
	say "WAIT_TIMEOUT_SECS must be a number of seconds, got '${WAIT_TIMEOUT_SECS}'"
	exit 1
}

export KUBECONFIG="${KUBECONFIG:-/var/lib/microshift/resources/kubeadmin/kubeconfig}"
if command -v oc >/dev/null; then
	CLIENT=oc
elif command -v kubectl >/dev/null; then
	CLIENT=kubectl
else
	say "neither oc nor kubectl is on PATH"
	exit 1
fi

# Problems found by the last round, one per line.
problems=()

# check_daemonset NAME: adds a problem unless the DaemonSet is fully rolled out and ready.
check_daemonset() {
	local name="$1" out desired ready updated available generation observed
	if ! out="$("${CLIENT}" get daemonset "${name}" -n "${NAMESPACE}" --request-timeout=10s -o \
		'jsonpath={.status.desiredNumberScheduled} {.status.numberReady} {.status.updatedNumberScheduled} {.status.numberAvailable} {.metadata.generation} {.status.observedGeneration}' 2>&1)"; then
		problems+=("DaemonSet ${NAMESPACE}/${name}: cannot get it: ${out//$'\n'/ }")
		return
	fi
	read -r desired ready updated available generation observed <<<"${out}"
	for value in "${desired:-}" "${ready:-}" "${updated:-}" "${available:-}" "${generation:-}" "${observed:-}"; do
		if ! [[ "${value}" =~ ^[0-9]+$ ]]; then
			problems+=("DaemonSet ${NAMESPACE}/${name}: no rollout status yet (got '${out}')")
			return
		fi
	done
	if ((desired == 0)); then
		problems+=("DaemonSet ${NAMESPACE}/${name}: no pod is scheduled on any node")
	elif ((observed < generation)); then
		problems+=("DaemonSet ${NAMESPACE}/${name}: the controller has not seen generation ${generation} yet")
	elif ((updated < desired || ready < desired || available < desired)); then
		problems+=("DaemonSet ${NAMESPACE}/${name}: ${ready} of ${desired} pods ready, ${updated} updated, ${available} available")
	fi
}

# check_config: adds a problem unless 00-multus.conf[list] is there, first, and names multus-cni-network.
check_config() {
	local first="" name file
	if [[ ! -d "${CONF_DIR}" ]]; then
		problems+=("${CONF_DIR} does not exist")
		return
	fi
	# CRI-O (ocicni) and libcni read *.conf, *.conflist and *.json in byte order of their names.
	first="$(cd "${CONF_DIR}" && find . -maxdepth 1 \( -type f -o -type l \) \
		\( -name '*.conf' -o -name '*.conflist' -o -name '*.json' \) -printf '%f\n' | LC_ALL=C sort | awk 'NR == 1')"
	if [[ ! -f "${CONF_DIR}/00-multus.conf" && ! -f "${CONF_DIR}/00-multus.conflist" ]]; then
		problems+=("Multus config missing: neither ${CONF_DIR}/00-multus.conf nor 00-multus.conflist exists")
		return
	fi
	if [[ "${first}" != 00-multus.conf && "${first}" != 00-multus.conflist ]]; then
		problems+=("Multus config is not the first CNI config in ${CONF_DIR}: ${first} sorts before it")
		return
	fi
	file="${CONF_DIR}/${first}"
	name='"name"[[:space:]]*:[[:space:]]*"multus-cni-network"'
	if ! grep -Eq "${name}" "${file}"; then
		problems+=("${file} does not define the network \"multus-cni-network\" that CRI-O uses as its default")
	fi
}

# check_kubeconfig: adds a problem unless the multus kubeconfig exists with mode 0600.
check_kubeconfig() {
	local mode
	if [[ ! -f "${KUBECONFIG_FILE}" ]]; then
		problems+=("Multus kubeconfig missing: ${KUBECONFIG_FILE}")
		return
	fi
	mode="$(stat -c '%a' "${KUBECONFIG_FILE}")"
	if [[ "${mode}" != 600 ]]; then
		problems+=("${KUBECONFIG_FILE} has mode ${mode}, expected 600 (it holds the ServiceAccount token)")
	fi
}

# check_binary: adds a problem unless the multus binary is installed and executable.
check_binary() {
	if [[ ! -f "${MULTUS_BIN}" || ! -x "${MULTUS_BIN}" ]]; then
		problems+=("Multus binary missing or not executable: ${MULTUS_BIN}")
	fi
}

check_all() {
	problems=()
	local name
	for name in "${DAEMONSETS[@]}"; do
		check_daemonset "${name}"
	done
	check_config
	check_kubeconfig
	check_binary
	((${#problems[@]} == 0))
}

say "waiting up to ${WAIT_TIMEOUT_SECS}s for Multus (DaemonSets ${DAEMONSETS[*]} in ${NAMESPACE}, host files in ${HOST_ROOT:-/})"
start=${SECONDS}
until check_all; do
	if ((SECONDS - start >= WAIT_TIMEOUT_SECS)); then
		say "FAILED: Multus is not healthy after ${WAIT_TIMEOUT_SECS}s:"
		for problem in "${problems[@]}"; do
			say "  - ${problem}"
		done
		exit 1
	fi
	sleep "${POLL_INTERVAL_SECS}"
done
say "OK: DaemonSets ${DAEMONSETS[*]} are ready, the Multus config is first, the kubeconfig is 0600 and multus is installed ($((SECONDS - start))s)"
