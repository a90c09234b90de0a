// Runs the real agent for fault tests, optionally inside a namespace or as another user, and keeps every byte it prints.
import {execFileSync, spawn, type ChildProcess} from 'node:child_process';
import {chmodSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import os, {constants} from 'node:os';
import path from 'node:path';
import readline from 'node:readline';
import {build} from 'esbuild';
import type {LogLine} from '../../helpers/agent-process.ts';
import {createLogWaiter} from '../../helpers/log-waiter.ts';

// Fault tests start the agent hundreds of times, so they run it bundled, as it ships (half the CPU of type-stripping
// the sources per start). The bundle is built here, not taken from dist/, which other tests rebuild concurrently.
const ENTRY = await bundleAgent();
const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], {encoding: 'utf8'}).trim()) || 100;
const SIGNAL_EXIT_BASE = 128;

// Everything the agents of one test printed (stdout and stderr), for the secret scan.
export class Transcript {
	readonly #chunks: string[] = [];

	add(text: string): void {
		this.#chunks.push(text);
	}

	text(): string {
		return this.#chunks.join('');
	}
}

// How to run the agent: a command prefix (nsenter, setpriv, unshare…) and the environment.
export interface SpawnOptions {
	readonly prefix?: readonly string[];
	readonly env?: NodeJS.ProcessEnv;
}

// A running agent: its parsed log, awaitable log events, its CPU time, and ways to stop it.
export interface FaultAgent {
	readonly child: ChildProcess;
	readonly pid: number;
	readonly lines: LogLine[];
	/** Resolves with the exit code, or 128 + the signal number when killed. */
	readonly exited: Promise<number>;
	/** Waits for the next line (after the last one waited for) that matches. */
	waitFor(predicate: string | ((line: LogLine) => boolean), timeoutMs?: number): Promise<LogLine>;
	/** The process's user + system CPU time so far, in milliseconds. */
	cpuMs(): number;
	stop(signal?: NodeJS.Signals): Promise<number>;
	describe(): string;
}

// Spawns `[...prefix] node <bundled agent> args` with env (plus PATH); the prefix must exec, so pid is the agent's.
export function spawnAgent(args: readonly string[], transcript: Transcript, options: SpawnOptions = {}): FaultAgent {
	const prefix = options.prefix ?? [];
	const argv = [...prefix, process.execPath, ENTRY, ...args];
	const child = spawn(argv[0]!, argv.slice(1), {env: {PATH: process.env['PATH'], ...options.env}, stdio: ['ignore', 'pipe', 'pipe']});
	const lines: LogLine[] = [];
	let stderr = '';
	const describe = (): string => `${argv.slice(0, prefix.length).join(' ')} agent (pid ${child.pid}), log:\n${lines.map(line => JSON.stringify(line)).join('\n')}\n${stderr}`;
	const waiter = createLogWaiter(child, lines, describe);
	const wake = (): void => {
		waiter.wake();
	};

	child.stderr!.on('data', (chunk: Buffer) => {
		stderr += chunk.toString();
		transcript.add(chunk.toString());
	});
	readline.createInterface({input: child.stdout!}).on('line', line => {
		transcript.add(`${line}\n`);
		try {
			lines.push(JSON.parse(line) as LogLine);
		} catch {
			lines.push({event: 'non-json', msg: line});
		}

		wake();
	});
	const exited = new Promise<number>(resolve => {
		child.on('close', (code, signal) => {
			wake();
			resolve(code ?? SIGNAL_EXIT_BASE + (signal ? constants.signals[signal] : 0));
		});
	});
	return {
		child,
		pid: child.pid!,
		lines,
		exited,
		describe,
		async waitFor(predicate, timeoutMs = 10_000) {
			return waiter.waitFor(predicate, timeoutMs);
		},
		cpuMs() {
			const stat = readFileSync(`/proc/${child.pid}/stat`, 'utf8');
			const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
			// Fields 14 and 15 of proc(5) (utime, stime) are at 11 and 12 after the command name.
			return (Number(fields[11]) + Number(fields[12])) * 1000 / CLOCK_TICKS;
		},
		async stop(signal = 'SIGTERM') {
			if (child.exitCode === null && child.signalCode === null) {
				child.kill(signal);
			}

			return exited;
		},
	};
}

async function bundleAgent(): Promise<string> {
	const directory = mkdtempSync(path.join(os.tmpdir(), 'multus-fault-agent-'));
	chmodSync(directory, 0o755);
	process.once('exit', () => {
		rmSync(directory, {recursive: true, force: true});
	});
	const outfile = path.join(directory, 'multus-agent.mjs');
	await build({
		entryPoints: [path.resolve(import.meta.dirname, '../../../agent/main.ts')],
		outfile,
		bundle: true,
		platform: 'node',
		format: 'esm',
		target: 'node24',
		// Left out, as in scripts/bundle.mjs: the agent must never load it (a bundle in a temp dir cannot).
		external: ['@kubernetes/client-node'],
		banner: {js: "import {createRequire as __createRequire} from 'node:module'; const require = __createRequire(import.meta.url);"},
		logLevel: 'warning',
	});
	return outfile;
}
