// Lints NetworkAttachmentDefinitions (pure): spec.config as JSON, cniVersion, each plugin's keys, and the binaries it needs.
import {isJsonObject, jsonTypeOf, type JsonObject} from './json.ts';
import {childPath, createFindings, joinPath, type Finding, type Findings} from './plugins/finding.ts';
import {checkKeys, closestName, readKey, type KeyTable} from './plugins/keys.ts';
import {lintPluginObject, type LintEnvironment, type PluginTally} from './plugins/plugin-object.ts';
import {KNOWN_CNI_VERSIONS, parseCniVersion} from './version.ts';

export type {Finding} from './plugins/finding.ts';
export {SHIPPED_PLUGINS, type LintEnvironment, type PluginCatalog} from './plugins/plugin-object.ts';

// What a linted NAD offers to pods that reference it.
export interface NetworkSummary {
	readonly namespace: string;
	readonly name: string;
	readonly types: readonly string[];
	readonly capabilities: ReadonlySet<string>;
	readonly masters: readonly string[];
}

// The outcome of linting one NAD: its findings (paths from the object's root) and a summary.
export interface NadLintResult {
	readonly findings: Finding[];
	readonly summary: NetworkSummary;
}

const LIST_KEYS: KeyTable = {cniVersion: {kind: 'string'}, cniVersions: {kind: 'array'}, name: {kind: 'string'}, disableCheck: {kind: 'bool'}, disableGC: {kind: 'bool'}, loadOnlyInlinedPlugins: {kind: 'bool'}, plugins: {kind: 'array'}};
const NETWORK_NAME = /^[a-zA-Z0-9][\w.-]*$/;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const CONFIG_PATH = 'spec.config';

// Lints one NetworkAttachmentDefinition object (as parsed from YAML/JSON or read from the API).
export function lintNetworkAttachmentDefinition(nad: JsonObject, environment: LintEnvironment): NadLintResult {
	const findings = createFindings();
	const metadata = isJsonObject(nad['metadata']) ? nad['metadata'] : {};
	const name = typeof metadata['name'] === 'string' ? metadata['name'] : '';
	const namespace = typeof metadata['namespace'] === 'string' && metadata['namespace'] !== '' ? metadata['namespace'] : 'default';
	const summary = {namespace, name, types: [] as string[], capabilities: new Set<string>(), masters: [] as string[]};
	checkIdentity(nad, name, findings);
	const spec = nad['spec'];
	const config = isJsonObject(spec) ? spec['config'] : undefined;
	if (config === undefined || config === null || config === '') {
		findings.warning(CONFIG_PATH, 'is empty: Multus then looks for a CNI config file whose "name" is ' + `"${name}" in its confDir (default /etc/cni/multus/net.d) and fails if there is none`, 'Put the CNI config JSON in spec.config, unless you really ship that file on every node.');
		return {findings: findings.list, summary};
	}

	if (typeof config !== 'string') {
		findings.error(CONFIG_PATH, `must be a string holding JSON, found ${jsonTypeOf(config)}`, 'Write the CNI config as a JSON string, e.g. config: \'{"cniVersion": "0.4.0", "type": "bridge", ...}\' (YAML block scalar "config: |" works too).');
		return {findings: findings.list, summary};
	}

	let parsed: unknown;
	try {
		parsed = JSON.parse(config);
	} catch (error) {
		findings.error(CONFIG_PATH, `is not valid JSON: ${(error as Error).message}${locate(config, error as Error)}`, 'Fix the JSON syntax (quotes around keys and strings, no trailing commas); Multus fails with "failed to unmarshal Spec.Config".');
		return {findings: findings.list, summary};
	}

	if (!isJsonObject(parsed)) {
		findings.error(CONFIG_PATH, `must hold a JSON object, found ${jsonTypeOf(parsed)}`, 'A CNI config is an object with "cniVersion" and "type" (or "plugins" for a chain).');
		return {findings: findings.list, summary};
	}

	const scoped = scopedFindings(findings, CONFIG_PATH);
	lintConfig(parsed, environment, scoped, summary);
	return {findings: findings.list, summary};
}

// Lints a set of NADs together: each one, plus problems between them (duplicates, one master shared by macvlan and ipvlan).
export function lintNetworkSet(results: readonly NadLintResult[]): Finding[][] {
	const extra: Finding[][] = results.map(() => []);
	const seen = new Map<string, number>();
	const masters = new Map<string, {type: string; index: number}>();
	for (const [index, {summary}] of results.entries()) {
		const key = `${summary.namespace}/${summary.name}`;
		const first = seen.get(key);
		if (first !== undefined && summary.name !== '') {
			extra[index]!.push({severity: 'warning', path: 'metadata.name', message: `${key} is defined twice in the input; the later one replaces the earlier when applied`, fix: 'Keep one definition per namespace/name.'});
		}

		seen.set(key, index);
		for (const type of ['macvlan', 'ipvlan']) {
			if (!summary.types.includes(type)) {
				continue;
			}

			for (const master of summary.masters) {
				const other = masters.get(master);
				if (other && other.type !== type) {
					extra[index]!.push({severity: 'warning', path: `${CONFIG_PATH}.master`, message: `"${master}" is also the master of ${other.type} in ${results[other.index]!.summary.namespace}/${results[other.index]!.summary.name}; one interface cannot carry macvlan and ipvlan children at the same time`, fix: 'Give macvlan and ipvlan networks different master interfaces.'});
				} else if (!other) {
					masters.set(master, {type, index});
				}
			}
		}
	}

	return extra;
}

// Lists the plugin types a NAD's config names (main and IPAM), to ask the bin dir about them beforehand.
export function referencedPluginTypes(nad: JsonObject): string[] {
	const spec = nad['spec'];
	const config = isJsonObject(spec) ? spec['config'] : undefined;
	let parsed: unknown;
	try {
		parsed = typeof config === 'string' ? JSON.parse(config) : undefined;
	} catch {
		return [];
	}

	if (!isJsonObject(parsed)) {
		return [];
	}

	const plugins = Array.isArray(parsed['plugins']) ? parsed['plugins'] : [parsed];
	const types = new Set<string>();
	for (const plugin of plugins) {
		if (!isJsonObject(plugin)) {
			continue;
		}

		const ipam = plugin['ipam'];
		for (const type of [plugin['type'], isJsonObject(ipam) ? ipam['type'] : undefined]) {
			if (typeof type === 'string' && type !== '' && !/[/\\]/.test(type)) {
				types.add(type);
			}
		}
	}

	return [...types];
}

function checkIdentity(nad: JsonObject, name: string, findings: Findings): void {
	if (nad['apiVersion'] !== 'k8s.cni.cncf.io/v1') {
		findings.warning('apiVersion', `is ${JSON.stringify(nad['apiVersion'] ?? null)}; NetworkAttachmentDefinitions are served as k8s.cni.cncf.io/v1`, 'Set apiVersion: k8s.cni.cncf.io/v1.');
	}

	if (name === '') {
		findings.error('metadata.name', 'is missing', 'Name the NetworkAttachmentDefinition; pods reference it by this name.');
	} else if (!DNS_LABEL.test(name) || name.length > 63) {
		findings.warning('metadata.name', `"${name}" is not a DNS-1123 label, so the short annotation form (k8s.v1.cni.cncf.io/networks: ${name}) cannot reference it`, 'Use lower-case letters, digits and "-" only (at most 63), or reference it with the JSON annotation form.');
	}
}

function lintConfig(config: JsonObject, environment: LintEnvironment, findings: Findings, summary: PluginTally): void {
	const isList = 'plugins' in config;
	const cniVersion = checkCniVersion(config, environment.catalog === undefined, findings);
	const name = readKey(config, 'name');
	if (typeof name === 'string' && name !== '' && !NETWORK_NAME.test(name)) {
		findings.error('name', `"${name}" is not a valid network name (letters, digits, "_", "." and "-", starting with a letter or digit)`, 'Rename the network, or remove "name" to use the NAD\'s name.');
	}

	if (!isList) {
		const typo = Object.keys(config).find(key => closestName(key, ['plugins']) === 'plugins');
		if (typo !== undefined) {
			findings.error(typo, `"${typo}" looks like a typo of "plugins"; without "plugins" the config is read as a single plugin`, 'Rename it to "plugins".');
		}

		lintPluginObject(config, '', {cniVersion, chained: false}, environment, findings, summary);
		return;
	}

	checkKeys(config, LIST_KEYS, '', 'conflist', findings);
	const plugins = config['plugins'];
	if (!Array.isArray(plugins) || plugins.length === 0) {
		findings.error('plugins', Array.isArray(plugins) ? 'is empty (libcni fails with "no plugins in list")' : `must be an array of plugin objects, found ${jsonTypeOf(plugins)}`, 'List the plugins to run in order, e.g. "plugins": [{"type": "bridge", ...}].');
		return;
	}

	for (const [index, plugin] of plugins.entries()) {
		const at = childPath('plugins', index);
		if (!isJsonObject(plugin)) {
			findings.error(at, `must be a plugin object, found ${jsonTypeOf(plugin)}`, 'Each entry of "plugins" is an object with "type".');
			continue;
		}

		lintPluginObject(plugin, at, {cniVersion, chained: index > 0}, environment, findings, summary);
	}
}

function checkCniVersion(config: JsonObject, checkKnown: boolean, findings: Findings): string {
	const value = readKey(config, 'cniVersion');
	if (value === undefined || value === null || value === '') {
		findings.warning('cniVersion', 'is missing, so plugins treat the config as version 0.1.0 (the oldest result format)', 'Set "cniVersion", e.g. "0.4.0" or "1.0.0".');
		return '';
	}

	if (typeof value !== 'string' || !parseCniVersion(value)) {
		findings.error('cniVersion', `${JSON.stringify(value)} is not a CNI version`, `Write a version string such as "0.4.0"; known versions: ${KNOWN_CNI_VERSIONS.join(', ')}.`);
		return '';
	}

	if (checkKnown && !(KNOWN_CNI_VERSIONS as readonly string[]).includes(value)) {
		findings.error('cniVersion', `"${value}" is not a released CNI version (${KNOWN_CNI_VERSIONS.join(', ')}), so no plugin supports it`, 'Use a released version, e.g. "0.4.0" or "1.0.0".');
	}

	return value;
}

function scopedFindings(findings: Findings, prefix: string): Findings {
	return {
		list: findings.list,
		error(path, message, fix) {
			findings.error(joinPath(prefix, path), message, fix);
		},
		warning(path, message, fix) {
			findings.warning(joinPath(prefix, path), message, fix);
		},
	};
}

function locate(text: string, error: Error): string {
	const match = /position (\d+)/.exec(error.message);
	if (!match || /\bline \d+/.test(error.message)) {
		return '';
	}

	const before = text.slice(0, Number(match[1]));
	const line = before.split('\n').length;
	return ` (line ${line} of spec.config)`;
}
