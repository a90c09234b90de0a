// Lints one plugin object of a CNI config (pure): common keys, capabilities, its binary, its type's validator, its IPAM.
import {isJsonObject, type JsonObject} from '../json.ts';
import {checkDns} from './common.ts';
import {childPath, type Findings} from './finding.ts';
import {checkKeys, checkValue, COMMON_KEYS, readKey} from './keys.ts';
import type {NodeFacts, PluginContext} from './plugin.ts';
import {findLinter} from './registry.ts';

// The plugin types MicroShift ships with Multus (the agent's default --cni-plugins).
export const SHIPPED_PLUGINS: readonly string[] = ['bridge', 'macvlan', 'ipvlan', 'host-local', 'static', 'dhcp'];

// What the CNI bin dir holds: per plugin type its supported versions, or why it is unusable.
export type PluginCatalog = {
	/** The bin dir as a human should read it (for messages). */
	readonly dir: string;
	readonly plugins: ReadonlyMap<string, {readonly versions: readonly string[]} | {readonly problem: string}>;
};

// What lint knows besides the objects: the bin dir's plugins and the node's interfaces, when on a node.
export interface LintEnvironment {
	readonly catalog: PluginCatalog | undefined;
	readonly node: NodeFacts | undefined;
}

// What linting the plugins of one config collects for pods that reference it.
export interface PluginTally {
	readonly types: string[];
	readonly capabilities: Set<string>;
	readonly masters: string[];
}

// Where a plugin object sits: the config's cniVersion, and whether a plugin runs before it.
export interface PluginScope {
	readonly cniVersion: string;
	readonly chained: boolean;
}

// Lints one plugin object at path and adds its type, capabilities and master to tally.
export function lintPluginObject(plugin: JsonObject, path: string, scope: PluginScope, environment: LintEnvironment, findings: Findings, summary: PluginTally): void {
	const type = readKey(plugin, 'type');
	const typePath = childPath(path, 'type');
	if (type === undefined || type === null || type === '') {
		findings.error(typePath, 'is missing', 'Set "type" to the plugin binary, e.g. "bridge", "macvlan" or "ipvlan" (Multus fails with "delegate must have the \'type\' or \'plugin\' field").');
		return;
	}

	if (typeof type !== 'string' || /[/\\]/.test(type)) {
		findings.error(typePath, `must be a plugin binary name, found ${JSON.stringify(type)}`, 'Give the bare name of a binary in the CNI bin dir, e.g. "bridge".');
		return;
	}

	summary.types.push(type);
	const capabilities = readCapabilities(plugin, path, findings);
	for (const capability of capabilities) {
		summary.capabilities.add(capability);
	}

	const master = readKey(plugin, 'master');
	if (typeof master === 'string' && master !== '') {
		summary.masters.push(master);
	}

	const context: PluginContext = {findings, cniVersion: scope.cniVersion, capabilities, chained: scope.chained, node: environment.node};
	checkBinary(type, typePath, scope.cniVersion, environment.catalog, findings);
	const linter = findLinter(type);
	if (linter?.kind === 'ipam') {
		findings.error(typePath, `"${type}" is an IPAM plugin; it cannot create an interface`, `Use a main plugin (bridge, macvlan or ipvlan) and put {"type": "${type}", ...} in its "ipam".`);
		return;
	}

	if (linter) {
		checkKeys(plugin, {...COMMON_KEYS, ...linter.keys}, path, type, findings);
		linter.lint(plugin, path, context);
	} else {
		checkKeys(plugin, Object.fromEntries(Object.entries(COMMON_KEYS).filter(([key]) => key !== 'type')), path, type, {...findings, warning: () => undefined});
		if (environment.catalog === undefined && !SHIPPED_PLUGINS.includes(type)) {
			findings.warning(typePath, `"${type}" is not one of the plugins MicroShift ships (${SHIPPED_PLUGINS.join(', ')}); lint cannot check its keys`, 'Make sure its binary is in the CNI bin dir of every node (run lint with --host-prefix or --cni-bin-dir on a node to check).');
		}
	}

	checkDns(readKey(plugin, 'dns'), childPath(path, 'dns'), findings);
	lintIpam(plugin, path, type, context, environment, findings);
}

function lintIpam(plugin: JsonObject, path: string, mainType: string, context: PluginContext, environment: LintEnvironment, findings: Findings): void {
	const ipam = readKey(plugin, 'ipam');
	const ipamPath = childPath(path, 'ipam');
	if (ipam === undefined || ipam === null || !isJsonObject(ipam)) {
		return;
	}

	const type = readKey(ipam, 'type');
	if (type === undefined || type === null || type === '') {
		if (Object.keys(ipam).length > 0) {
			findings.warning(childPath(ipamPath, 'type'), `is missing, so no IPAM plugin runs and the rest of "ipam" is ignored (${mainType} sets up layer 2 only)`, 'Add "type": "host-local", "static" or "dhcp", or remove the other ipam keys.');
		}

		return;
	}

	if (!checkValue(type, {kind: 'string'}, childPath(ipamPath, 'type'), 'type', findings) || typeof type !== 'string') {
		return;
	}

	checkBinary(type, childPath(ipamPath, 'type'), context.cniVersion, environment.catalog, findings);
	const linter = findLinter(type);
	if (linter?.kind === 'main') {
		findings.error(childPath(ipamPath, 'type'), `"${type}" is not an IPAM plugin`, 'Use "host-local", "static" or "dhcp" as the ipam type.');
		return;
	}

	if (linter) {
		checkKeys(ipam, linter.keys, ipamPath, `${type} ipam`, findings);
		linter.lint(ipam, ipamPath, context);
	}
}

function checkBinary(type: string, path: string, cniVersion: string, catalog: PluginCatalog | undefined, findings: Findings): void {
	const version = cniVersion === '' ? '0.1.0' : cniVersion;
	if (catalog === undefined) {
		return;
	}

	const entry = catalog.plugins.get(type);
	if (entry === undefined) {
		findings.error(path, `no "${type}" binary in ${catalog.dir}, so every pod using this network fails (failed to find plugin "${type}")`, `Install ${type} into ${catalog.dir} (add it to the agent's --cni-plugins), or use a plugin that is installed.`);
		return;
	}

	if ('problem' in entry) {
		findings.error(path, `the ${type} binary in ${catalog.dir} is not usable: ${entry.problem}`, `Reinstall ${type} (restart the multus DaemonSet pod on this node).`);
		return;
	}

	if (!entry.versions.includes(version)) {
		findings.error('cniVersion', `"${version}" is not supported by the installed ${type} (it supports ${entry.versions.join(', ')}); the runtime fails with "incompatible CNI versions"`, `Use one of ${entry.versions.join(', ')}, or install a ${type} that supports ${version}.`);
	}
}

function readCapabilities(plugin: JsonObject, path: string, findings: Findings): Set<string> {
	const capabilities = new Set<string>();
	const value = readKey(plugin, 'capabilities');
	if (value === undefined || value === null || !checkValue(value, {kind: 'object'}, childPath(path, 'capabilities'), 'capabilities', findings) || !isJsonObject(value)) {
		return capabilities;
	}

	for (const [key, enabled] of Object.entries(value)) {
		if (typeof enabled !== 'boolean') {
			findings.error(childPath(childPath(path, 'capabilities'), key), `must be true or false, found ${JSON.stringify(enabled)}`, `Write "${key}": true.`);
		} else if (enabled) {
			capabilities.add(key);
		}
	}

	return capabilities;
}
