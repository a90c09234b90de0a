// Reads the conf dir and the chosen primary config from disk (the I/O half of cni/primary.ts).
import fs from 'node:fs/promises';
import path from 'node:path';
import type {CniConfigError} from '../cni/errors.ts';
import {configsShadowing, isPrimaryProblem, parsePrimary, selectPrimary, type PrimaryConfig} from '../cni/primary.ts';
import {errnoCode} from './errors.ts';

// What the conf dir holds right now, as far as the primary is concerned.
export type PrimaryState =
	| {readonly state: 'absent'; readonly directory: string}
	| {readonly state: 'incomplete'; readonly file: string; readonly reason: string}
	| {readonly state: 'invalid'; readonly file: string; readonly error: CniConfigError}
	| {readonly state: 'ready'; readonly file: string; readonly primary: PrimaryConfig};

// Lists the names of regular files (and symlinks to files) in a directory; [] if it is missing.
export async function listConfigFiles(directory: string): Promise<string[]> {
	let entries;
	try {
		entries = await fs.readdir(directory, {withFileTypes: true});
	} catch (error) {
		if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') {
			return [];
		}

		throw error;
	}

	const names: string[] = [];
	for (const entry of entries) {
		if (entry.isFile() || (entry.isSymbolicLink() && await isFileBehindLink(path.join(directory, entry.name)))) {
			names.push(entry.name);
		}
	}

	return names;
}

// Chooses the primary in directory (or the pinned name) and parses it.
export async function readPrimary(directory: string, pinned: string, names?: readonly string[]): Promise<PrimaryState> {
	const fileName = selectPrimary(names ?? await listConfigFiles(directory), pinned);
	if (fileName === undefined) {
		return {state: 'absent', directory};
	}

	const file = path.join(directory, fileName);
	let text: string;
	try {
		text = await fs.readFile(file, 'utf8');
	} catch (error) {
		if (errnoCode(error) === 'ENOENT') {
			return {state: 'absent', directory};
		}

		return {state: 'incomplete', file, reason: `it cannot be read (${errnoCode(error) ?? String(error)})`};
	}

	const result = parsePrimary(fileName, text);
	if (!isPrimaryProblem(result)) {
		return {state: 'ready', file, primary: result};
	}

	return result.kind === 'incomplete'
		? {state: 'incomplete', file, reason: result.reason}
		: {state: 'invalid', file, error: result.error};
}

// Config files in the conf dir that the runtime would load before ours.
export async function findShadowingConfigs(confDir: string, ownFileName: string): Promise<string[]> {
	return configsShadowing(await listConfigFiles(confDir), ownFileName);
}

async function isFileBehindLink(file: string): Promise<boolean> {
	try {
		return (await fs.stat(file)).isFile();
	} catch {
		return false;
	}
}
