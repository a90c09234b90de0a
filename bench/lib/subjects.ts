// The two things compared: our agent as the image runs it, and upstream thin_entrypoint as MicroShift runs it.
import {spawn, type ChildProcess} from 'node:child_process';
import {readFileSync} from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type {BenchNode} from './host.ts';

export const REPO = path.resolve(import.meta.dirname, '../..');
const DAEMONSET = path.join(REPO, 'deploy/base/06-daemonset.yaml');
const POD_SCRIPT = path.join(REPO, 'bench/upstream/pod.sh');
const MAX_LINES = 2000;

// A started process: its log lines so far, waits on them, and a clean stop.
export interface Running {
	readonly pid: number;
	readonly child: ChildProcess;
	readonly lines: string[];
	readonly stderr: () => string;
	readonly exited: Promise<number>;
	waitForLine(test: (line: string) => boolean, timeoutMs: number): Promise<boolean>;
	stop(timeoutMs?: number): Promise<number>;
}

// What the harness needs to know about a subject.
export interface Subject {
	readonly id: 'ours' | 'upstream';
	/** How it is started, for the report (repository-relative). */
	readonly describe: string;
	start(node: BenchNode): Running;
	/** The log line that says start-up is done and the watch is on. */
	isReady(line: string): boolean;
	/** The log line that says it waits for the readiness file (10-ovn-kubernetes.conf). */
	isWaiting(line: string): boolean;
	/** The file and content that mark the end of a warm restart. */
	warmDone(node: BenchNode, pid: number): {file: string; accept: (content: string | undefined) => boolean};
}

// Options for our agent's command line.
export interface OursOptions {
	/** The node binary (the pinned Node 24). */
	readonly node: string;
	/** The bundle to run (dist/multus-agent.mjs unless measuring a variant). */
	readonly bundle: string;
	/** Extra node/V8 flags, after any the DaemonSet's command carries. */
	readonly nodeFlags: readonly string[];
	/** Extra agent flags (after the DaemonSet's). */
	readonly agentFlags: readonly string[];
	readonly env: NodeJS.ProcessEnv;
	/** Directory holding multus and the plugins (the image's /usr/src/... sources). */
	readonly sources: string;
	readonly healthPort: () => number;
}

// Our agent: the DaemonSet's command and args (deploy/base/06-daemonset.yaml), with image and host paths mapped.
export function oursSubject(options: OursOptions): Subject {
	const deployed = readDaemonSet();
	const nodeFlags = [...deployed.nodeFlags, ...options.nodeFlags];
	return {
		id: 'ours',
		describe: `node ${[...nodeFlags, path.relative(REPO, options.bundle)].join(' ')} ${deployed.args.join(' ')} (from ${path.relative(REPO, DAEMONSET)}${deployed.parsed ? '' : ': not parsed, built-in defaults'})`,
		start(node) {
			const mapped = deployed.args.map(arg => mapArg(arg, node, options.healthPort));
			const args = [
				...nodeFlags,
				options.bundle,
				...mapped,
				`--host-prefix=${node.host}`,
				`--service-account-dir=${node.serviceAccount}`,
				`--multus-bin-file=${path.join(options.sources, 'multus')}`,
				`--cni-plugins-source-dir=${options.sources}`,
				...options.agentFlags,
			];
			return launch(options.node, args, {...kubernetesEnv(), ...options.env});
		},
		isReady: line => line.includes('"event":"ready"'),
		isWaiting: line => line.includes('"event":"waiting"'),
		warmDone(node, pid) {
			return {
				file: node.status,
				accept(content) {
					try {
						const status = JSON.parse(content ?? '') as {pid?: number; phase?: string};
						return status.pid === pid && status.phase === 'ready';
					} catch {
						return false;
					}
				},
			};
		},
	};
}

// Upstream: bench/upstream/pod.sh (MicroShift's init container, copy script, wait loop, thin_entrypoint).
export function upstreamSubject(binaries: string): Subject {
	return {
		id: 'upstream',
		describe: 'bash bench/upstream/pod.sh (MicroShift: cnibincopy.sh for the 6 plugins, then for multus, the 2 s wait loop, exec thin_entrypoint --multus-conf-file=auto --cleanup-config-on-exit=true --skip-multus-binary-copy=true …)',
		start(node) {
			return launch('/bin/bash', [POD_SCRIPT], {
				...kubernetesEnv(),
				HOST: node.host,
				BIN_DIR: node.binDir,
				PLUGINS_SOURCE: `${binaries}/`,
				MULTUS_SOURCE: `${binaries}/`,
				THIN_ENTRYPOINT: path.join(binaries, 'thin_entrypoint'),
			});
		},
		isReady: line => line.includes('Entering watch loop'),
		isWaiting: line => line.includes('Waiting for /etc/cni/net.d/10-ovn-kubernetes.conf'),
		warmDone(node) {
			return {file: node.config, accept: content => content !== undefined};
		},
	};
}

function kubernetesEnv(): NodeJS.ProcessEnv {
	return {PATH: process.env['PATH'], KUBERNETES_SERVICE_HOST: '10.43.0.1', KUBERNETES_SERVICE_PORT: '443'};
}

function mapArg(arg: string, node: BenchNode, healthPort: () => number): string {
	const match = /^(--[\w-]+)=(.*)$/.exec(arg);
	if (!match) {
		return arg;
	}

	const [, flag, value] = match as unknown as [string, string, string];
	if (flag === '--health-address') {
		return `${flag}=127.0.0.1:${healthPort()}`;
	}

	if (value === '/host/run/cni/bin' || value.startsWith('/host/run/cni/bin/')) {
		return `${flag}=${node.binDir}${value.slice('/host/run/cni/bin'.length)}`;
	}

	if (value.startsWith('/host/')) {
		return `${flag}=${path.join(node.host, value.slice('/host/'.length))}`;
	}

	return arg;
}

// The kube-multus container's command (node flags between node and the .mjs) and args in the DaemonSet.
export function readDaemonSet(): {nodeFlags: string[]; args: string[]; parsed: boolean} {
	const fallback = {nodeFlags: [], args: ['--multus-conf-file=auto', '--cni-bin-dir=/host/run/cni/bin', '--multus-autoconfig-dir=/host/etc/cni/net.d', '--readiness-indicator-file=/etc/cni/net.d/10-ovn-kubernetes.conf', '--health-address=127.0.0.1:9781'], parsed: false};
	let lines: string[];
	try {
		lines = readFileSync(DAEMONSET, 'utf8').split('\n');
	} catch {
		return fallback;
	}

	const start = lines.findIndex(line => /^\s*-\s+name:\s+kube-multus\s*$/.test(line));
	if (start === -1) {
		return fallback;
	}

	let command: string[] | undefined;
	let args: string[] | undefined;
	for (let index = start + 1; index < lines.length; index++) {
		const line = lines[index]!;
		if (/^\s*-\s+name:/.test(line) && /^\s*-/.test(line) && indent(line) <= indent(lines[start]!)) {
			break;
		}

		const commandMatch = /^\s*command:\s*(\[.*\])\s*$/.exec(line);
		if (commandMatch) {
			command = JSON.parse(commandMatch[1]!) as string[];
		}

		if (/^\s*args:\s*$/.test(line)) {
			args = [];
			for (let next = index + 1; next < lines.length; next++) {
				const item = lines[next]!;
				if (item.trim() === '' || item.trim().startsWith('#')) {
					continue;
				}

				const itemMatch = /^\s*-\s+(.*?)\s*$/.exec(item);
				if (!itemMatch || indent(item) < indent(line)) {
					break;
				}

				args.push(itemMatch[1]!.replace(/^(["'])(.*)\1$/, '$2'));
			}
		}
	}

	if (!command || !args || !/node$/.test(command[0] ?? '') || !command.at(-1)?.endsWith('.mjs')) {
		return fallback;
	}

	return {nodeFlags: command.slice(1, -1), args, parsed: true};
}

function indent(line: string): number {
	return line.length - line.trimStart().length;
}

// Spawns a process with piped output; lines are kept (the pipe is always drained).
export function launch(command: string, args: readonly string[], env: NodeJS.ProcessEnv): Running {
	const child = spawn(command, args, {env, stdio: ['ignore', 'pipe', 'pipe']});
	const lines: string[] = [];
	const waiters = new Set<() => void>();
	let stderr = '';
	child.stderr!.on('data', (chunk: Buffer) => {
		stderr = (stderr + chunk.toString()).slice(-20_000);
	});
	readline.createInterface({input: child.stdout!}).on('line', line => {
		lines.push(line);
		if (lines.length > MAX_LINES) {
			lines.splice(0, lines.length - MAX_LINES);
		}

		for (const wake of waiters) {
			wake();
		}
	});
	const exited = new Promise<number>(resolve => {
		child.on('close', (code, signal) => {
			for (const wake of waiters) {
				wake();
			}

			resolve(code ?? (signal ? 128 : 1));
		});
	});
	let seen = 0;
	return {
		pid: child.pid!,
		child,
		lines,
		stderr: () => stderr,
		exited,
		async waitForLine(test, timeoutMs) {
			return new Promise<boolean>(resolve => {
				const check = (): void => {
					const index = lines.findIndex((line, at) => at >= seen && test(line));
					if (index !== -1) {
						seen = index + 1;
						done(true);
					} else if (child.exitCode !== null || child.signalCode !== null) {
						done(false);
					}
				};

				const timer = setTimeout(() => {
					done(false);
				}, timeoutMs);
				const done = (result: boolean): void => {
					clearTimeout(timer);
					waiters.delete(check);
					resolve(result);
				};

				waiters.add(check);
				check();
			});
		},
		async stop(timeoutMs = 5000) {
			if (child.exitCode === null && child.signalCode === null) {
				child.kill('SIGTERM');
				const timer = setTimeout(() => {
					child.kill('SIGKILL');
				}, timeoutMs);
				const code = await exited;
				clearTimeout(timer);
				return code;
			}

			return exited;
		},
	};
}
