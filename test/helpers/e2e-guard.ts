// Makes sure everything the end-to-end tests create is undone, however the test process ends:
//  - normally, the tests' own teardown removes each thing and calls the release function;
//  - on process.exit (ava ends the worker, an uncaught error), an 'exit' hook undoes what is left;
//  - on a kill that runs no hooks (an ava timeout), a detached watchdog (e2e-watchdog.ts) sees its stdin
//    close and undoes what is left.
// Order: processes first (they hold namespaces and files), then network namespaces, then directories.
import {execFileSync, spawn, type ChildProcess} from 'node:child_process';
import {rmSync} from 'node:fs';
import path from 'node:path';
import type {Socket} from 'node:net';

export type GuardKind = 'pgid' | 'pid' | 'netns' | 'dir';

const WATCHDOG = path.resolve(import.meta.dirname, 'e2e-watchdog.ts');
const ORDER: readonly GuardKind[] = ['pgid', 'pid', 'netns', 'dir'];
const guarded = new Map<string, {kind: GuardKind; value: string}>();
let watchdog: ChildProcess | undefined;

// Registers something to undo; returns the function that unregisters it once it is undone.
export function guard(kind: GuardKind, value: string | number): () => void {
	if ((kind === 'pid' || kind === 'pgid') && !(Number.isInteger(Number(value)) && Number(value) > 1)) {
		throw new Error(`refusing to guard ${kind} ${value}: kill(${kind === 'pgid' ? '-' : ''}${value}) would hit other processes`);
	}

	const entry = {kind, value: String(value)};
	const key = `${kind}:${entry.value}`;
	guarded.set(key, entry);
	tell({op: 'add', ...entry});
	return () => {
		if (guarded.delete(key)) {
			tell({op: 'forget', ...entry});
		}
	};
}

// Undoes everything still registered, synchronously (also the 'exit' hook).
export function undoAllNow(): void {
	for (const kind of ORDER) {
		for (const [key, entry] of guarded) {
			if (entry.kind !== kind) {
				continue;
			}

			try {
				undo(entry);
			} catch {
				// Already gone.
			}

			guarded.delete(key);
			tell({op: 'forget', ...entry});
		}
	}
}

function undo({kind, value}: {kind: GuardKind; value: string}): void {
	switch (kind) {
		case 'pgid': {
			process.kill(-Number(value), 'SIGKILL');
			break;
		}

		case 'pid': {
			process.kill(Number(value), 'SIGKILL');
			break;
		}

		case 'netns': {
			execFileSync('ip', ['netns', 'delete', value], {stdio: 'ignore'});
			break;
		}

		case 'dir': {
			rmSync(value, {recursive: true, force: true, maxRetries: 3});
			break;
		}
	}
}

function tell(message: object): void {
	startWatchdog()?.stdin?.write(`${JSON.stringify(message)}\n`);
}

function startWatchdog(): ChildProcess | undefined {
	if (watchdog === undefined) {
		watchdog = spawn(process.execPath, [WATCHDOG], {stdio: ['pipe', 'ignore', 'ignore'], detached: true});
		watchdog.on('error', () => undefined); // the 'exit' hook still covers ordinary exits
		watchdog.stdin?.on('error', () => undefined);
		(watchdog.stdin as Socket | null)?.unref();
		watchdog.unref();
		process.on('exit', () => {
			undoAllNow();
			// Nothing is left to undo: tell the watchdog not to act when its stdin closes.
			watchdog?.stdin?.write(`${JSON.stringify({op: 'disarm'})}\n`);
		});
	}

	return watchdog;
}
