// Child processes for the end-to-end tests: one-shot commands and long-running helpers (forwarder, DHCP
// server, dhcp daemon), each in its own process group so that it and everything it started can be killed.
// Whatever is still running when this process ends is SIGKILLed (see e2e-guard.ts), even after a failure.
import {spawn, type ChildProcess} from 'node:child_process';
import readline from 'node:readline';
import {guard} from './e2e-guard.ts';

// What a finished command left behind.
export type RunResult = {code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string};

export type RunOptions = {
	env?: NodeJS.ProcessEnv;
	input?: string;
	timeoutMs?: number;
};

// Runs a command to completion and returns its exit status and output; never throws for a non-zero exit.
export async function run(command: string, args: readonly string[], options: RunOptions = {}): Promise<RunResult> {
	const child = spawnTracked(command, args, options.env);
	let stdout = '';
	let stderr = '';
	child.stdout!.on('data', (chunk: Buffer) => {
		stdout += chunk.toString();
	});
	child.stderr!.on('data', (chunk: Buffer) => {
		stderr += chunk.toString();
	});
	child.stdin!.on('error', () => undefined); // a command that exits without reading its stdin
	child.stdin!.end(options.input ?? '');
	const timeoutMs = options.timeoutMs ?? 60_000;
	const timer = setTimeout(() => {
		killGroup(child, 'SIGKILL');
	}, timeoutMs);
	const [code, signal] = await exited(child);
	clearTimeout(timer);
	if (signal === 'SIGKILL' && code === null) {
		stderr += `\n[killed after ${timeoutMs} ms]`;
	}

	return {code, signal, stdout, stderr};
}

// Runs a command that must succeed and returns its stdout; the error names the command and its stderr.
export async function runOk(command: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
	const result = await run(command, args, options);
	if (result.code !== 0) {
		throw new Error(`${[command, ...args].join(' ')} failed (${result.code ?? result.signal}): ${result.stderr.trim() || result.stdout.trim()}`);
	}

	return result.stdout;
}

// A long-running child whose stdout and stderr lines are kept and can be awaited.
export type Background = {
	readonly name: string;
	readonly child: ChildProcess;
	readonly output: string[];
	// Resolves with the first line (from now on or already seen) that matches.
	waitForLine(pattern: RegExp, timeoutMs?: number): Promise<string>;
	readonly exited: Promise<[number | null, NodeJS.Signals | null]>;
	// SIGTERM, then SIGKILL after graceMs; resolves once the process is gone.
	stop(graceMs?: number): Promise<void>;
};

// Starts a long-running command; its output is collected line by line.
export function startBackground(name: string, command: string, args: readonly string[], env?: NodeJS.ProcessEnv): Background {
	const child = spawnTracked(command, args, env);
	child.stdin!.on('error', () => undefined);
	child.stdin!.end();
	const output: string[] = [];
	const wakers = new Set<() => void>();
	const wake = (): void => {
		for (const waker of wakers) {
			waker();
		}
	};

	for (const stream of [child.stdout!, child.stderr!]) {
		readline.createInterface({input: stream}).on('line', line => {
			output.push(line);
			wake();
		});
	}

	const done = exited(child);
	void done.then(wake);
	return {
		name,
		child,
		output,
		exited: done,
		async waitForLine(pattern, timeoutMs = 15_000) {
			return new Promise<string>((resolve, reject) => {
				const check = (): void => {
					const line = output.find(candidate => pattern.test(candidate));
					if (line !== undefined) {
						finish();
						resolve(line);
					} else if (child.exitCode !== null || child.signalCode !== null) {
						finish();
						reject(new Error(`${name} exited (${child.exitCode ?? child.signalCode}) before printing ${pattern}; output:\n${output.join('\n')}`));
					}
				};

				const timer = setTimeout(() => {
					finish();
					reject(new Error(`${name} did not print ${pattern} within ${timeoutMs} ms; output:\n${output.join('\n')}`));
				}, timeoutMs);
				const finish = (): void => {
					clearTimeout(timer);
					wakers.delete(check);
				};

				wakers.add(check);
				check();
			});
		},
		async stop(graceMs = 5000) {
			if (child.exitCode !== null || child.signalCode !== null) {
				return;
			}

			killGroup(child, 'SIGTERM');
			const timer = setTimeout(() => {
				killGroup(child, 'SIGKILL');
			}, graceMs);
			await done;
			clearTimeout(timer);
		},
	};
}

function spawnTracked(command: string, args: readonly string[], env: NodeJS.ProcessEnv | undefined): ChildProcess {
	const child = spawn(command, args, {
		env: env ?? {PATH: process.env['PATH']},
		stdio: ['pipe', 'pipe', 'pipe'],
		detached: true, // its own process group: killGroup reaches everything it started
	});
	if (child.pid !== undefined) {
		const release = guard('pgid', child.pid);
		child.once('exit', release);
	}

	return child;
}

async function exited(child: ChildProcess): Promise<[number | null, NodeJS.Signals | null]> {
	return new Promise(resolve => {
		if (child.exitCode !== null || child.signalCode !== null) {
			resolve([child.exitCode, child.signalCode]);
			return;
		}

		child.once('error', () => {
			resolve([127, null]);
		});
		child.once('close', (code, signal) => {
			resolve([code, signal]);
		});
	});
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
	if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
		return;
	}

	try {
		process.kill(-child.pid, signal);
	} catch {
		// Already gone.
	}
}
