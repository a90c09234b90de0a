// Keeps the Multus CNI config on the host equal to what the primary (or --multus-conf-file) calls for.
import fs from 'node:fs/promises';
import path from 'node:path';
import {CniConfigError} from '../cni/errors.ts';
import {renderMultusConfig} from '../cni/multus-config.ts';
import {isPrimaryProblem, parsePrimary} from '../cni/primary.ts';
import {errnoCode, hostWriteError, inputError} from './errors.ts';
import {lstatOrUndefined, removeIfHolds, syncDirectory, writeFileAtomic} from './fs-atomic.ts';
import type {Options} from './options.ts';
import {readPrimary} from './primary-reader.ts';

// What this process chose and wrote, so it can keep it, restore it and clean up only its own bytes.
export interface ConfigMemory {
	primaryFile?: string;
	written?: {readonly file: string; readonly bytes: Buffer};
	/** Asked right before each write: false when a newer agent has claimed the node meanwhile (no write then). */
	mayWrite?: () => Promise<boolean>;
}

// The result of one sync: the config is in place, or why it is not (yet) what the primary calls for.
export type ConfigOutcome =
	| {readonly kind: 'written' | 'unchanged'; readonly file: string; readonly source: string; readonly cniVersion: string}
	| {readonly kind: 'waiting'; readonly reason: string; readonly path: string}
	| {readonly kind: 'kept'; readonly reason: string; readonly path: string; readonly file: string}
	| {readonly kind: 'invalid'; readonly path: string; readonly error: CniConfigError};

// One pass of config sync, in auto or file mode; throws only when a host write fails.
export async function syncConfig(options: Options, memory: ConfigMemory): Promise<ConfigOutcome> {
	return options.multusConfFile === 'auto' ? syncAutoConfig(options, memory) : syncFileConfig(options, memory);
}

// Removes the config this process wrote, only if it still holds our bytes (multus-cni #1527).
export async function removeOwnConfig(memory: ConfigMemory): Promise<boolean> {
	return memory.written ? removeIfHolds(memory.written.file, memory.written.bytes) : false;
}

async function syncAutoConfig(options: Options, memory: ConfigMemory): Promise<ConfigOutcome> {
	const readiness = options.paths.readinessIndicator;
	if (readiness !== undefined && !await exists(readiness)) {
		return keepOrWait(memory, `the readiness indicator file does not exist yet`, readiness);
	}

	if (memory.primaryFile && !await exists(memory.primaryFile)) {
		return keepOrWait(memory, 'the primary config was removed; waiting for it to come back', memory.primaryFile);
	}

	if (memory.written && options.skipConfigWatch) {
		return keepOrWait(memory, 'the config is not followed (--skip-config-watch)', memory.primaryFile ?? memory.written.file);
	}

	const state = await readPrimary(options.multusAutoconfigDir, options.multusMasterCniFileName);
	switch (state.state) {
		case 'absent': {
			const pinned = options.multusMasterCniFileName;
			return keepOrWait(memory, pinned ? `the primary config ${pinned} does not exist yet` : 'no primary CNI config exists yet', pinned ? path.join(state.directory, pinned) : state.directory);
		}

		case 'incomplete': {
			return keepOrWait(memory, `the primary config is not complete: ${state.reason}`, state.file);
		}

		case 'invalid': {
			await restore(memory);
			return {kind: 'invalid', path: state.file, error: state.error};
		}

		case 'ready': {
			break;
		}
	}

	let rendered;
	try {
		rendered = renderMultusConfig(state.primary, options.multusConfig);
	} catch (error) {
		if (error instanceof CniConfigError) {
			await restore(memory);
			return {kind: 'invalid', path: state.file, error};
		}

		throw error;
	}

	const file = path.join(options.cniConfDir, rendered.fileName);
	const outcome = await writeConfig(file, Buffer.from(rendered.text), memory);
	await removeStale(path.join(options.cniConfDir, rendered.otherFileName));
	memory.primaryFile = state.file;
	if (options.renameConfFile && outcome === 'written') {
		await renamePrimary(state.file);
	}

	return {kind: outcome, file, source: state.file, cniVersion: rendered.cniVersion};
}

async function syncFileConfig(options: Options, memory: ConfigMemory): Promise<ConfigOutcome> {
	const source = options.multusConfFile;
	let text: string;
	try {
		text = await fs.readFile(source, 'utf8');
	} catch (error) {
		if (memory.written) {
			return keepOrWait(memory, `the config file cannot be read (${errnoCode(error) ?? 'error'})`, source);
		}

		throw inputError(source, 'Cannot read --multus-conf-file', 'Mount the Multus config at that path, or use --multus-conf-file=auto.', error);
	}

	const parsed = parsePrimary(path.basename(source), text);
	if (isPrimaryProblem(parsed)) {
		if (parsed.kind === 'incomplete') {
			return keepOrWait(memory, `the config file is not complete: ${parsed.reason}`, source);
		}

		await restore(memory);
		return {kind: 'invalid', path: source, error: parsed.error};
	}

	const file = path.join(options.cniConfDir, path.basename(source));
	const outcome = await writeConfig(file, Buffer.from(text), memory);
	return {kind: outcome, file, source, cniVersion: parsed.cniVersion};
}

async function writeConfig(file: string, bytes: Buffer, memory: ConfigMemory): Promise<'written' | 'unchanged'> {
	if (memory.mayWrite && !await memory.mayWrite()) {
		return 'unchanged';
	}

	try {
		const outcome = await writeFileAtomic(file, bytes, 0o600);
		memory.written = {file, bytes};
		return outcome;
	} catch (error) {
		throw hostWriteError(file, error);
	}
}

async function keepOrWait(memory: ConfigMemory, reason: string, where: string): Promise<ConfigOutcome> {
	if (!memory.written) {
		return {kind: 'waiting', reason, path: where};
	}

	await restore(memory);
	return {kind: 'kept', reason, path: where, file: memory.written.file};
}

async function restore(memory: ConfigMemory): Promise<void> {
	if (memory.written) {
		await writeConfig(memory.written.file, memory.written.bytes, memory);
	}
}

async function removeStale(file: string): Promise<void> {
	const stat = await lstatOrUndefined(file);
	if (stat && !stat.isDirectory()) {
		try {
			await fs.rm(file, {force: true});
			await syncDirectory(path.dirname(file));
		} catch (error) {
			throw hostWriteError(file, error);
		}
	}
}

async function renamePrimary(file: string): Promise<void> {
	try {
		await fs.rename(file, `${file}.old`);
	} catch (error) {
		throw hostWriteError(`${file}.old`, error);
	}
}

async function exists(file: string): Promise<boolean> {
	try {
		await fs.stat(file);
		return true;
	} catch {
		return false;
	}
}
