#!/bin/bash
# The upstream side as MicroShift's DaemonSet runs it (assets/components/multus/06-daemonset.yaml; described in
# shared/reference/microshift-openshift-multus.md §1.7), with the host paths taken from the environment:
#   init container install-container-network-plugins: cnibincopy.sh with the six plugins;
#   container kube-multus: cnibincopy.sh with multus, the 2 s wait loop for 10-ovn-kubernetes.conf, then
#   exec thin_entrypoint with MicroShift's flags. --multus-bin-file and --multus-cni-conf-dir are given only
#   because their defaults are image paths (/usr/src/…, /host/…) that do not exist here.
# Environment: HOST (the host root as mounted at /host), BIN_DIR (/host/run/cni/bin), PLUGINS_SOURCE,
# MULTUS_SOURCE (directories, with a trailing slash), THIN_ENTRYPOINT; plus KUBERNETES_SERVICE_HOST/PORT.
# The service-account token and CA must be at /var/run/secrets/kubernetes.io/serviceaccount (the harness
# runs this in a private mount namespace with a bind mount there).
set -e
here=$(dirname -- "$0")

# init container
DESTINATION_DIRECTORY="$BIN_DIR/" DEFAULT_SOURCE_DIRECTORY="$PLUGINS_SOURCE" BINARIES_TO_COPY='{bridge,ipvlan,macvlan,static,dhcp,host-local}' \
	/bin/bash -ec -- "$here/cnibincopy.sh;"

# container kube-multus: command /bin/bash -ec -- and its folded args (paths substituted)
export DESTINATION_DIRECTORY="$BIN_DIR/" DEFAULT_SOURCE_DIRECTORY="$MULTUS_SOURCE" BINARIES_TO_COPY=multus
exec /bin/bash -ec -- "$here/cnibincopy.sh;
echo \"\$(date --iso-8601=seconds) Waiting for /etc/cni/net.d/10-ovn-kubernetes.conf\";
start=\$(date +%s);
while [ ! -f \"$HOST/etc/cni/net.d/10-ovn-kubernetes.conf\" ]; do
	now=\$(date +%s);
	if [ \"\$((now - start))\" -gt 300 ]; then echo \"\$(date --iso-8601=seconds) Timed out waiting for /etc/cni/net.d/10-ovn-kubernetes.conf\"; exit 1; fi;
	sleep 2;
done;
echo \"\$(date --iso-8601=seconds) /etc/cni/net.d/10-ovn-kubernetes.conf exists - proceeding\";
exec \"$THIN_ENTRYPOINT\" \
	--multus-conf-file=auto \
	--cni-bin-dir=\"$BIN_DIR\" \
	--multus-autoconfig-dir=\"$HOST/etc/cni/net.d\" \
	--cni-conf-dir=\"$HOST/etc/cni/net.d\" \
	--readiness-indicator-file=/etc/cni/net.d/10-ovn-kubernetes.conf \
	--cleanup-config-on-exit=true \
	--skip-multus-binary-copy=true \
	--multus-bin-file=\"${MULTUS_SOURCE}multus\" \
	--multus-cni-conf-dir=\"$HOST/etc/cni/multus/net.d\""
