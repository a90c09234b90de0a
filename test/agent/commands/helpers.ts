// Helpers for the subcommand tests: run the CLI as a process, fake CNI plugins that answer VERSION, a fake sysfs.
import {spawn} from 'node:child_process';
import {existsSync} from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';

const MAIN = path.resolve(import.meta.dirname, '../../../agent/main.ts');

// Every version containernetworking/plugins v1.x reports.
export const ALL_VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'];

// Where image/build-binaries.sh leaves the real multus and plugins (absent until it has run).
export const REAL_BIN_DIR = path.resolve(import.meta.dirname, '../../../.cache/bin/current');

// Why the real binaries cannot be used, or undefined when they can.
export function realBinariesMissing(): string | undefined {
	return existsSync(path.join(REAL_BIN_DIR, 'bridge')) ? undefined : `no real CNI plugins in ${REAL_BIN_DIR}: run image/build-binaries.sh`;
}

// What a CLI run printed and returned.
export interface CliResult {
	readonly code: number;
	readonly stdout: string;
	readonly stderr: string;
}

// Runs bin/multus-agent's entry point with args, an environment (PATH added) and optional stdin.
export async function runCli(args: readonly string[], options: {env?: NodeJS.ProcessEnv; stdin?: string} = {}): Promise<CliResult> {
	const child = spawn(process.execPath, [MAIN, ...args], {env: {PATH: process.env['PATH'], ...options.env}, stdio: ['pipe', 'pipe', 'pipe']});
	let stdout = '';
	let stderr = '';
	child.stdout.on('data', (chunk: Buffer) => {
		stdout += chunk.toString();
	});
	child.stderr.on('data', (chunk: Buffer) => {
		stderr += chunk.toString();
	});
	child.stdin.end(options.stdin ?? '');
	const code = await new Promise<number>(resolve => {
		child.on('close', exitCode => {
			resolve(exitCode ?? 1);
		});
	});
	return {code, stdout, stderr};
}

// A fake plugin: answers CNI_COMMAND=VERSION with versions, says nothing ('silent'), or is not executable ('no-exec').
export async function writeFakePlugin(directory: string, name: string, behaviour: readonly string[] | 'silent' | 'no-exec' = ALL_VERSIONS): Promise<string> {
	await fs.mkdir(directory, {recursive: true});
	const file = path.join(directory, name);
	const answer = Array.isArray(behaviour) ? JSON.stringify({cniVersion: '1.1.0', supportedVersions: behaviour}) : '';
	const body = behaviour === 'silent' ? 'exit 0' : `[ "$CNI_COMMAND" = VERSION ] && { cat >/dev/null; echo '${answer}'; exit 0; }\necho '{"code":4,"msg":"only VERSION in tests"}'; exit 1`;
	await fs.writeFile(file, `#!/bin/sh\n# fake ${name}\n${body}\n`, {mode: behaviour === 'no-exec' ? 0o644 : 0o755});
	await fs.chmod(file, behaviour === 'no-exec' ? 0o644 : 0o755);
	return file;
}

// Creates <hostRoot>/sys/class/net/<name>/{mtu,bridge/,wireless/} for each interface.
export async function writeFakeSysfs(hostRoot: string, interfaces: Record<string, {mtu?: number; bridge?: boolean; wireless?: boolean}>): Promise<void> {
	for (const [name, facts] of Object.entries(interfaces)) {
		const directory = path.join(hostRoot, 'sys/class/net', name);
		await fs.mkdir(directory, {recursive: true});
		await fs.writeFile(path.join(directory, 'mtu'), `${facts.mtu ?? 1500}\n`);
		if (facts.bridge) {
			await fs.mkdir(path.join(directory, 'bridge'));
		}

		if (facts.wireless) {
			await fs.mkdir(path.join(directory, 'wireless'));
		}
	}
}

// Writes a file, creating its directory.
export async function writeFile(file: string, text: string, mode = 0o644): Promise<string> {
	await fs.mkdir(path.dirname(file), {recursive: true});
	await fs.writeFile(file, text, {mode});
	await fs.chmod(file, mode);
	return file;
}

// Replaces the temp root in output so tests can compare whole messages.
export function redactRoot(text: string, root: string): string {
	return text.replaceAll(root, '<root>');
}
