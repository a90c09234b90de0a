// Reads the Multus config the agent wrote (00-multus.conf[list]) and what it says: name, version, delegates, paths.
import fs from 'node:fs/promises';
import path from 'node:path';
import {isJsonObject, type JsonObject} from '../../cni/json.ts';
import {CONFIG_EXTENSIONS, OWN_CONFIG_PREFIX, sortBytewise} from '../../cni/primary.ts';
import type {Options} from '../options.ts';
import {listConfigFiles} from '../primary-reader.ts';

// One of our config files as found on disk.
export interface OwnConfig {
	readonly file: string;
	readonly name: string;
	/** The parsed document and its multus plugin object, when the file is a valid Multus config. */
	readonly document?: JsonObject;
	readonly plugin?: JsonObject;
	/** Why the file is not a usable Multus config. */
	readonly problem?: string;
}

// The conf dir in load order, and our files in it.
export interface ConfDirState {
	/** Every config file the runtime would consider, in its (byte) order. */
	readonly ordered: readonly string[];
	readonly ours: readonly OwnConfig[];
}

// Lists the conf dir in runtime order and reads our config files from it.
export async function readConfDir(options: Options): Promise<ConfDirState> {
	const ordered = sortBytewise((await listConfigFiles(options.cniConfDir)).filter(name => CONFIG_EXTENSIONS.includes(path.extname(name))));
	const ownName = options.multusConfFile === 'auto' ? undefined : path.basename(options.multusConfFile);
	const ours = ordered.filter(name => (ownName === undefined ? name.startsWith(OWN_CONFIG_PREFIX) : name === ownName));
	return {ordered, ours: await Promise.all(ours.map(async name => readOwnConfig(path.join(options.cniConfDir, name))))};
}

// Reads one config and finds its multus plugin (top level for .conf, first plugin for .conflist).
export async function readOwnConfig(file: string): Promise<OwnConfig> {
	const name = path.basename(file);
	let document: unknown;
	try {
		document = JSON.parse(await fs.readFile(file, 'utf8'));
	} catch (error) {
		return {file, name, problem: error instanceof SyntaxError ? `it is not valid JSON (${error.message})` : `it cannot be read (${(error as Error).message})`};
	}

	if (!isJsonObject(document)) {
		return {file, name, problem: 'it is not a JSON object'};
	}

	const plugin = Array.isArray(document['plugins']) ? document['plugins'][0] : document;
	if (!isJsonObject(plugin) || plugin['type'] !== 'multus') {
		return {file, name, document, problem: 'its plugin type is not "multus"'};
	}

	return {file, name, document, plugin};
}

// The delegates of a Multus plugin object (its "delegates" list).
export function delegatesOf(plugin: JsonObject): JsonObject[] {
	const delegates = plugin['delegates'];
	return Array.isArray(delegates) ? delegates.filter(delegate => isJsonObject(delegate)) : [];
}

// Every plugin type a CNI config names: its type or its plugins' types, and their ipam types.
export function pluginTypesOf(config: JsonObject): string[] {
	const plugins = Array.isArray(config['plugins']) ? config['plugins'] : [config];
	const types: string[] = [];
	for (const plugin of plugins) {
		if (!isJsonObject(plugin)) {
			continue;
		}

		for (const type of [plugin['type'], isJsonObject(plugin['ipam']) ? plugin['ipam']['type'] : undefined]) {
			if (typeof type === 'string' && type !== '' && !types.includes(type)) {
				types.push(type);
			}
		}
	}

	return types;
}
