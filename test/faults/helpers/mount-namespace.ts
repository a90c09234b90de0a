// A private mount namespace held open by a waiting shell: a tmpfs or read-only mount made in it never reaches the machine.
import {execFile, execFileSync, spawn} from 'node:child_process';
import readline from 'node:readline';
import {promisify} from 'node:util';
import type {ExecutionContext} from 'ava';

const run = promisify(execFile);

// A mount namespace of its own; mounts made through sh() exist only in it and vanish with it.
export interface MountNamespace {
	readonly pid: number;
	/** The argv prefix that runs a command inside the namespace; nsenter execs it, so its pid is the command's. */
	readonly enter: readonly string[];
	/** The path by which this process reaches `file` as the namespace sees it. */
	inside(file: string): string;
	/** Runs a shell script inside the namespace ($1… are args); rejects with its stderr. */
	sh(script: string, ...args: string[]): Promise<string>;
}

// Why this machine cannot run root-only fault tests, or undefined when it can (root and every tool present).
export function whyNotRoot(tools: readonly string[] = []): string | undefined {
	if (process.getuid?.() !== 0) {
		return 'needs root (mount namespaces, tmpfs, bind mounts, other uids)';
	}

	const missing = tools.filter(tool => {
		try {
			execFileSync('sh', ['-c', `command -v ${tool}`], {stdio: 'ignore'});
			return false;
		} catch {
			return true;
		}
	});
	return missing.length > 0 ? `missing ${missing.join(', ')} (apt package util-linux)` : undefined;
}

// Unshares a mount namespace with private propagation and keeps it until the test ends (or this process dies).
export async function privateMountNamespace(t: ExecutionContext): Promise<MountNamespace> {
	// The holder exits when its stdin closes: at teardown, or when this test process dies in any way.
	const holder = spawn('unshare', ['--mount', '--propagation', 'private', 'sh', '-c', 'echo ready; read -r _'], {stdio: ['pipe', 'pipe', 'inherit']});
	t.teardown(() => {
		holder.stdin.end();
	});
	await new Promise<void>((resolve, reject) => {
		readline.createInterface({input: holder.stdout}).once('line', () => {
			resolve();
		});
		holder.once('exit', code => {
			reject(new Error(`unshare --mount exited with ${code}`));
		});
	});
	const pid = holder.pid!;
	const enter = ['nsenter', `--target=${pid}`, '--mount', '--'];
	return {
		pid,
		enter,
		inside: file => `/proc/${pid}/root${file}`,
		async sh(script, ...args) {
			try {
				const {stdout} = await run(enter[0]!, [...enter.slice(1), 'sh', '-ec', script, 'sh', ...args]);
				return stdout;
			} catch (error) {
				throw new Error(`in the mount namespace, \`${script}\` failed: ${(error as {stderr?: string}).stderr ?? String(error)}`);
			}
		},
	};
}
