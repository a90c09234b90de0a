// Reads CRI-O's [crio.network] settings the way CRI-O merges them: crio.conf, then crio.conf.d/*.conf in order, later wins.
import fs from 'node:fs/promises';
import path from 'node:path';

// One setting and the file that set it last.
export interface CrioSetting<T> {
	readonly value: T;
	readonly file: string;
}

// The [crio.network] keys doctor cares about, and which files were read.
export interface CrioNetwork {
	readonly files: readonly string[];
	readonly cniDefaultNetwork?: CrioSetting<string>;
	readonly pluginDirs?: CrioSetting<readonly string[]>;
	readonly networkDir?: CrioSetting<string>;
}

// CRI-O's own defaults when no file sets a key.
export const CRIO_DEFAULT_PLUGIN_DIRS: readonly string[] = ['/opt/cni/bin/'];
export const CRIO_DEFAULT_NETWORK_DIR = '/etc/cni/net.d/';

// Reads <hostPrefix>/etc/crio/crio.conf and the drop-ins in crio.conf.d (sorted by name, as CRI-O does).
export async function readCrioNetwork(hostPrefix: string): Promise<CrioNetwork> {
	const base = path.join(hostPrefix, 'etc/crio');
	const dropIns = await fs.readdir(path.join(base, 'crio.conf.d')).catch(() => [] as string[]);
	const candidates = [path.join(base, 'crio.conf'), ...dropIns.filter(name => name.endsWith('.conf')).sort().map(name => path.join(base, 'crio.conf.d', name))];
	const result: {files: string[]; cniDefaultNetwork?: CrioSetting<string>; pluginDirs?: CrioSetting<readonly string[]>; networkDir?: CrioSetting<string>} = {files: []};
	for (const file of candidates) {
		const text = await fs.readFile(file, 'utf8').catch(() => undefined);
		if (text === undefined) {
			continue;
		}

		result.files.push(file);
		const values = parseTable(text, 'crio.network');
		const stringValue = (key: string): string | undefined => (typeof values.get(key) === 'string' ? values.get(key) as string : undefined);
		if (stringValue('cni_default_network') !== undefined) {
			result.cniDefaultNetwork = {value: stringValue('cni_default_network')!, file};
		}

		if (stringValue('network_dir') !== undefined) {
			result.networkDir = {value: stringValue('network_dir')!, file};
		}

		const dirs = values.get('plugin_dirs');
		if (Array.isArray(dirs)) {
			result.pluginDirs = {value: dirs, file};
		}
	}

	return result;
}

// Parses the string and string-array keys of one TOML table (enough for CRI-O's config; other values are skipped).
export function parseTable(text: string, table: string): Map<string, string | string[]> {
	const values = new Map<string, string | string[]>();
	let current = '';
	let pending: {key: string; text: string} | undefined;
	for (const rawLine of text.split('\n')) {
		const line = stripComment(rawLine).trim();
		if (pending) {
			pending.text += ` ${line}`;
			if (closesArray(pending.text)) {
				if (current === table) {
					values.set(pending.key, parseStrings(pending.text));
				}

				pending = undefined;
			}

			continue;
		}

		const header = /^\[([^[\]]+)\]$/.exec(line);
		if (header) {
			current = header[1]!.trim().replaceAll(/\s*\.\s*/g, '.').replaceAll('"', '');
			continue;
		}

		const assignment = /^([\w-]+)\s*=\s*(.*)$/.exec(line);
		if (!assignment) {
			continue;
		}

		const [, key, value] = assignment as unknown as [string, string, string];
		if (value.startsWith('[')) {
			if (closesArray(value)) {
				if (current === table) {
					values.set(key, parseStrings(value));
				}
			} else {
				pending = {key, text: value};
			}
		} else if (current === table) {
			const single = parseStrings(value)[0];
			if (single !== undefined) {
				values.set(key, single);
			}
		}
	}

	return values;
}

function stripComment(line: string): string {
	let quote = '';
	for (let index = 0; index < line.length; index++) {
		const char = line[index]!;
		if (quote !== '') {
			if (char === '\\' && quote === '"') {
				index++;
			} else if (char === quote) {
				quote = '';
			}
		} else if (char === '"' || char === '\'') {
			quote = char;
		} else if (char === '#') {
			return line.slice(0, index);
		}
	}

	return line;
}

function closesArray(text: string): boolean {
	return stripStrings(text).includes(']');
}

function stripStrings(text: string): string {
	return text.replaceAll(/"(?:[^"\\]|\\.)*"|'[^']*'/g, '');
}

function parseStrings(text: string): string[] {
	return [...text.matchAll(/"((?:[^"\\]|\\.)*)"|'([^']*)'/g)].map(match => (match[1] === undefined ? match[2]! : JSON.parse(`"${match[1]}"`) as string));
}
