// Installs multus and the delegate plugins into the host CNI bin dir, and records them in the ledger.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {hostWriteError, inputError} from './errors.ts';
import {copyFileAtomic, lstatOrUndefined, readRegularFile, sha256File, writeFileAtomic} from './fs-atomic.ts';
import {parseLedger, renderLedger} from './ledger.ts';
import type {Options} from './options.ts';

// One binary to install: its name in the bin dir and where it comes from.
export interface BinarySource {
	readonly name: string;
	readonly source: string;
}

// What the last install found, so the safety re-check (and the next agent, from the record) can skip hashing
// unchanged files: a fingerprint includes the ctime, which any write changes and no one can set (no st_dev: an
// image file shows a new one in every container).
export interface InstalledBinary {
	readonly name: string;
	readonly sha256: string;
	readonly outcome: 'written' | 'unchanged';
	readonly fingerprint: string;
	/** The source's fingerprint when its bytes were hashed; a new image brings new ones. */
	readonly source: string;
}

// The record of the last install, beside the kubeconfig (root-only): lets a restart skip hashing ~80 MB twice.
export const INSTALL_RECORD_NAME = 'agent-binaries.json';

// The binaries to install and a disposer for any archive extracted to read them.
export interface BinaryPlan {
	readonly binaries: readonly BinarySource[];
	dispose(): Promise<void>;
}

// Lists the binaries from the options, extracting --cni-plugins-archive into a private temp dir.
export async function planBinaries(options: Options): Promise<BinaryPlan> {
	const binaries: BinarySource[] = [];
	if (!options.skipMultusBinaryCopy) {
		binaries.push({name: 'multus', source: options.multusBinFile});
	}

	let sourceDir = options.cniPluginsSourceDir;
	let dispose = async (): Promise<void> => undefined;
	if (options.cniPluginsArchive !== '' && options.cniPlugins.length > 0) {
		sourceDir = await extractPlugins(options.cniPluginsArchive, options.cniPlugins);
		dispose = async () => fs.rm(sourceDir, {recursive: true, force: true});
	}

	for (const name of options.cniPlugins) {
		binaries.push({name, source: path.join(sourceDir, name)});
	}

	return {binaries, dispose};
}

// Checks that every source binary is a readable regular file, before the host is touched.
export async function checkSources(plan: BinaryPlan): Promise<void> {
	for (const {name, source} of plan.binaries) {
		const stat = await fs.stat(source).catch((error: unknown) => {
			throw inputError(source, `The ${name} binary to install is missing`, name === 'multus' ? 'Point --multus-bin-file at the multus binary, or use --skip-multus-binary-copy.' : 'Point --cni-plugins-source-dir (or --cni-plugins-archive) at the plugins, or drop the name from --cni-plugins.', error);
		});
		if (!stat.isFile()) {
			throw inputError(source, `The ${name} binary to install is not a regular file`, 'Point the flag at the binary itself.');
		}
	}
}

// Installs every binary whose bytes differ, then rewrites the ledger (and the record, when given); previous
// results skip re-hashing.
export async function installBinaries(plan: BinaryPlan, binDir: string, ledgerPath: string, previous: readonly InstalledBinary[] = [], recordPath?: string): Promise<InstalledBinary[]> {
	const known = new Map(previous.map(binary => [binary.name, binary]));
	// Every copy settles before an error propagates: a fatal error exits the process, and a copy still in flight
	// would leave its temp file behind (a full disk fails several copies at once).
	const results = await Promise.allSettled(plan.binaries.map(async binary => installOne(binary, path.join(binDir, binary.name), known.get(binary.name))));
	const failed = results.find(result => result.status === 'rejected');
	if (failed) {
		throw failed.reason;
	}

	const installed = results.map(result => (result as PromiseFulfilledResult<InstalledBinary>).value);
	await writeLedger(ledgerPath, binDir, installed);
	if (recordPath !== undefined) {
		const record = installed.map(({name, sha256, fingerprint, source}) => ({name, sha256, fingerprint, source}));
		await writeFileAtomic(recordPath, `${JSON.stringify(record)}\n`, 0o600).catch((error: unknown) => {
			throw hostWriteError(recordPath, error);
		});
	}

	return installed;
}

// The last agent's install record; [] when there is none or it is unreadable (then everything is hashed).
export async function readInstallRecord(recordPath: string): Promise<InstalledBinary[]> {
	try {
		const record = JSON.parse((await readRegularFile(recordPath))?.toString('utf8') ?? '[]') as unknown;
		return Array.isArray(record) ? record.filter(isRecordEntry).map(entry => ({...entry, outcome: 'unchanged' as const})) : [];
	} catch {
		return [];
	}
}

function isRecordEntry(value: unknown): value is Omit<InstalledBinary, 'outcome'> {
	const entry = value as Record<string, unknown>;
	return typeof value === 'object' && value !== null && ['name', 'sha256', 'fingerprint', 'source'].every(key => typeof entry[key] === 'string');
}

async function installOne(binary: BinarySource, dest: string, previous: InstalledBinary | undefined): Promise<InstalledBinary> {
	const [before, source] = await Promise.all([lstatOrUndefined(dest), fs.stat(binary.source)]);
	const sourcePrint = fingerprintOf(source);
	if (previous && before && fingerprintOf(before) === previous.fingerprint && previous.source === sourcePrint) {
		return {...previous, outcome: 'unchanged'};
	}

	if (before?.isFile() && before.size === source.size && (before.mode & 0o7777) === 0o755) {
		const [sourceHash, destHash] = await Promise.all([sha256File(binary.source), sha256File(dest)]);
		if (sourceHash === destHash) {
			return {name: binary.name, sha256: sourceHash, outcome: 'unchanged', fingerprint: fingerprintOf(before), source: sourcePrint};
		}
	}

	try {
		const sha256 = await copyFileAtomic(binary.source, dest, 0o755);
		return {name: binary.name, sha256, outcome: 'written', fingerprint: fingerprintOf(await fs.lstat(dest)), source: sourcePrint};
	} catch (error) {
		throw hostWriteError(dest, error);
	}
}

async function writeLedger(ledgerPath: string, binDir: string, installed: readonly InstalledBinary[]): Promise<void> {
	const entries = new Map<string, string>();
	const old = parseLedger((await readRegularFile(ledgerPath))?.toString('utf8') ?? '');
	for (const [name, hash] of old) {
		if (!installed.some(binary => binary.name === name) && await sha256File(path.join(binDir, name)).catch(() => '') === hash) {
			entries.set(name, hash);
		}
	}

	for (const binary of installed) {
		entries.set(binary.name, binary.sha256);
	}

	try {
		await writeFileAtomic(ledgerPath, renderLedger(entries), 0o644);
	} catch (error) {
		throw hostWriteError(ledgerPath, error);
	}
}

async function extractPlugins(archive: string, names: readonly string[]): Promise<string> {
	const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'multus-agent-plugins-'));
	const wanted = new Set(names);
	try {
		// Imported here: only --cni-plugins-archive needs tar (and zlib); the running agent never loads them.
		const tar = await import('tar');
		await tar.x({
			file: archive,
			cwd: directory,
			filter: entry => wanted.has(entry.replace(/^\.\//, '')),
		});
	} catch (error) {
		await fs.rm(directory, {recursive: true, force: true});
		throw inputError(archive, 'Cannot extract the CNI plugins archive', 'Give a .tgz in the containernetworking/plugins release layout (the binaries at its top level).', error);
	}

	return directory;
}

function fingerprintOf(stat: import('node:fs').Stats): string {
	return `${stat.ino}:${stat.size}:${stat.mtimeMs}:${stat.ctimeMs}:${stat.mode}`;
}
