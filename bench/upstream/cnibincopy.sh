#!/bin/bash
# The upstream side's binary copy: a re-implementation of the steps of MicroShift's ConfigMap script
# cni-copy-resources/cnibincopy.sh (assets/components/multus/05-configmap.yaml; described in
# shared/reference/microshift-openshift-multus.md §1.6). Same work, same tools (bash, date, uuidgen, cp, mv, rm):
# copy into an upgrade_<uuid> directory inside the destination, mv -f the files over, remove the directory.
# Only difference: DESTINATION_DIRECTORY comes from the environment (MicroShift fixes /host/run/cni/bin/).
set -ex
log() {
	echo "$(date --iso-8601=seconds) [cnibincopy] ${1}"
}

if [ -z "$DEFAULT_SOURCE_DIRECTORY" ]; then
	log "FATAL ERROR: You must set env variables: DEFAULT_SOURCE_DIRECTORY"
	exit 1
fi

if [ -z "$BINARIES_TO_COPY" ]; then
	log "FATAL ERROR: You must set env variables: BINARIES_TO_COPY"
	exit 1
fi

if [ ! -d "$DESTINATION_DIRECTORY" ]; then
	log "FATAL ERROR: Destination directory ${DESTINATION_DIRECTORY} does not exist"
	exit 1
fi

# uuidgen is in the image (util-linux); the kernel's generator stands in where it is not installed.
uuid=$(uuidgen 2>/dev/null || cat /proc/sys/kernel/random/uuid)
UPGRADE_DIRECTORY="${DESTINATION_DIRECTORY}upgrade_${uuid}"
mkdir -p "$UPGRADE_DIRECTORY"
log "Copying ${BINARIES_TO_COPY} from ${DEFAULT_SOURCE_DIRECTORY} to ${UPGRADE_DIRECTORY}"
# eval, so that a brace list such as {bridge,ipvlan} in BINARIES_TO_COPY expands.
eval cp --remove-destination "${DEFAULT_SOURCE_DIRECTORY}${BINARIES_TO_COPY}" "$UPGRADE_DIRECTORY"
mv -f "$UPGRADE_DIRECTORY"/* "$DESTINATION_DIRECTORY"
rm -Rf "$UPGRADE_DIRECTORY"
log "Copied ${BINARIES_TO_COPY} to ${DESTINATION_DIRECTORY}"
