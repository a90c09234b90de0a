import {spawn, type ChildProcess} from 'node:child_process';
import {closeSync, openSync, rmSync} from 'node:fs';
import type {Socket} from 'node:net';
import {setTimeout as sleep} from 'node:timers/promises';

// A child process running in its own process group, its stdout and stderr appended to logFile.
export type SupervisedProcess = {
	name: string;
	logFile: string;
	// Resolves with e.g. "exited with code 1" or "killed by SIGKILL" once the process is gone.
	exited: Promise<string>;
	isRunning(): boolean;
};

// Starts child processes that cannot outlive this process; stopAll() ends them in reverse start order.
export type Supervisor = {
	start(name: string, command: string, args: string[], logFile: string): SupervisedProcess;
	stopAll(graceMs: number): Promise<void>;
};

// Runs in its own session, so terminal and test-runner signals do not reach it. It reads one process
// group id per line; when its stdin closes (this process died, even by SIGKILL) it kills those groups
// and removes the work directory. stopAll() SIGKILLs the watchdog once the children are gone, so a
// clean stop never makes it fire.
const watchdogScript = `
trap '' HUP INT TERM
groups=
while read -r pgid; do groups="$groups -$pgid"; done
[ -z "$groups" ] || kill -KILL $groups 2>/dev/null
sleep 0.2
rm -rf -- "$1"
`;

const killOnExit = new Set<() => void>();

// Creates a supervisor; workDir is removed if this process exits without stopAll() having run.
export function createSupervisor(workDir: string): Supervisor {
	const children: {process: ChildProcess; supervised: SupervisedProcess}[] = [];
	const watchdog = spawn('/bin/sh', ['-c', watchdogScript, 'watchdog', workDir], {stdio: ['pipe', 'ignore', 'ignore'], detached: true});
	watchdog.on('error', () => {}); // best effort: the exit handler below still covers normal exits
	watchdog.stdin?.on('error', () => {});
	(watchdog.stdin as Socket | null)?.unref();
	watchdog.unref();

	const killAllNow = () => {
		killGroup(watchdog, 'SIGKILL');
		for (const child of children) {
			killGroup(child.process, 'SIGKILL');
		}
		try {
			rmSync(workDir, {recursive: true, force: true, maxRetries: 2});
		} catch {
			// A just-killed child may still be writing; the watchdog removes the directory too.
		}
	};
	installExitHandler();
	killOnExit.add(killAllNow);

	return {
		start(name, command, args, logFile) {
			const supervised = startProcess(name, command, args, logFile);
			children.push(supervised);
			if (supervised.process.pid !== undefined) {
				watchdog.stdin?.write(`${supervised.process.pid}\n`);
			}
			return supervised.supervised;
		},
		async stopAll(graceMs) {
			for (const child of [...children].reverse()) {
				await stopProcess(child.process, child.supervised, graceMs);
			}
			killGroup(watchdog, 'SIGKILL');
			killOnExit.delete(killAllNow);
		},
	};
}

function startProcess(name: string, command: string, args: string[], logFile: string) {
	const log = openSync(logFile, 'a');
	let running = true;
	let child: ChildProcess;
	try {
		child = spawn(command, args, {stdio: ['ignore', log, log], detached: true});
	} finally {
		closeSync(log);
	}
	const exited = new Promise<string>((resolve) => {
		child.once('exit', (code, signal) => {
			running = false;
			resolve(signal ? `killed by ${signal}` : `exited with code ${code}`);
		});
		child.once('error', (error) => {
			running = false;
			resolve(`failed to start (${error.message})`);
		});
	});
	// A forgotten stop() must not keep the test process alive; the exit handler kills the child.
	child.unref();
	return {process: child, supervised: {name, logFile, exited, isRunning: () => running}};
}

async function stopProcess(child: ChildProcess, supervised: SupervisedProcess, graceMs: number): Promise<void> {
	if (!supervised.isRunning()) {
		return;
	}
	killGroup(child, 'SIGTERM');
	const timer = new AbortController();
	const timedOut = Symbol('timeout');
	const result = await Promise.race([supervised.exited, sleep(graceMs, timedOut, {signal: timer.signal})]);
	timer.abort(); // cancel the grace timer so it does not hold the event loop open
	if (result === timedOut) {
		killGroup(child, 'SIGKILL');
		await supervised.exited;
	}
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
	if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) {
		return;
	}
	try {
		process.kill(-child.pid, signal); // detached: the child leads its own process group
	} catch {
		// Already gone.
	}
}

let exitHandlerInstalled = false;

function installExitHandler(): void {
	if (!exitHandlerInstalled) {
		exitHandlerInstalled = true;
		process.on('exit', () => {
			for (const kill of killOnExit) {
				kill();
			}
		});
	}
}
