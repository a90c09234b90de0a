// Builds lint's view of the CNI bin dir: for each plugin type a config names, its versions or why it is unusable.
import path from 'node:path';
import type {PluginCatalog} from '../../cni/nad-lint.ts';
import {askPluginVersions, type VersionAnswer} from './plugin-version.ts';

// Asks each named binary in binDir for its versions; types without a binary are left out of the map.
export async function readPluginCatalog(binDir: string, types: Iterable<string>): Promise<PluginCatalog> {
	const plugins = new Map<string, VersionAnswer>();
	await Promise.all([...new Set(types)].map(async type => {
		const answer = await askPluginVersions(path.join(binDir, type));
		if (answer !== undefined) {
			plugins.set(type, answer);
		}
	}));
	return {dir: binDir, plugins};
}
