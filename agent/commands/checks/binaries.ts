// doctor: is every binary the config needs in the bin dir, executable, and does it support the config's cniVersion?
import path from 'node:path';
import type {Options} from '../../options.ts';
import {verdict, type CheckResult} from '../check-result.ts';
import {askPluginVersions} from '../plugin-version.ts';

// Checks each named binary in binDir (and, for delegates, in the runtime's other plugin dirs).
export async function checkBinaries(options: Options, names: readonly string[], cniVersion: string, otherDirs: readonly string[]): Promise<CheckResult[]> {
	return Promise.all(names.map(async name => checkBinary(options.cniBinDir, name, cniVersion, otherDirs)));
}

async function checkBinary(binDir: string, name: string, cniVersion: string, otherDirs: readonly string[]): Promise<CheckResult> {
	const check = `binary ${name}`;
	let file = path.join(binDir, name);
	let answer = await askPluginVersions(file, cniVersion);
	for (const dir of otherDirs) {
		if (answer !== undefined) {
			break;
		}

		file = path.join(dir, name);
		answer = await askPluginVersions(file, cniVersion);
	}

	if (answer === undefined) {
		return verdict(check, 'fail', `${name} is not in ${[binDir, ...otherDirs].join(' or ')}: every pod fails with "failed to find plugin \\"${name}\\""`, name === 'multus' ? 'Let the agent install it (drop --skip-multus-binary-copy) or install it with the DaemonSet\'s init container.' : `Add ${name} to the agent's --cni-plugins (or install the primary network's binary), then restart the agent pod.`);
	}

	if ('problem' in answer) {
		return verdict(check, 'fail', `${file} is not usable: ${answer.problem}`, `Reinstall ${name} (restart the multus pod; the agent rewrites binaries whose bytes differ); check the mount is not noexec.`);
	}

	if (cniVersion !== '' && !answer.versions.includes(cniVersion)) {
		return verdict(check, 'fail', `${file} supports ${answer.versions.join(', ')}, not the config's cniVersion ${cniVersion}: the runtime fails with "incompatible CNI versions"`, `Install a ${name} that supports ${cniVersion} (containernetworking/plugins v1.0+ supports 0.1.0-1.1.0).`);
	}

	return verdict(check, 'ok', `${file} answers VERSION and supports ${cniVersion || 'the config'} (${answer.versions.at(0) ?? ''}..${answer.versions.at(-1) ?? ''})`);
}
