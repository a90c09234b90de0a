// Upstream thin_entrypoint reads the token and CA from the fixed path /var/run/secrets/kubernetes.io/serviceaccount.
// The harness runs itself in a private mount namespace (unshare, as root) and bind-mounts a temporary directory
// over /run there, so that path resolves to a temporary service-account dir. The machine's /run is never touched:
// the mount exists only in the namespace and disappears with it.
import {spawn, spawnSync} from 'node:child_process';
import {realpathSync, statSync} from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';

const MARK = 'MULTUS_BENCH_NAMESPACE';
export const SERVICE_ACCOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';

// As root and not yet inside: re-runs this process in a private mount namespace and exits with its code.
// Returns (and the caller carries on) when already inside, or when it cannot (not root, no unshare): then a reason.
export async function enterPrivateNamespace(): Promise<string | undefined> {
	if (process.env[MARK] === '1') {
		return undefined;
	}

	if (process.getuid?.() !== 0) {
		return 'not root: upstream thin_entrypoint needs its token at a fixed path, which takes a private mount namespace (run as root)';
	}

	if (spawnSync('unshare', ['--mount', '--propagation', 'private', 'true']).status !== 0) {
		return 'unshare --mount failed: upstream thin_entrypoint cannot get its token at the fixed path';
	}

	const child = spawn('unshare', ['--mount', '--propagation', 'private', process.execPath, ...process.execArgv, process.argv[1]!, ...process.argv.slice(2)], {stdio: 'inherit', env: {...process.env, [MARK]: '1'}});
	// The child (same process group) gets Ctrl-C itself and cleans up; this one only waits for it.
	process.on('SIGINT', () => undefined);
	process.on('SIGTERM', () => {
		child.kill('SIGTERM');
	});
	const code = await new Promise<number>(resolve => {
		child.on('close', (status, signal) => {
			resolve(status ?? (signal ? 130 : 1));
		});
	});
	process.exit(code);
}

// Inside the namespace: makes SERVICE_ACCOUNT_PATH a fresh temporary directory; returns it and an undo.
export async function mountServiceAccount(): Promise<{directory: string; release: () => Promise<void>}> {
	if (process.env[MARK] !== '1') {
		throw new Error('not in the private mount namespace');
	}

	const fakeRun = await fs.mkdtemp(path.join(os.tmpdir(), 'multus-bench-run-'));
	if (realpathSync(fakeRun).startsWith('/run/')) {
		throw new Error(`the temp dir ${fakeRun} is under /run, which the harness shadows; set TMPDIR elsewhere`);
	}

	const directory = path.join(fakeRun, 'secrets/kubernetes.io/serviceaccount');
	await fs.mkdir(directory, {recursive: true});
	const mount = spawnSync('mount', ['--bind', fakeRun, '/run'], {encoding: 'utf8'});
	if (mount.status !== 0) {
		throw new Error(`mount --bind over /run in the private namespace failed: ${mount.stderr.trim()}`);
	}

	if (statSync(SERVICE_ACCOUNT_PATH).ino !== statSync(directory).ino) {
		throw new Error(`${SERVICE_ACCOUNT_PATH} does not resolve to the temporary service-account dir`);
	}

	return {
		directory,
		async release() {
			spawnSync('umount', ['/run']);
			await fs.rm(fakeRun, {recursive: true, force: true});
		},
	};
}
