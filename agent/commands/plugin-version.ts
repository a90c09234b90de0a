// Asks a CNI plugin binary which spec versions it supports (CNI_COMMAND=VERSION), as libcni's GetVersionInfo does.
import {spawn} from 'node:child_process';
import {constants} from 'node:fs';
import fs from 'node:fs/promises';
import {errnoCode} from '../errors.ts';

// What a binary said: its supported versions, or why it is not usable.
export type VersionAnswer = {readonly versions: readonly string[]} | {readonly problem: string};

const TIMEOUT_MS = 5000;

// Checks that file is an executable regular file and asks it for its supported versions.
export async function askPluginVersions(file: string, cniVersion = '0.4.0'): Promise<VersionAnswer | undefined> {
	let stat;
	try {
		stat = await fs.stat(file);
	} catch (error) {
		return errnoCode(error) === 'ENOENT' ? undefined : {problem: `it cannot be read (${errnoCode(error) ?? String(error)})`};
	}

	if (!stat.isFile()) {
		return {problem: 'it is not a regular file'};
	}

	try {
		await fs.access(file, constants.X_OK);
	} catch {
		return {problem: `it is not executable (mode ${(stat.mode & 0o7777).toString(8).padStart(4, '0')})`};
	}

	return runVersion(file, cniVersion);
}

async function runVersion(file: string, cniVersion: string): Promise<VersionAnswer> {
	return new Promise(resolve => {
		const child = spawn(file, [], {env: {CNI_COMMAND: 'VERSION', PATH: process.env['PATH'] ?? '/usr/bin:/bin'}, stdio: ['pipe', 'pipe', 'pipe']});
		let stdout = '';
		let stderr = '';
		const timer = setTimeout(() => {
			child.kill('SIGKILL');
		}, TIMEOUT_MS);
		child.stdout.on('data', (chunk: Buffer) => {
			stdout += chunk.toString();
		});
		child.stderr.on('data', (chunk: Buffer) => {
			stderr += chunk.toString();
		});
		child.stdin.on('error', () => undefined);
		child.on('error', error => {
			clearTimeout(timer);
			resolve({problem: `it cannot be run (${errnoCode(error) ?? error.message}; a binary for another CPU architecture, or a noexec mount?)`});
		});
		child.on('close', (code, signal) => {
			clearTimeout(timer);
			resolve(interpret(stdout, stderr, code, signal));
		});
		child.stdin.end(JSON.stringify({cniVersion}));
	});
}

function interpret(stdout: string, stderr: string, code: number | null, signal: NodeJS.Signals | null): VersionAnswer {
	if (signal === 'SIGKILL') {
		return {problem: `it did not answer CNI_COMMAND=VERSION within ${TIMEOUT_MS / 1000}s`};
	}

	try {
		const answer = JSON.parse(stdout) as {supportedVersions?: unknown; msg?: unknown};
		if (Array.isArray(answer.supportedVersions) && answer.supportedVersions.every(version => typeof version === 'string')) {
			return {versions: answer.supportedVersions as string[]};
		}

		if (typeof answer.msg === 'string') {
			return {problem: `it answered CNI_COMMAND=VERSION with an error: ${answer.msg}`};
		}
	} catch {
		// Not JSON: reported below.
	}

	const said = (stdout.trim() || stderr.trim()).split('\n')[0]?.slice(0, 120) ?? '';
	return {problem: `it does not answer CNI_COMMAND=VERSION with a version list (exit ${code ?? signal}${said ? `, said "${said}"` : ', said nothing'}); is it a CNI plugin?`};
}
