// doctor: does CRI-O call Multus (cni_default_network), find its binaries (plugin_dirs) and read our conf dir (network_dir)?
import path from 'node:path';
import type {Options} from '../../options.ts';
import {verdict, type CheckResult} from '../check-result.ts';
import {CRIO_DEFAULT_NETWORK_DIR, CRIO_DEFAULT_PLUGIN_DIRS, readCrioNetwork} from '../crio-config.ts';
import {sameDirectory, toHostPath} from '../host-paths.ts';

const DROP_IN = '/etc/crio/crio.conf.d/12-microshift-multus.conf';

// Checks the merged [crio.network] settings against the Multus network name and the agent's directories.
export async function checkCrio(options: Options, networkName: string): Promise<CheckResult[]> {
	const crio = await readCrioNetwork(options.hostPrefix);
	const where = path.join(options.hostPrefix, 'etc/crio');
	if (crio.files.length === 0) {
		return [verdict('crio-default-network', 'warn', `no CRI-O configuration under ${where}: cannot tell whether CRI-O calls Multus`, `Run doctor on a CRI-O node with --host-prefix pointing at the host root (/ on the host, /host in the agent's pod).`)];
	}

	const results: CheckResult[] = [];
	const setting = crio.cniDefaultNetwork;
	if (setting === undefined) {
		results.push(verdict('crio-default-network', 'warn', `no file sets cni_default_network (read ${crio.files.length} file${crio.files.length === 1 ? '' : 's'}): CRI-O uses the first valid config in its network dir, so Multus is used only while 00-multus.conf[list] sorts first and is valid`, `Install ${DROP_IN} with [crio.network] cni_default_network = "${networkName}" and restart crio.`));
	} else if (setting.value === networkName) {
		results.push(verdict('crio-default-network', 'ok', `${setting.file} sets cni_default_network = "${networkName}"`));
	} else {
		results.push(verdict('crio-default-network', 'fail', `cni_default_network is "${setting.value}" (last set by ${setting.file}), so CRI-O calls that network directly and pods get no additional interfaces`, `Set cni_default_network = "${networkName}" in a drop-in that sorts after ${path.basename(setting.file)} (MicroShift: ${DROP_IN} from the microshift-multus RPM), then systemctl restart crio.`));
	}

	const binDir = toHostPath(options, options.cniBinDir);
	const pluginDirs = crio.pluginDirs?.value ?? CRIO_DEFAULT_PLUGIN_DIRS;
	const dirsFrom = crio.pluginDirs ? `plugin_dirs in ${crio.pluginDirs.file}` : 'CRI-O\'s default plugin_dirs';
	if (binDir !== undefined) {
		results.push(pluginDirs.some(dir => sameDirectory(dir, binDir))
			? verdict('crio-plugin-dirs', 'ok', `${dirsFrom} include ${binDir}, where the agent installs the plugins`)
			: verdict('crio-plugin-dirs', 'fail', `${dirsFrom} (${pluginDirs.join(', ')}) do not include ${binDir}, where the agent installs multus and the plugins: CRI-O cannot find them`, `Point --cni-bin-dir at one of ${pluginDirs.join(', ')} under the host prefix (MicroShift: --cni-bin-dir=${path.join(options.hostPrefix, 'run/cni/bin')}), or add ${binDir} to plugin_dirs.`));
	}

	const confDir = toHostPath(options, options.cniConfDir);
	const networkDir = crio.networkDir?.value ?? CRIO_DEFAULT_NETWORK_DIR;
	if (confDir !== undefined) {
		results.push(sameDirectory(networkDir, confDir)
			? verdict('crio-network-dir', 'ok', `CRI-O reads configs from ${networkDir}, where the agent writes 00-multus.conf[list]`)
			: verdict('crio-network-dir', 'fail', `CRI-O reads configs from ${networkDir}${crio.networkDir ? ` (${crio.networkDir.file})` : ' (its default)'} but the agent writes into ${confDir}`, `Point --cni-conf-dir at ${path.join(options.hostPrefix, networkDir)}.`));
	}

	return results;
}
