// Removes temp files that an earlier, killed agent left behind, never those of a live one.
import fs from 'node:fs/promises';
import path from 'node:path';
import {errnoCode} from './errors.ts';
import {processTag, TEMP_MARKER} from './fs-atomic.ts';

// A temp from another pid namespace (another pod) is stale once it is this old.
const FOREIGN_TEMP_AGE_MS = 60_000;

const TEMP_NAME = /^\..+\.tmp-(\d+)-(\d+)-[\da-f]+$/;

// Deletes stale temp files in each directory and returns their paths.
export async function sweepStaleTemps(directories: readonly string[], now = Date.now()): Promise<string[]> {
	const removed: string[] = [];
	const [namespace] = processTag.split('-');
	for (const directory of new Set(directories)) {
		for (const name of await listOrEmpty(directory)) {
			const match = TEMP_NAME.exec(name);
			if (!match || !name.includes(TEMP_MARKER)) {
				continue;
			}

			const file = path.join(directory, name);
			if (await isStale(file, match[1] === namespace, Number(match[2]), now)) {
				await fs.rm(file, {force: true});
				removed.push(file);
			}
		}
	}

	return removed;
}

async function isStale(file: string, sameNamespace: boolean, pid: number, now: number): Promise<boolean> {
	if (sameNamespace) {
		return pid !== process.pid && !isAlive(pid);
	}

	const stat = await fs.lstat(file).catch(() => undefined);
	return stat !== undefined && now - stat.mtimeMs > FOREIGN_TEMP_AGE_MS;
}

function isAlive(pid: number): boolean {
	try {
		process.kill(pid, 0);
		return true;
	} catch (error) {
		return errnoCode(error) === 'EPERM';
	}
}

async function listOrEmpty(directory: string): Promise<string[]> {
	try {
		return await fs.readdir(directory);
	} catch {
		return [];
	}
}
