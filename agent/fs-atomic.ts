// Atomic host writes: a unique temp file in the target's directory, fsync, rename, fsync the directory.
import {createHash, randomBytes} from 'node:crypto';
import {createReadStream, readlinkSync} from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import {errnoCode} from './errors.ts';

// The marker in every temp name; the tail has no dot, so no runtime mistakes a temp for a config.
export const TEMP_MARKER = '.tmp-';

const CHUNK = 1 << 20;

// What a write did: it changed the file, or the file already held exactly these bytes and mode.
export type WriteOutcome = 'written' | 'unchanged';

// Writes data to file atomically with mode, unless it already holds the same bytes and mode.
export async function writeFileAtomic(file: string, data: string | Buffer, mode: number): Promise<WriteOutcome> {
	const bytes = typeof data === 'string' ? Buffer.from(data) : data;
	if (await holdsExactly(file, bytes, mode)) {
		return 'unchanged';
	}

	await replaceWith(file, mode, async handle => {
		await handle.writeFile(bytes);
	});
	return 'written';
}

// Copies src over dest atomically with mode and returns the sha256 of the bytes written.
export async function copyFileAtomic(src: string, dest: string, mode: number): Promise<string> {
	const hash = createHash('sha256');
	await replaceWith(dest, mode, async handle => {
		const buffer = Buffer.allocUnsafe(CHUNK);
		const source = await fs.open(src, 'r');
		try {
			for (;;) {
				const {bytesRead} = await source.read(buffer, 0, CHUNK, null);
				if (bytesRead === 0) {
					break;
				}

				const chunk = buffer.subarray(0, bytesRead);
				hash.update(chunk);
				await handle.write(chunk);
			}
		} finally {
			await source.close();
		}
	});
	return hash.digest('hex');
}

// The sha256 of a file's contents, as lowercase hex.
export async function sha256File(file: string): Promise<string> {
	const hash = createHash('sha256');
	for await (const chunk of createReadStream(file, {highWaterMark: CHUNK})) {
		hash.update(chunk as Buffer);
	}

	return hash.digest('hex');
}

// Reads a file if it is a regular file (never through a symlink); undefined when absent.
export async function readRegularFile(file: string): Promise<Buffer | undefined> {
	const stat = await lstatOrUndefined(file);
	if (!stat?.isFile()) {
		return undefined;
	}

	return fs.readFile(file);
}

// lstat that turns "not there" into undefined.
export async function lstatOrUndefined(file: string): Promise<import('node:fs').Stats | undefined> {
	try {
		return await fs.lstat(file);
	} catch (error) {
		if (errnoCode(error) === 'ENOENT' || errnoCode(error) === 'ENOTDIR') {
			return undefined;
		}

		throw error;
	}
}

// Removes file only if it still holds exactly these bytes; tells whether it did.
export async function removeIfHolds(file: string, bytes: Buffer): Promise<boolean> {
	const current = await readRegularFile(file);
	if (!current?.equals(bytes)) {
		return false;
	}

	await fs.rm(file, {force: true});
	await syncDirectory(path.dirname(file));
	return true;
}

// Builds a temp name unique to this process: .<base>.tmp-<pid namespace>-<pid>-<random>.
export function tempNameFor(file: string): string {
	return path.join(path.dirname(file), `.${path.basename(file)}${TEMP_MARKER}${processTag}-${randomBytes(4).toString('hex')}`);
}

// The pid namespace and pid that mark this process's temp files.
export const processTag = `${pidNamespace()}-${process.pid}`;

// fsyncs a directory so a rename or unlink in it survives a crash.
export async function syncDirectory(directory: string): Promise<void> {
	const handle = await fs.open(directory, 'r');
	try {
		await handle.sync();
	} catch (error) {
		if (errnoCode(error) !== 'EINVAL') {
			throw error;
		}
	} finally {
		await handle.close();
	}
}

async function replaceWith(file: string, mode: number, fill: (handle: fs.FileHandle) => Promise<void>): Promise<void> {
	const existing = await lstatOrUndefined(file);
	if (existing?.isDirectory()) {
		throw Object.assign(new Error(`${file} is a directory`), {code: 'EISDIR'});
	}

	const temp = tempNameFor(file);
	let handle: fs.FileHandle | undefined;
	try {
		handle = await fs.open(temp, 'wx', mode);
		await fill(handle);
		await handle.chmod(mode);
		await handle.sync();
		await handle.close();
		handle = undefined;
		await fs.rename(temp, file);
	} catch (error) {
		await handle?.close().catch(() => undefined);
		await fs.rm(temp, {force: true}).catch(() => undefined);
		throw error;
	}

	await syncDirectory(path.dirname(file));
}

async function holdsExactly(file: string, bytes: Buffer, mode: number): Promise<boolean> {
	const stat = await lstatOrUndefined(file);
	if (!stat?.isFile() || stat.size !== bytes.length || (stat.mode & 0o7777) !== mode) {
		return false;
	}

	return (await fs.readFile(file)).equals(bytes);
}

function pidNamespace(): string {
	try {
		return /\[(\d+)\]/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? '0';
	} catch {
		return '0';
	}
}
