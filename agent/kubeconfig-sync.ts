// Writes the kubeconfig (0600, in a 0700 directory) whenever the token or CA differs from what is on disk.
import fs from 'node:fs/promises';
import path from 'node:path';
import {AgentError, ExitCode, hostWriteError} from './errors.ts';
import {lstatOrUndefined, writeFileAtomic, type WriteOutcome} from './fs-atomic.ts';
import {readCredentials, renderKubeconfig, serverUrl} from './kubeconfig.ts';
import type {Options} from './options.ts';

// Reads the credentials and writes the kubeconfig if its bytes would change.
export async function syncKubeconfig(options: Options): Promise<WriteOutcome> {
	const text = renderKubeconfig(serverUrl(options.kubernetes), await readCredentials(options));
	const file = options.paths.kubeconfig;
	await ensurePrivateDirectory(path.dirname(file));
	try {
		return await writeFileAtomic(file, text, 0o600);
	} catch (error) {
		throw hostWriteError(file, error);
	}
}

// Creates directory 0700, or tightens an existing one; refuses a symlink planted in its place.
export async function ensurePrivateDirectory(directory: string): Promise<void> {
	const stat = await lstatOrUndefined(directory);
	if (stat?.isSymbolicLink() || (stat && !stat.isDirectory())) {
		const what = stat.isSymbolicLink() ? 'a symlink' : 'not a directory';
		throw new AgentError(ExitCode.hostWrite, `Refusing to write the kubeconfig: ${directory} is ${what}`, {
			path: directory,
			fix: `Remove ${directory}; the agent creates it as a root-only directory and never writes through a link it did not create.`,
		});
	}

	try {
		if (stat) {
			if ((stat.mode & 0o777) !== 0o700) {
				await fs.chmod(directory, 0o700);
			}
		} else {
			await fs.mkdir(directory, {mode: 0o700});
			await fs.chmod(directory, 0o700);
		}
	} catch (error) {
		throw hostWriteError(directory, error);
	}
}
