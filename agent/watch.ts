// Watches directories (never single files or symlinks) and reports which ones changed.
import {existsSync} from 'node:fs';
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

// A set of watched directories; close() is idempotent.
export interface DirectoryWatch {
	close(): Promise<void>;
}

// Watches each directory (depth 0); a missing one is watched through its nearest existing ancestor.
export async function watchDirectories(directories: readonly string[], handlers: WatchHandlers): Promise<DirectoryWatch> {
	const targets = new Set(directories.map(directory => path.resolve(directory)));
	const waiting = new Set([...targets].filter(directory => !existsSync(directory)));
	let polling = false;
	let watcher = await start(watchList(targets, waiting), false);
	let closing: Promise<void> | undefined;

	function onEvent(changed: string): void {
		const directory = path.dirname(changed);
		for (const target of waiting) {
			if (target !== changed && !target.startsWith(`${changed}${path.sep}`)) {
				continue;
			}

			if (existsSync(target)) {
				waiting.delete(target);
				watcher.add(target);
				handlers.onChange(target);
			} else {
				watcher.add(nearestExisting(target));
			}
		}

		if (targets.has(directory)) {
			handlers.onChange(directory);
		} else if (targets.has(changed)) {
			handlers.onChange(changed);
		}
	}

	async function start(paths: string[], usePolling: boolean): Promise<FSWatcher> {
		const instance = watch(paths, {
			depth: 0,
			ignoreInitial: true,
			followSymlinks: false,
			atomic: false,
			usePolling,
			interval: POLL_INTERVAL_MS,
			binaryInterval: POLL_INTERVAL_MS,
			ignored: (file: string) => path.basename(file).includes(TEMP_MARKER),
		});
		instance.on('all', (_event, changed) => {
			onEvent(changed);
		});
		instance.on('error', error => {
			void fallBack(error as Error);
		});
		await new Promise<void>(resolve => {
			instance.once('ready', resolve);
		});
		return instance;
	}

	async function fallBack(error: Error): Promise<void> {
		if (polling || closing || !isWatchLimit(error)) {
			return;
		}

		polling = true;
		handlers.onFallback(error);
		const old = watcher;
		watcher = await start(watchList(targets, waiting), true);
		await old.close();
		for (const target of targets) {
			handlers.onChange(target);
		}
	}

	return {
		async close() {
			closing ??= watcher.close();
			await closing;
		},
	};
}

function watchList(targets: ReadonlySet<string>, waiting: ReadonlySet<string>): string[] {
	const list = new Set<string>();
	for (const target of targets) {
		list.add(waiting.has(target) ? nearestExisting(target) : target);
	}

	return [...list];
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
