// Event times from the file system: inotify on the directory (fs.watch) plus a content check, never a sleep loop.
import {watch} from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import {performance} from 'node:perf_hooks';

// What the file holds now (undefined when it does not exist).
export type Accept = (content: string | undefined) => boolean;

// A pending wait: resolves with performance.now() when accept() first holds, or undefined on timeout.
export interface FileWait {
	readonly done: Promise<number | undefined>;
	cancel(): void;
}

// Starts watching file's directory; call before triggering the change. accept runs on every event in the directory.
export function watchFile(file: string, accept: Accept, timeoutMs: number): FileWait {
	const directory = path.dirname(file);
	let settle: (value: number | undefined) => void = () => undefined;
	const done = new Promise<number | undefined>(resolve => {
		settle = resolve;
	});
	let finished = false;
	let checking = false;
	let again = false;
	const watcher = watch(directory, {persistent: true});
	const timer = setTimeout(() => {
		finish(undefined);
	}, timeoutMs);

	function finish(at: number | undefined): void {
		if (!finished) {
			finished = true;
			clearTimeout(timer);
			watcher.close();
			settle(at);
		}
	}

	async function check(): Promise<void> {
		if (checking) {
			again = true;
			return;
		}

		checking = true;
		try {
			do {
				again = false;
				const content = await fs.readFile(file, 'utf8').catch(() => undefined);
				if (accept(content)) {
					finish(performance.now());
					return;
				}
			} while (again && !finished);
		} finally {
			checking = false;
		}
	}

	watcher.on('change', () => {
		// Any entry: renames into place show up under the temp name and the final name.
		if (!finished) {
			void check();
		}
	});
	watcher.on('error', () => {
		void check();
	});
	void check();
	return {
		done,
		cancel() {
			finish(undefined);
		},
	};
}

// Waits (by inotify) until accept(content) holds for file; the time it held, or undefined after timeoutMs.
export async function waitForFile(file: string, accept: Accept, timeoutMs: number): Promise<number | undefined> {
	return watchFile(file, accept, timeoutMs).done;
}

// Content checks.
export const exists: Accept = content => content !== undefined;
export const absent: Accept = content => content === undefined;
export function includes(text: string): Accept {
	return content => content?.includes(text) ?? false;
}

export function matches(pattern: RegExp): Accept {
	return content => content !== undefined && pattern.test(content);
}
