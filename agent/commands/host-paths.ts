// Converts between host paths (what CRI-O and the multus binary see) and the agent's paths under --host-prefix.
import path from 'node:path';
import type {Options} from '../options.ts';

// The host path of a path under the host prefix, or undefined when it lies outside.
export function toHostPath(options: Options, containerPath: string): string | undefined {
	const relative = path.relative(options.hostPrefix, containerPath);
	return relative.startsWith('..') || path.isAbsolute(relative) ? undefined : path.join('/', relative);
}

// The path under the host prefix of a host path.
export function underHostPrefix(options: Options, hostPath: string): string {
	return path.join(options.hostPrefix, hostPath);
}

// Compares directory paths, ignoring a trailing slash.
export function sameDirectory(a: string, b: string): boolean {
	return path.normalize(`${a}/`) === path.normalize(`${b}/`);
}
