// Choosing and reading the primary ("master") CNI config that Multus delegates to.
import {CniConfigError} from './errors.ts';
import {isJsonObject, jsonTypeOf, type JsonObject} from './json.ts';
import {parseCniVersion} from './version.ts';

// The extensions that libcni, CRI-O and containerd load from a conf dir.
export const CONFIG_EXTENSIONS: readonly string[] = ['.conf', '.conflist', '.json'];

// Every name we write starts with this, so we never delegate to ourselves (multus-cni #1130).
export const OWN_CONFIG_PREFIX = '00-multus.conf';

// A primary config that passed validation, with what Multus needs from it.
export interface PrimaryConfig {
	readonly fileName: string;
	readonly name: string;
	readonly cniVersion: string;
	readonly isList: boolean;
	readonly capabilities: Readonly<Record<string, boolean>>;
	readonly config: JsonObject;
}

// Why a file could not be used as the primary: still being written, or wrong.
export type PrimaryProblem =
	| {readonly kind: 'incomplete'; readonly reason: string}
	| {readonly kind: 'invalid'; readonly error: CniConfigError};

// Tells whether a file name in the conf dir could be a primary config.
export function isPrimaryCandidate(fileName: string): boolean {
	if (fileName.startsWith(OWN_CONFIG_PREFIX)) {
		return false;
	}

	const dot = fileName.lastIndexOf('.');
	return dot > 0 && CONFIG_EXTENSIONS.includes(fileName.slice(dot));
}

// Sorts names bytewise, as Go's os.ReadDir and the runtimes do.
export function sortBytewise(names: readonly string[]): string[] {
	return [...names].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
}

// Picks the primary: the pinned name if given, else the first candidate in byte order.
export function selectPrimary(fileNames: readonly string[], pinned = ''): string | undefined {
	if (pinned !== '') {
		return fileNames.includes(pinned) ? pinned : undefined;
	}

	return sortBytewise(fileNames.filter(name => isPrimaryCandidate(name)))[0];
}

// Lists config files that sort before ours, so the runtime would load them instead of Multus.
export function configsShadowing(fileNames: readonly string[], ownFileName: string): string[] {
	return sortBytewise(fileNames.filter(name => isPrimaryCandidate(name)
		&& Buffer.compare(Buffer.from(name), Buffer.from(ownFileName)) < 0));
}

// Parses and validates a primary config's text; a problem is returned, not thrown.
export function parsePrimary(fileName: string, text: string): PrimaryConfig | PrimaryProblem {
	if (text.trim() === '') {
		return {kind: 'incomplete', reason: 'the file is empty'};
	}

	let parsed: unknown;
	try {
		parsed = JSON.parse(text);
	} catch (error) {
		return {kind: 'incomplete', reason: `it is not valid JSON yet (${(error as Error).message})`};
	}

	try {
		return validatePrimary(fileName, parsed);
	} catch (error) {
		if (error instanceof CniConfigError) {
			return {kind: 'invalid', error};
		}

		throw error;
	}
}

// Tells a parse result apart from a problem.
export function isPrimaryProblem(result: PrimaryConfig | PrimaryProblem): result is PrimaryProblem {
	return 'kind' in result;
}

function validatePrimary(fileName: string, parsed: unknown): PrimaryConfig {
	if (!isJsonObject(parsed)) {
		throw new CniConfigError('$', `the config is a JSON ${jsonTypeOf(parsed)}, not an object`, 'A CNI config must be a JSON object with cniVersion, name and type or plugins.');
	}

	const cniVersion = requireString(parsed, 'cniVersion', 'Add "cniVersion", e.g. "1.0.0", as the network plugin documents.');
	if (!parseCniVersion(cniVersion)) {
		throw new CniConfigError('$.cniVersion', `"${cniVersion}" is not a CNI version`, 'Use a version of the form x.y.z, e.g. "0.4.0" or "1.0.0".');
	}

	const name = requireString(parsed, 'name', 'Add the network "name" (for ovn-kubernetes it is "ovn-kubernetes").');
	const isList = 'plugins' in parsed;
	const capabilities = isList ? listCapabilities(parsed) : readCapabilities(parsed, '$');
	if (!isList) {
		requireString(parsed, 'type', 'A single-plugin .conf needs "type", the name of the plugin binary.');
	}

	return {fileName, name, cniVersion, isList, capabilities, config: parsed};
}

function requireString(object: JsonObject, key: string, fix: string): string {
	const value = object[key];
	if (value === undefined) {
		throw new CniConfigError(`$.${key}`, 'is missing', fix);
	}

	if (typeof value !== 'string' || value === '') {
		throw new CniConfigError(`$.${key}`, `must be a non-empty string, found ${JSON.stringify(value)}`, fix);
	}

	return value;
}

function listCapabilities(config: JsonObject): Record<string, boolean> {
	const plugins = config['plugins'];
	if (!Array.isArray(plugins) || plugins.length === 0) {
		throw new CniConfigError('$.plugins', `must be a non-empty array, found ${jsonTypeOf(plugins)}`, 'List the chained plugins, each an object with "type".');
	}

	const union: Record<string, boolean> = {};
	for (const [index, plugin] of plugins.entries()) {
		if (!isJsonObject(plugin)) {
			throw new CniConfigError(`$.plugins[${index}]`, `is a ${jsonTypeOf(plugin)}, not an object`, 'Each plugin entry must be an object with "type".');
		}

		requireString(plugin, 'type', 'Each plugin entry needs "type", the name of the plugin binary.');
		Object.assign(union, readCapabilities(plugin, `$.plugins[${index}]`));
	}

	return union;
}

function readCapabilities(object: JsonObject, path: string): Record<string, boolean> {
	const capabilities = object['capabilities'];
	if (capabilities === undefined) {
		return {};
	}

	if (!isJsonObject(capabilities)) {
		throw new CniConfigError(`${path}.capabilities`, `must be an object, found ${jsonTypeOf(capabilities)}`, 'Write capabilities as {"name": true}.');
	}

	const result: Record<string, boolean> = {};
	for (const [key, value] of Object.entries(capabilities)) {
		if (typeof value !== 'boolean') {
			throw new CniConfigError(`${path}.capabilities.${key}`, `must be true or false, found ${JSON.stringify(value)}`, 'Capabilities are booleans.');
		}

		result[key] = value;
	}

	return result;
}
