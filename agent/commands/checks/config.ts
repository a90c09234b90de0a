// doctor: is our config first in load order, a valid Multus config, delegating to the current primary? Is the primary ready?
import fs from 'node:fs/promises';
import path from 'node:path';
import {isDeepStrictEqual} from 'node:util';
import {readPrimary} from '../../primary-reader.ts';
import type {Options} from '../../options.ts';
import {verdict, type CheckResult} from '../check-result.ts';
import {toHostPath, underHostPrefix} from '../host-paths.ts';
import {delegatesOf, type ConfDirState} from '../own-config.ts';

// Checks the order of the conf dir and our config's content.
export async function checkOwnConfig(options: Options, state: ConfDirState): Promise<CheckResult[]> {
	const dir = options.cniConfDir;
	if (state.ours.length === 0) {
		const expected = options.multusConfFile === 'auto' ? '00-multus.conf or 00-multus.conflist' : path.basename(options.multusConfFile);
		return [verdict('config-first', 'fail', `no Multus config (${expected}) in ${dir}: the runtime calls the primary network directly`, 'Start the agent (the multus DaemonSet) and see multus-agent status: it writes the config once the primary config and the readiness indicator exist.')];
	}

	const results: CheckResult[] = [];
	const first = state.ordered[0];
	const own = state.ours[0]!;
	if (first === own.name) {
		results.push(verdict('config-first', 'ok', `${own.name} is ${state.ordered.length === 1 ? 'the only config' : `the first of ${state.ordered.length} configs`} in ${dir}`));
	} else {
		const before = state.ordered.slice(0, state.ordered.indexOf(own.name));
		results.push(verdict('config-first', 'fail', `${before.join(', ')} sort${before.length === 1 ? 's' : ''} before ${own.name} in ${dir}: a runtime that takes the first config loads ${before.length === 1 ? 'it' : 'them'} instead of Multus`, `Rename ${before.join(', ')} to sort after ${own.name} (e.g. 10-${before[0]!.replace(/^\d+-/, '')}), or remove ${before.length === 1 ? 'it' : 'them'}.`));
	}

	if (state.ours.length > 1) {
		results.push(verdict('config-first', 'warn', `${state.ours.map(config => config.name).join(' and ')} both exist; the runtime loads ${state.ours[0]!.name}`, `Remove the stale one (the agent removes the other file after each write; is an old agent still running?).`));
	}

	if (own.problem !== undefined || own.plugin === undefined) {
		results.push(verdict('config-valid', 'fail', `${own.file} is not a valid Multus config: ${own.problem ?? 'no multus plugin'}`, 'Remove it; the agent rewrites it (restart the multus pod if it does not).'));
		return results;
	}

	results.push(verdict('config-valid', 'ok', `${own.file} is a valid Multus config (cniVersion ${String(own.document?.['cniVersion'])}, network "${String(own.document?.['name'])}")`));
	results.push(...await checkDelegates(options, own.plugin));
	const kubeconfig = own.plugin['kubeconfig'];
	const expected = toHostPath(options, options.paths.kubeconfig);
	if (typeof kubeconfig === 'string' && expected !== undefined && kubeconfig !== expected) {
		results.push(verdict('config-valid', 'warn', `the config's kubeconfig is ${kubeconfig}, not ${expected} (the one the agent writes)`, 'Make --multus-kubeconfig-file-host match, or let the agent rewrite the config.'));
	}

	return results;
}

// Checks that the primary config exists and is valid (auto mode).
export async function checkPrimary(options: Options): Promise<CheckResult[]> {
	if (options.multusConfFile !== 'auto') {
		return [verdict('primary', 'skip', `--multus-conf-file=${options.multusConfFile}: the config is installed as given, no primary is read`)];
	}

	const state = await readPrimary(options.multusAutoconfigDir, options.multusMasterCniFileName);
	switch (state.state) {
		case 'ready': {
			return [verdict('primary', 'ok', `${state.file} is the primary ("${state.primary.name}", type ${typeOfPrimary(state.primary.config)}, cniVersion ${state.primary.cniVersion})`)];
		}

		case 'absent': {
			const pinned = options.multusMasterCniFileName;
			return [verdict('primary', 'fail', pinned ? `${path.join(state.directory, pinned)} does not exist` : `no primary CNI config (.conf, .conflist, .json besides 00-multus.*) in ${state.directory}`, 'Start the primary network first (on MicroShift ovn-kubernetes writes 10-ovn-kubernetes.conf when it is ready).')];
		}

		case 'incomplete': {
			return [verdict('primary', 'fail', `${state.file} is not complete: ${state.reason}`, 'Wait for its owner to finish writing it; if it stays like this, restart the primary network\'s pod.')];
		}

		case 'invalid': {
			return [verdict('primary', 'fail', `${state.file} is not a valid CNI config: ${state.error.message}`, state.error.fix)];
		}
	}
}

// Checks the readiness indicator file the multus binary waits for (from our config, else from the flag).
export async function checkReadiness(options: Options, configured: string | undefined): Promise<CheckResult[]> {
	const hostPath = configured ?? (options.paths.readinessIndicator === undefined ? undefined : toHostPath(options, options.paths.readinessIndicator));
	if (hostPath === undefined || hostPath === '') {
		return [verdict('readiness-indicator', 'skip', 'no readiness indicator file is configured')];
	}

	const file = underHostPrefix(options, hostPath);
	const exists = await fs.stat(file).then(() => true, () => false);
	return exists
		? [verdict('readiness-indicator', 'ok', `${file} exists`)]
		: [verdict('readiness-indicator', 'fail', `${file} does not exist: every pod waits 45 s, then fails with "have you checked that your default network is ready? still waiting for readinessindicatorfile @ ${hostPath}"`, 'Make the primary network ready (on MicroShift: the ovnkube-master pod in openshift-ovn-kubernetes writes /etc/cni/net.d/10-ovn-kubernetes.conf), or fix --readiness-indicator-file.')];
}

async function checkDelegates(options: Options, plugin: Parameters<typeof delegatesOf>[0]): Promise<CheckResult[]> {
	const delegates = delegatesOf(plugin);
	if (delegates.length === 0) {
		return [verdict('config-delegates', 'fail', 'the config has no delegates: Multus cannot set up the pod\'s default network', 'Remove the config; the agent rewrites it from the primary.')];
	}

	if (options.multusConfFile !== 'auto') {
		return [verdict('config-delegates', 'skip', 'the config was given with --multus-conf-file; its delegates are not compared with a primary')];
	}

	const state = await readPrimary(options.multusAutoconfigDir, options.multusMasterCniFileName);
	if (state.state !== 'ready') {
		return [verdict('config-delegates', 'skip', 'no usable primary to compare the delegates with (see the primary check)')];
	}

	const delegate = {...delegates[0]};
	const primary = {...state.primary.config};
	if (options.multusConfig.forceCniVersion) {
		delete delegate['cniVersion'];
		delete primary['cniVersion'];
	}

	return isDeepStrictEqual(delegate, primary)
		? [verdict('config-delegates', 'ok', `the delegate is the primary ${state.file}`)]
		: [verdict('config-delegates', 'fail', `the delegate is not the current primary ${state.file} ("${String(delegates[0]!['name'])}" vs "${state.primary.name}"): the config is stale`, 'The agent rewrites it when the primary changes (unless --skip-config-watch); check multus-agent status and the agent log, or restart the multus pod.')];
}

function typeOfPrimary(config: Record<string, unknown>): string {
	const plugins = config['plugins'];
	const first = Array.isArray(plugins) ? plugins[0] as Record<string, unknown> | undefined : config;
	return String(first?.['type'] ?? '?');
}
