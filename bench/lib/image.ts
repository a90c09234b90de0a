// Image size: the assembled root filesystem and its gzip layer, against the binaries it must carry.
import {spawn, spawnSync} from 'node:child_process';
import {existsSync, statSync} from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {createGzip} from 'node:zlib';
import {PLUGINS} from './host.ts';

// Sizes in bytes.
export interface Payload {
	readonly files: number;
	readonly bytes: number;
	readonly gzipLayer: number;
	/** For a rootfs: bytes by part (node runtime, shared libraries, agent, binaries, other). */
	readonly parts?: Record<string, number>;
}

export interface ImageReport {
	readonly skipped?: string;
	readonly rootfs?: Payload;
	/** multus + the six plugins: what any image for this job must carry. */
	readonly requiredBinaries: Payload;
	/** thin_entrypoint + multus + the six plugins: upstream's payload (two images, base layers not counted). */
	readonly upstreamPayload: Payload;
	/** The node runtime and the bundle, which ours adds on top of the binaries. */
	readonly nodeRuntime: number;
	readonly bundle: number;
}

// Measures the rootfs given, or one that image/rootfs/assemble.sh assembles (into a temp dir, removed after);
// skips with a reason when there is no script or it fails.
export async function measureImage(repo: string, binaries: string, node: string, bundle: string, rootfs?: string): Promise<ImageReport> {
	const required = await payload(binaries, ['multus', ...PLUGINS]);
	const upstreamPayload = await payload(binaries, ['thin_entrypoint', 'multus', ...PLUGINS]);
	const base = {requiredBinaries: required, upstreamPayload, nodeRuntime: statSync(node).size, bundle: statSync(bundle).size};
	if (rootfs !== undefined) {
		return {...base, rootfs: {...await payload(rootfs), parts: await parts(rootfs)}};
	}

	const script = path.join(repo, 'image/rootfs/assemble.sh');
	if (!existsSync(script)) {
		return {...base, skipped: 'image/rootfs/assemble.sh does not exist yet: rootfs size not measured (pass --rootfs=DIR to measure a tree)'};
	}

	// assemble.sh OUT_DIR: OUT_DIR must not exist or be empty; it prints OUT_DIR as its last stdout line.
	const scratch = await fs.mkdtemp(path.join(os.tmpdir(), 'multus-bench-rootfs-'));
	try {
		const out = path.join(scratch, 'rootfs');
		const result = spawnSync('bash', [script, out], {cwd: repo, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 30 * 60_000, env: {...process.env, BUNDLE: bundle}});
		const last = result.stdout.trim().split('\n').at(-1)?.trim() ?? '';
		if (result.status !== 0 || last === '' || !existsSync(last) || !statSync(last).isDirectory()) {
			// No machine paths in the report: the checkout and the temp dir are named, not spelled out.
			const tail = result.stderr.trim().split('\n').slice(-3).join(' | ').replaceAll(scratch, '<tmp>').replaceAll(repo, '<repo>');
			return {...base, skipped: `image/rootfs/assemble.sh ${result.status === 0 ? 'did not print the rootfs directory as its last stdout line' : `failed (exit ${result.status ?? result.signal}): ${tail}`}`};
		}

		return {...base, rootfs: {...await payload(last), parts: await parts(last)}};
	} finally {
		await fs.rm(scratch, {recursive: true, force: true});
	}
}

// Files and apparent bytes under a directory (or only the named files), and the size of a gzip'd tar layer of them.
async function payload(directory: string, only?: readonly string[]): Promise<Payload> {
	let files = 0;
	let bytes = 0;
	const names = only ?? ['.'];
	for (const name of names) {
		for (const file of await walk(path.join(directory, name))) {
			const stat = await fs.lstat(file);
			files++;
			bytes += stat.isFile() || stat.isSymbolicLink() ? stat.size : 0;
		}
	}

	return {files, bytes, gzipLayer: await gzipTarSize(directory, names)};
}

// Where the bytes of an image tree go, by the layout image/rootfs/assemble.sh documents.
async function parts(directory: string): Promise<Record<string, number>> {
	const sums: Record<string, number> = {'node runtime': 0, 'shared libraries': 0, agent: 0, 'multus + plugins': 0, other: 0};
	for (const file of await walk(directory)) {
		const stat = await fs.lstat(file);
		if (!stat.isFile()) {
			continue;
		}

		const relative = path.relative(directory, file);
		const part = relative === 'usr/bin/node' ? 'node runtime'
			: relative.startsWith('usr/lib/multus-agent/') ? 'agent'
				: relative.startsWith('usr/src/') ? 'multus + plugins'
					: /^(usr\/)?lib(32|64|x32)?\//.test(relative) ? 'shared libraries' : 'other';
		sums[part] = (sums[part] ?? 0) + stat.size;
	}

	return sums;
}

async function walk(file: string): Promise<string[]> {
	const stat = await fs.lstat(file);
	if (!stat.isDirectory()) {
		return [file];
	}

	const result: string[] = [];
	for (const entry of await fs.readdir(file)) {
		result.push(...await walk(path.join(file, entry)));
	}

	return result;
}

// A reproducible tar (sorted, root-owned, mtime 0) through gzip level 6 (the default of image builders).
async function gzipTarSize(directory: string, names: readonly string[]): Promise<number> {
	const tar = spawn('tar', ['--sort=name', '--numeric-owner', '--owner=0', '--group=0', '--mtime=@0', '-C', directory, '-cf', '-', ...names], {stdio: ['ignore', 'pipe', 'pipe'], env: {PATH: process.env['PATH'], TMPDIR: os.tmpdir()}});
	const gzip = createGzip({level: 6});
	let size = 0;
	gzip.on('data', (chunk: Buffer) => {
		size += chunk.length;
	});
	tar.stdout.pipe(gzip);
	const [code] = await Promise.all([
		new Promise<number>(resolve => {
			tar.on('close', code => {
				resolve(code ?? 1);
			});
		}),
		new Promise<void>((resolve, reject) => {
			gzip.on('end', resolve);
			gzip.on('error', reject);
		}),
	]);
	if (code !== 0) {
		throw new Error(`tar failed for ${directory} (exit ${code})`);
	}

	return size;
}
