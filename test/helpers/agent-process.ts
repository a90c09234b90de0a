// Runs the agent as a child process (as the DaemonSet does) and turns its JSON log lines into awaitable events.
import {spawn, type ChildProcess} from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';
import {createLogWaiter} from './log-waiter.ts';

const MAIN = path.resolve(import.meta.dirname, '../../agent/main.ts');

// One parsed log line.
export type LogLine = Record<string, unknown> & {event?: string; msg?: string; level?: string};

// A running agent: its log so far, a way to wait for a log event, and to stop it.
export interface AgentProcess {
	readonly child: ChildProcess;
	readonly lines: LogLine[];
	readonly stderr: () => string;
	waitFor(predicate: string | ((line: LogLine) => boolean), timeoutMs?: number): Promise<LogLine>;
	exited: Promise<number>;
	stop(signal?: NodeJS.Signals): Promise<number>;
}

// Spawns the agent with args and env (plus PATH); lines are parsed as they arrive.
export function startAgent(args: readonly string[], env: NodeJS.ProcessEnv = {}): AgentProcess {
	const child = spawn(process.execPath, [MAIN, ...args], {env: {PATH: process.env['PATH'], ...env}, stdio: ['ignore', 'pipe', 'pipe']});
	const lines: LogLine[] = [];
	let stderr = '';
	const waiter = createLogWaiter(child, lines, () => `agent log:\n${lines.map(line => JSON.stringify(line)).join('\n')}\n${stderr}`);
	child.stderr!.on('data', (chunk: Buffer) => {
		stderr += chunk.toString();
	});
	readline.createInterface({input: child.stdout!}).on('line', line => {
		try {
			lines.push(JSON.parse(line) as LogLine);
		} catch {
			lines.push({msg: line, event: 'non-json'});
		}

		waiter.wake();
	});
	const exited = new Promise<number>(resolve => {
		child.on('close', (code, signal) => {
			waiter.wake();
			resolve(code ?? (signal ? 128 : 1));
		});
	});
	return {
		child,
		lines,
		stderr: () => stderr,
		exited,
		async waitFor(predicate, timeoutMs = 10_000) {
			return waiter.waitFor(predicate, timeoutMs);
		},
		async stop(signal = 'SIGTERM') {
			if (child.exitCode === null && child.signalCode === null) {
				child.kill(signal);
			}

			return exited;
		},
	};
}

// Runs the agent to completion (for invocations that must exit by themselves).
export async function runAgentToExit(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<{code: number; lines: LogLine[]; stderr: string}> {
	const agent = startAgent(args, env);
	const code = await agent.exited;
	return {code, lines: agent.lines, stderr: agent.stderr()};
}
