// The dhcp-daemon init container's check (image/rootfs/files/usr/lib/multus-agent/dhcp-socket-cleanup.mjs):
// it removes a socket nobody listens on, and leaves a live socket, a regular file, a directory and a symlink.
import {execFile, spawn} from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';

const SCRIPT = path.resolve(import.meta.dirname, '../../image/rootfs/files/usr/lib/multus-agent/dhcp-socket-cleanup.mjs');

async function cleanup(file: string): Promise<{code: number; output: string}> {
	return new Promise(resolve => {
		execFile(process.execPath, [SCRIPT, file], (error, stdout, stderr) => {
			resolve({code: typeof error?.code === 'number' ? error.code : 0, output: stdout + stderr});
		});
	});
}

async function directory(t: ExecutionContext): Promise<string> {
	// Short path: a unix socket path must fit in 108 bytes.
	const created = await fs.mkdtemp(path.join(os.tmpdir(), 'dhcp-'));
	t.teardown(async () => fs.rm(created, {recursive: true, force: true}));
	return created;
}

// A socket file with no listener, as a daemon killed by SIGKILL leaves it.
async function staleSocket(file: string): Promise<void> {
	const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(file)}, () => process.kill(process.pid, 'SIGKILL'))`]);
	await new Promise(resolve => child.on('close', resolve));
}

test('a stale socket is removed', async t => {
	const socket = path.join(await directory(t), 'dhcp.sock');
	await staleSocket(socket);
	t.true((await fs.lstat(socket)).isSocket());
	const result = await cleanup(socket);
	t.is(result.code, 0, result.output);
	t.regex(result.output, /removed stale socket .*connection refused/);
	await t.throwsAsync(fs.lstat(socket), {code: 'ENOENT'});
});

test('a socket with a live listener is left alone and the check fails', async t => {
	const socket = path.join(await directory(t), 'dhcp.sock');
	const server = net.createServer(connection => connection.end());
	await new Promise<void>(resolve => server.listen(socket, resolve));
	t.teardown(() => server.close());
	const result = await cleanup(socket);
	t.is(result.code, 1);
	t.regex(result.output, /live listener/);
	t.true((await fs.lstat(socket)).isSocket());
	// Still serving.
	await new Promise<void>((resolve, reject) => net.createConnection({path: socket}).once('connect', function (this: net.Socket) {
		this.destroy();
		resolve();
	}).once('error', reject));
});

test('nothing there is fine', async t => {
	const result = await cleanup(path.join(await directory(t), 'dhcp.sock'));
	t.is(result.code, 0);
	t.regex(result.output, /does not exist: nothing to remove/);
});

test('a regular file, a directory and a symlink to a stale socket are never removed', async t => {
	const dir = await directory(t);
	const file = path.join(dir, 'file.sock');
	await fs.writeFile(file, 'not a socket');
	const folder = path.join(dir, 'dir.sock');
	await fs.mkdir(folder);
	const target = path.join(dir, 'stale.sock');
	await staleSocket(target);
	const link = path.join(dir, 'link.sock');
	await fs.symlink(target, link);
	for (const [candidate, kind] of [[file, 'a regular file'], [folder, 'a directory'], [link, 'a symlink']] as const) {
		const result = await cleanup(candidate);
		t.is(result.code, 1, candidate);
		t.regex(result.output, new RegExp(`is ${kind}, not a socket: leaving it`));
		t.truthy(await fs.lstat(candidate));
	}

	t.true((await fs.lstat(target)).isSocket(), 'the symlink target was not touched either');
});
