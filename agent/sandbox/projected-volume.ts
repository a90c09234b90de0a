// Writes a directory the way kubelet's AtomicWriter updates a projected volume (token, ca.crt…).
import fs from 'node:fs/promises';
import path from 'node:path';

// Publishes files into directory: a new ..<timestamp> dir, ..data_tmp symlink renamed over ..data, old dir removed.
export async function writeProjectedVolume(directory: string, files: Readonly<Record<string, string>>): Promise<void> {
	await fs.mkdir(directory, {recursive: true});
	const dataLink = path.join(directory, '..data');
	const previous = await fs.readlink(dataLink).catch(() => undefined);
	const stamp = new Date().toISOString().replaceAll(/[-:T]/g, '_').replace(/\..*$/, '');
	const versioned = await fs.mkdtemp(path.join(directory, `..${stamp}.`));
	for (const [name, content] of Object.entries(files)) {
		await fs.writeFile(path.join(versioned, name), content, {mode: 0o644});
	}

	const temporaryLink = path.join(directory, '..data_tmp');
	await fs.rm(temporaryLink, {force: true});
	await fs.symlink(path.basename(versioned), temporaryLink);
	await fs.rename(temporaryLink, dataLink);
	for (const name of Object.keys(files)) {
		const visible = path.join(directory, name);
		if (await fs.readlink(visible).catch(() => undefined) === undefined) {
			await fs.symlink(path.join('..data', name), visible);
		}
	}

	if (previous !== undefined) {
		await fs.rm(path.join(directory, previous), {recursive: true, force: true});
	}
}
