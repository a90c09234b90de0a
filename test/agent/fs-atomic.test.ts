import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {copyFileAtomic, removeIfHolds, sha256File, writeFileAtomic} from '../../agent/fs-atomic.ts';

async function tempDir(): Promise<string> {
	return fs.mkdtemp(path.join(os.tmpdir(), 'fs-atomic-'));
}

test('writes with the mode, then skips identical bytes (mtime unchanged)', async t => {
	const dir = await tempDir();
	const file = path.join(dir, 'a.conf');
	t.is(await writeFileAtomic(file, 'one', 0o600), 'written');
	t.is((await fs.stat(file)).mode & 0o777, 0o600);
	const before = (await fs.stat(file)).mtimeMs;
	t.is(await writeFileAtomic(file, 'one', 0o600), 'unchanged');
	t.is((await fs.stat(file)).mtimeMs, before);
	t.is(await writeFileAtomic(file, 'one', 0o644), 'written');
	t.deepEqual(await fs.readdir(dir), ['a.conf']);
});

test('replaces a planted symlink instead of writing through it', async t => {
	const dir = await tempDir();
	const victim = path.join(dir, 'victim');
	await fs.writeFile(victim, 'keep');
	await fs.symlink(victim, path.join(dir, 'a.conf'));
	await writeFileAtomic(path.join(dir, 'a.conf'), 'new', 0o600);
	t.is(await fs.readFile(victim, 'utf8'), 'keep');
	t.false((await fs.lstat(path.join(dir, 'a.conf'))).isSymbolicLink());
});

test('a failed write leaves the old file and no temp file', async t => {
	const dir = await tempDir();
	const file = path.join(dir, 'a.conf');
	await writeFileAtomic(file, 'old', 0o600);
	await fs.mkdir(path.join(dir, 'sub'));
	await t.throwsAsync(writeFileAtomic(path.join(dir, 'sub'), 'x', 0o600), {code: 'EISDIR'});
	await t.throwsAsync(copyFileAtomic(path.join(dir, 'missing'), file, 0o755), {code: 'ENOENT'});
	t.is(await fs.readFile(file, 'utf8'), 'old');
	t.deepEqual((await fs.readdir(dir)).sort(), ['a.conf', 'sub']);
});

test('copies with mode 0755 and returns the sha256 of the bytes', async t => {
	const dir = await tempDir();
	const src = path.join(dir, 'src');
	await fs.writeFile(src, Buffer.alloc(3 << 20, 7));
	const hash = await copyFileAtomic(src, path.join(dir, 'dest'), 0o755);
	t.is(hash, await sha256File(src));
	t.is(await sha256File(path.join(dir, 'dest')), hash);
	t.is((await fs.stat(path.join(dir, 'dest'))).mode & 0o777, 0o755);
});

test('a binary being executed is replaced, not overwritten in place (no ETXTBSY)', async t => {
	const dir = await tempDir();
	const dest = path.join(dir, 'plugin');
	await fs.writeFile(dest, '#!/bin/sh\nsleep 5\n', {mode: 0o755});
	const {spawn} = await import('node:child_process');
	const running = spawn(dest, {stdio: 'ignore'});
	await new Promise(resolve => {
		running.once('spawn', resolve);
	});
	const src = path.join(dir, 'new');
	await fs.writeFile(src, '#!/bin/sh\nexit 0\n');
	await copyFileAtomic(src, dest, 0o755);
	running.kill();
	t.is(await fs.readFile(dest, 'utf8'), '#!/bin/sh\nexit 0\n');
});

test('removes a file only while it holds our bytes', async t => {
	const dir = await tempDir();
	const file = path.join(dir, 'a.conf');
	await fs.writeFile(file, 'theirs');
	t.false(await removeIfHolds(file, Buffer.from('ours')));
	t.is(await fs.readFile(file, 'utf8'), 'theirs');
	await fs.writeFile(file, 'ours');
	t.true(await removeIfHolds(file, Buffer.from('ours')));
	await t.throwsAsync(fs.access(file));
});
