// Watches directories (never single files or symlinks) and reports which ones changed.
import {existsSync, statSync} from 'node:fs';
import path from 'node:path';
import {watch, type FSWatcher} from 'chokidar';
import {errnoCode} from './errors.ts';
import {TEMP_MARKER} from './fs-atomic.ts';

// How often a polling fallback looks when inotify is exhausted.
const POLL_INTERVAL_MS = 2000;

// Callbacks: a watched directory changed; the watcher fell back to polling.
export interface WatchHandlers {
	onChange(directory: string): void;
	onFallback(error: Error): void;
}

// A set of watched directories; verify() re-checks that each is still the one watched; close() is idempotent.
export interface DirectoryWatch {
	verify(): void;
	close(): Promise<void>;
}

// Watches each directory (depth 0); a missing one is watched through its nearest existing ancestor.
export async function watchDirectories(directories: readonly string[], handlers: WatchHandlers): Promise<DirectoryWatch> {
	const targets = [...new Set(directories.map(directory => path.resolve(directory)))];
	const ready = new WeakMap<FSWatcher, Promise<void>>();
	let identities = identify(targets);
	let polling = false;
	let closing: Promise<void> | undefined;
	let switching: Promise<void> = Promise.resolve();
	let replaced = (): void => undefined;
	let nextReplacement = new Promise<void>(resolve => {
		replaced = resolve;
	});
	// chokidar reports an exhausted inotify as an 'error' event, often before 'ready', so the watcher can be
	// replaced while it is still starting: everything goes through the current `watcher`.
	let watcher = start();
	await settled();
	verify();

	function start(): FSWatcher {
		const instance = watch(watchList(targets, identities), {
			depth: 0,
			ignoreInitial: true,
			followSymlinks: false,
			atomic: false,
			usePolling: polling,
			interval: POLL_INTERVAL_MS,
			binaryInterval: POLL_INTERVAL_MS,
			ignored: (file: string) => path.basename(file).includes(TEMP_MARKER),
		});
		ready.set(instance, new Promise<void>(resolve => {
			instance.once('ready', resolve);
		}));
		instance.on('all', (_event, changed) => {
			onEvent(changed);
		});
		instance.on('error', error => {
			fallBack(error as Error);
		});
		return instance;
	}

	function onEvent(changed: string): void {
		verify();
		const directory = path.dirname(changed);
		if (targets.includes(directory)) {
			handlers.onChange(directory);
		} else if (targets.includes(changed)) {
			handlers.onChange(changed);
		}
	}

	// inotify cannot report a watched directory that was replaced (rm -rf then mkdir, a rename over it): its watch
	// dies silently. Each directory's parent is watched too, so its removal or return is an event there; every event
	// (and the session's slow re-check) stats the directories, and replaced ones are watched afresh. No timer polls.
	function verify(): void {
		if (closing) {
			return;
		}

		const now = identify(targets);
		const changed = targets.filter(target => now.get(target) !== identities.get(target));
		if (changed.length > 0) {
			identities = now;
			replaceWatcher(changed);
		}
	}

	function fallBack(error: Error): void {
		if (polling || closing || !isWatchLimit(error)) {
			return;
		}

		polling = true;
		handlers.onFallback(error);
		replaceWatcher(targets);
	}

	// Starts a new watcher (polling or not), closes the old one, then reports `changed` so nothing is missed between.
	function replaceWatcher(changed: readonly string[]): void {
		const old = watcher;
		watcher = start();
		replaced();
		nextReplacement = new Promise<void>(resolve => {
			replaced = resolve;
		});
		const current = watcher;
		switching = switching.then(async () => {
			await old.close().catch(() => undefined);
			await ready.get(current);
			for (const target of changed) {
				handlers.onChange(target);
			}
		});
	}

	// Waits until the current watcher is ready, including one that replaced it meanwhile (a closed one never is).
	async function settled(): Promise<void> {
		for (;;) {
			const current = watcher;
			await Promise.race([ready.get(current), nextReplacement]);
			await switching;
			if (current === watcher) {
				return;
			}
		}
	}

	return {
		verify,
		async close() {
			closing ??= switching.then(async () => watcher.close());
			await closing;
		},
	};
}

// Every target that exists, the nearest existing ancestor of each that does not, and each target's parent.
function watchList(targets: readonly string[], identities: ReadonlyMap<string, string | undefined>): string[] {
	const list = new Set<string>();
	for (const target of targets) {
		list.add(identities.get(target) === undefined ? nearestExisting(target) : target);
		if (identities.get(target) !== undefined && target !== path.dirname(target)) {
			list.add(path.dirname(target));
		}
	}

	return [...list];
}

// Each directory's device and inode, or undefined when it is missing or not a directory.
function identify(targets: readonly string[]): Map<string, string | undefined> {
	return new Map(targets.map(target => {
		try {
			const stat = statSync(target);
			return [target, stat.isDirectory() ? `${stat.dev}:${stat.ino}` : undefined];
		} catch {
			return [target, undefined];
		}
	}));
}

function nearestExisting(directory: string): string {
	let current = path.dirname(directory);
	while (!existsSync(current) && current !== path.dirname(current)) {
		current = path.dirname(current);
	}

	return current;
}

function isWatchLimit(error: Error): boolean {
	const code = errnoCode(error);
	return code === 'ENOSPC' || code === 'EMFILE' || code === 'ENFILE';
}
