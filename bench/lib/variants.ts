// Variants of our agent for the experiments: node/V8 flags, environment, agent flags, or a bundle built from the
// sources with proposed changes applied in a scratch copy (bench/patches/NAME.patch, or bench/patches/NAME/ holding
// whole replacement files); the checkout is never changed.
import {spawnSync} from 'node:child_process';
import {existsSync} from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {REPO} from './subjects.ts';

export interface Variant {
	readonly name: string;
	readonly nodeFlags?: readonly string[];
	readonly agentFlags?: readonly string[];
	readonly env?: NodeJS.ProcessEnv;
	/** Patches under bench/patches/ (names without .patch), applied in order. */
	readonly patches?: readonly string[];
	/** Extra arguments for scripts/bundle.mjs. */
	readonly bundleArgs?: readonly string[];
	/** kubelet's probes during the idle window: true for the DaemonSet's periods (/readyz every 10 s, /healthz every
	 * 30 s), or other periods (seconds), with liveness as a TCP connect instead of an HTTP GET when liveTcp. */
	readonly probes?: boolean | {readonly readySeconds: number; readonly liveSeconds: number; readonly liveTcp: boolean};
	readonly note: string;
}

const ALL_PATCHES = ['progress-timer-only-while-waiting', 'lazy-tar', 'fs-watch', 'small-logger', 'fast-install'];

// The variants measured one by one; choose with --variants=a,b (comma-separated).
export const VARIANTS: readonly Variant[] = [
	{name: 'baseline', note: 'dist/multus-agent.mjs as the DaemonSet runs it'},
	{name: 'semi-space-1', nodeFlags: ['--max-semi-space-size=1'], note: 'young generation capped at 1 MB per semi-space'},
	{name: 'semi-space-2', nodeFlags: ['--max-semi-space-size=2'], note: 'young generation capped at 2 MB per semi-space'},
	{name: 'old-space-32', nodeFlags: ['--max-old-space-size=32'], note: 'old generation capped at 32 MB'},
	{name: 'optimize-for-size', nodeFlags: ['--optimize-for-size'], note: 'V8 trades speed for memory'},
	{name: 'lite-mode', nodeFlags: ['--lite-mode'], note: 'no optimizing compiler, lazy feedback vectors'},
	{name: 'jitless', nodeFlags: ['--jitless'], note: 'interpreter only, no executable memory'},
	{name: 'single-threaded', nodeFlags: ['--single-threaded'], note: 'V8 without background threads (GC, compiler)'},
	{name: 'v8-pool-1', nodeFlags: ['--v8-pool-size=1'], note: 'one V8 platform worker thread instead of one per CPU'},
	{name: 'uv-pool-1', env: {UV_THREADPOOL_SIZE: '1'}, note: 'one libuv thread-pool thread instead of 4'},
	{name: 'no-health', agentFlags: ['--health-address='], note: 'without the /readyz server (what the http module costs)'},
	{name: 'probes', probes: true, note: 'kubelet probes at the DaemonSet periods during the idle window'},
	{name: 'recheck-10s', agentFlags: ['--recheck-interval=10s'], note: 'safety re-check every 10 s instead of 5 min (its cost per re-check)'},
	{name: 'no-progress-timer', patches: ['progress-timer-only-while-waiting'], note: 'patch: the 30 s progress timer runs only while waiting'},
	{name: 'lazy-tar', patches: ['lazy-tar'], note: 'patch: tar is imported only for --cni-plugins-archive'},
	{name: 'fs-watch', patches: ['fs-watch'], note: 'patch: node:fs watch on the directories instead of chokidar'},
	{name: 'fast-install', patches: ['fast-install'], note: 'patch: install record with ctime fingerprints, so a restart skips hashing unchanged binaries'},
	{name: 'kernel-copy', patches: ['kernel-copy'], note: 'patch: binaries copied by the kernel (sendfile) while the source is hashed'},
	{name: 'small-logger', patches: ['small-logger'], note: 'patch: a 70-line JSON-lines logger instead of pino'},
	{name: 'esm-builtins', bundleArgs: ['--esm-builtins'], note: 'bundle with import statements for built-ins (scripts/bundle.mjs before builtins-by-require)'},
	{name: 'all-patches', patches: ALL_PATCHES, note: 'every patch above'},
	{name: 'all+semi-1', patches: ALL_PATCHES, nodeFlags: ['--max-semi-space-size=1'], note: 'every patch, --max-semi-space-size=1'},
	{name: 'all+lite', patches: ALL_PATCHES, nodeFlags: ['--lite-mode'], note: 'every patch, --lite-mode'},
	{name: 'all+jitless', patches: ALL_PATCHES, nodeFlags: ['--jitless'], note: 'every patch, --jitless'},
	{name: 'all+lite+semi-1', patches: ALL_PATCHES, nodeFlags: ['--lite-mode', '--max-semi-space-size=1'], note: 'every patch, --lite-mode --max-semi-space-size=1'},
	{name: 'all+kernel-copy+lite', patches: [...ALL_PATCHES, 'kernel-copy'], nodeFlags: ['--lite-mode'], note: 'every patch and kernel-copy, --lite-mode'},
	{name: 'all+lite+probes', patches: ALL_PATCHES, nodeFlags: ['--lite-mode'], probes: true, note: 'every patch, --lite-mode, kubelet probes during the idle window'},
	{name: 'all+lite+probes-30s-tcp', patches: ALL_PATCHES, nodeFlags: ['--lite-mode'], probes: {readySeconds: 30, liveSeconds: 30, liveTcp: true}, note: 'every patch, --lite-mode, probes: /readyz every 30 s, liveness a TCP connect every 30 s'},
	{name: 'all+lite+recheck-10s', patches: ALL_PATCHES, nodeFlags: ['--lite-mode'], agentFlags: ['--recheck-interval=10s'], note: 'every patch, --lite-mode, re-check every 10 s'},
];

// Builds (once per patch set) the bundle for a variant's patches; returns its path, or the checkout's bundle.
export async function bundleFor(variant: Variant, cache: Map<string, string>, scratchRoot: string): Promise<string> {
	const patches = variant.patches ?? [];
	const bundleArgs = variant.bundleArgs ?? [];
	if (patches.length === 0 && bundleArgs.length === 0) {
		return path.join(REPO, 'dist/multus-agent.mjs');
	}

	const key = [...patches, ...bundleArgs].join('+');
	const cached = cache.get(key);
	if (cached) {
		return cached;
	}

	const scratch = await fs.mkdtemp(path.join(scratchRoot, `multus-bench-src-${key.replaceAll(/[^\w+-]/g, '_')}-`));
	for (const entry of ['agent', 'cni', 'package.json', 'README.md']) {
		await fs.cp(path.join(REPO, entry), path.join(scratch, entry), {recursive: true});
	}

	await fs.symlink(path.join(REPO, 'node_modules'), path.join(scratch, 'node_modules'));
	for (const patch of patches) {
		// A directory holds whole files (NAME.ts.proposed, so that tsc leaves them alone) that replace the sources'.
		const files = path.join(REPO, 'bench/patches', patch);
		if (existsSync(files)) {
			for (const entry of await fs.readdir(files, {recursive: true, withFileTypes: true})) {
				if (entry.isFile() && entry.name.endsWith('.proposed')) {
					const from = path.join(entry.parentPath, entry.name);
					await fs.copyFile(from, path.join(scratch, path.relative(files, from).replace(/\.proposed$/, '')));
				}
			}

			continue;
		}

		const file = `${files}.patch`;
		if (!existsSync(file)) {
			throw new Error(`no patch ${path.relative(REPO, file)} (nor directory ${path.relative(REPO, files)})`);
		}

		const applied = spawnSync('patch', ['-p1', '--forward', '--batch', '-i', file], {cwd: scratch, encoding: 'utf8'});
		if (applied.status !== 0) {
			throw new Error(`patch ${patch} does not apply to the current sources:\n${applied.stdout}${applied.stderr}`);
		}
	}

	const built = spawnSync(path.join(REPO, 'node_modules/node/bin/node'), [path.join(REPO, 'scripts/bundle.mjs'), ...bundleArgs], {cwd: scratch, encoding: 'utf8'});
	if (built.status !== 0) {
		throw new Error(`bundling ${key} failed:\n${built.stdout}${built.stderr}`);
	}

	const bundle = path.join(scratch, 'dist/multus-agent.mjs');
	cache.set(key, bundle);
	return bundle;
}

// The scratch root for patched builds.
export function scratchParent(): string {
	return os.tmpdir();
}
