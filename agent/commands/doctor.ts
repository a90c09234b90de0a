// multus-agent doctor: checks, in order, everything a pod needs from this node for Multus, with a verdict and fix each.
import path from 'node:path';
import {isJsonObject} from '../../cni/json.ts';
import {DEFAULT_NETWORK_NAME} from '../../cni/multus-config.ts';
import {FLAGS} from '../flags.ts';
import {resolveOptions, type Options} from '../options.ts';
import {readPrimary} from '../primary-reader.ts';
import {printCheckResults, type CheckResult} from './check-result.ts';
import {checkBinaries} from './checks/binaries.ts';
import {checkOwnConfig, checkPrimary, checkReadiness} from './checks/config.ts';
import {checkCrio} from './checks/crio.ts';
import {checkDhcp} from './checks/dhcp.ts';
import {checkKubeconfig} from './checks/kubeconfig.ts';
import {listNetworkAttachmentDefinitions} from './cluster-objects.ts';
import {boolFlag, COMMAND_FLAGS, CommandExit, parseCommandArgs, textFlag, type Command} from './command.ts';
import {readCrioNetwork} from './crio-config.ts';
import {sameDirectory, underHostPrefix} from './host-paths.ts';
import {delegatesOf, pluginTypesOf, readConfDir, type ConfDirState} from './own-config.ts';

const USAGE = `Usage: multus-agent doctor [flags]

Checks this node for Multus, in order: CRI-O calls Multus (crio-*), our config is first and valid and delegates
to the primary (config-*), the primary (primary), the readiness indicator (readiness-indicator), every binary
(binary <name>), the multus kubeconfig and its token (kubeconfig, token), the API server and each permission
the multus binary needs (api-*), and the dhcp daemon when a NAD uses dhcp (dhcp-daemon).
Takes the agent's flags: run it in the agent's pod as is, or on the host with --host-prefix=/ and the DaemonSet's
directory flags (MicroShift: --cni-bin-dir=/run/cni/bin).

Exit codes: 0 nothing failed (warnings allowed), 11 a check failed, 2 usage.`;

const SPECS = [...FLAGS, COMMAND_FLAGS.checkedKubeconfig, COMMAND_FLAGS.server, COMMAND_FLAGS.apiOnly, COMMAND_FLAGS.output];

// Runs every check (or only the API part) and returns 11 when one failed.
export const runDoctor: Command = async (argv, context) => {
	const args = parseCommandArgs(argv, SPECS, USAGE, context);
	if (args === undefined) {
		return 0;
	}

	const options = resolveOptions(args, context.env);
	const kubeconfig = path.resolve(textFlag(args, 'kubeconfig') || options.paths.kubeconfig);
	const server = textFlag(args, 'server');
	const format = textFlag(args, 'output');
	if (boolFlag(args, 'api-only')) {
		const {results, api} = await checkKubeconfig(kubeconfig, server);
		printCheckResults(`multus-agent doctor --api-only: ${kubeconfig}`, results, format, context, {api});
		return exitCode(results);
	}

	const results: CheckResult[] = [];
	const state = await readConfDir(options);
	const own = state.ours[0];
	results.push(...await checkCrio(options, await networkName(options, state)));
	results.push(...await checkOwnConfig(options, state));
	results.push(...await checkPrimary(options));
	const indicator = own?.plugin?.['readinessindicatorfile'];
	results.push(...await checkReadiness(options, typeof indicator === 'string' ? indicator : undefined));
	const {names, cniVersion} = await binariesToCheck(options, state);
	results.push(...await checkBinaries(options, names, cniVersion, await otherPluginDirs(options, own?.plugin)));
	const {results: kubeconfigResults, api} = await checkKubeconfig(kubeconfig, server);
	results.push(...kubeconfigResults);
	const reachable = api !== undefined && api.failure === undefined;
	const nads = reachable ? await listNetworkAttachmentDefinitions(kubeconfig, server) : `the API server is not usable (${api?.failure?.message ?? 'no kubeconfig'})`;
	results.push(...await checkDhcp(options, typeof nads === 'string' ? undefined : nads, typeof nads === 'string' ? nads : ''));
	printCheckResults(`multus-agent doctor: host prefix ${options.hostPrefix}, conf dir ${options.cniConfDir}, bin dir ${options.cniBinDir}`, results, format, context, {api});
	return exitCode(results);
};

function exitCode(results: readonly CheckResult[]): number {
	return results.some(result => result.verdict === 'fail') ? CommandExit.doctorFailed : 0;
}

async function networkName(options: Options, state: ConfDirState): Promise<string> {
	const written = state.ours[0]?.document?.['name'];
	if (typeof written === 'string' && written !== '') {
		return written;
	}

	if (options.multusConfig.overrideNetworkName) {
		const primary = await readPrimary(options.multusAutoconfigDir, options.multusMasterCniFileName);
		return primary.state === 'ready' ? primary.primary.name : DEFAULT_NETWORK_NAME;
	}

	return DEFAULT_NETWORK_NAME;
}

async function binariesToCheck(options: Options, state: ConfDirState): Promise<{names: string[]; cniVersion: string}> {
	const own = state.ours[0];
	const names = new Set<string>(['multus']);
	let cniVersion = typeof own?.document?.['cniVersion'] === 'string' ? own.document['cniVersion'] : '';
	const delegates = own?.plugin ? delegatesOf(own.plugin) : [];
	if (delegates.length === 0 && options.multusConfFile === 'auto') {
		const primary = await readPrimary(options.multusAutoconfigDir, options.multusMasterCniFileName);
		if (primary.state === 'ready') {
			delegates.push(primary.primary.config);
			cniVersion ||= primary.primary.cniVersion;
		}
	}

	for (const delegate of delegates) {
		for (const type of pluginTypesOf(delegate)) {
			names.add(type);
		}
	}

	for (const plugin of options.cniPlugins) {
		names.add(plugin);
	}

	return {names: [...names], cniVersion};
}

// Where else the runtime and the multus binary look for plugins: CRI-O's plugin_dirs and the config's binDir.
async function otherPluginDirs(options: Options, plugin: Record<string, unknown> | undefined): Promise<string[]> {
	const crio = await readCrioNetwork(options.hostPrefix);
	const dirs = [...crio.pluginDirs?.value ?? [], ...(isJsonObject(plugin) && typeof plugin['binDir'] === 'string' ? [plugin['binDir']] : [])];
	return [...new Set(dirs.map(dir => underHostPrefix(options, dir)).filter(dir => !sameDirectory(dir, options.cniBinDir)))];
}
