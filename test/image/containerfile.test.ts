// The Containerfile, read as instructions (there is no container engine here to build it): its stages use
// the tested scripts, its COPY sources exist, and the image's ENTRYPOINT is the DaemonSet's command.
import {existsSync} from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import {containerOf, loadDaemonSet} from './container.ts';

const repo = path.resolve(import.meta.dirname, '../..');

type Instruction = {keyword: string; rest: string; stage: number};

// Instructions with continuation lines joined and comments dropped; stage counts FROM lines (-1 before any).
async function instructions(): Promise<Instruction[]> {
	const text = (await fs.readFile(path.join(repo, 'Containerfile'), 'utf8')).replaceAll(/\\\n\s*/g, ' ');
	let stage = -1;
	return text.split('\n').filter(line => line.trim() !== '' && !line.trimStart().startsWith('#')).map(line => {
		const [keyword = '', ...rest] = line.trim().split(/\s+/);
		if (keyword.toUpperCase() === 'FROM') {
			stage++;
		}

		return {keyword: keyword.toUpperCase(), rest: rest.join(' '), stage};
	});
}

test('four stages: Go binaries, bundle, rootfs, and a scratch image', async t => {
	const all = await instructions();
	const froms = all.filter(instruction => instruction.keyword === 'FROM').map(instruction => instruction.rest);
	t.deepEqual(froms, ['${GO_IMAGE} AS binaries', '${NODE_IMAGE} AS bundle', 'bundle AS rootfs', 'scratch']);
	const args = new Map(all.filter(instruction => instruction.keyword === 'ARG').map(instruction => instruction.rest.split('=') as [string, string]));
	const goTag = /golang:(\d+)\.(\d+)\.(\d+)/.exec(args.get('GO_IMAGE') ?? '');
	t.truthy(goTag, 'GO_IMAGE pins a golang x.y.z tag');
	const [major, minor, patch] = goTag!.slice(1).map(Number) as [number, number, number];
	t.true(major > 1 || minor > 26 || (minor === 26 && patch >= 8), 'the plugins module needs Go 1.26.8 or newer');
	t.regex(args.get('NODE_IMAGE') ?? '', /node:24[-.]/);
	const version = (JSON.parse(await fs.readFile(path.join(repo, 'package.json'), 'utf8')) as {version: string}).version;
	t.is(args.get('VERSION'), version);

	const runs = all.filter(instruction => instruction.keyword === 'RUN');
	t.true(runs.some(instruction => instruction.stage === 0 && /^OUT_DIR=\S+ image\/build-binaries\.sh$/.test(instruction.rest)));
	t.true(runs.some(instruction => instruction.stage === 1 && instruction.rest.includes('npm ci') && instruction.rest.includes('npm run build')));
	t.true(runs.some(instruction => instruction.stage === 2 && instruction.rest.includes('image/rootfs/assemble.sh /rootfs')));
	t.false(all.some(instruction => instruction.stage === 3 && instruction.keyword === 'RUN'), 'scratch has no shell to RUN with');
	t.deepEqual(all.filter(instruction => instruction.stage === 3 && instruction.keyword === 'COPY').map(instruction => instruction.rest), ['--from=rootfs /rootfs/ /']);
});

test('every COPY source from the build context exists', async t => {
	const copies = (await instructions()).filter(instruction => instruction.keyword === 'COPY' && !instruction.rest.startsWith('--from'));
	t.true(copies.length >= 5);
	for (const copy of copies) {
		const sources = copy.rest.split(' ').slice(0, -1);
		for (const source of sources) {
			t.true(existsSync(path.join(repo, source)), `${source} is not in the repository`);
		}
	}
});

test('the ENTRYPOINT is the multus DaemonSet\'s command, and the labels are set', async t => {
	const all = await instructions();
	const entrypoint = all.find(instruction => instruction.keyword === 'ENTRYPOINT' && instruction.stage === 3);
	const container = containerOf(loadDaemonSet(path.join(repo, 'deploy/base/06-daemonset.yaml'), 'multus'), 'kube-multus');
	t.deepEqual(JSON.parse(entrypoint?.rest ?? 'null'), container.command);
	const labels = all.filter(instruction => instruction.keyword === 'LABEL' && instruction.stage === 3).map(instruction => instruction.rest).join(' ');
	for (const label of ['title', 'description', 'version', 'licenses', 'source']) {
		t.regex(labels, new RegExp(`org\\.opencontainers\\.image\\.${label}=`), label);
	}
});

test('the bundle stage copies every file the agent\'s sources import', async t => {
	const copied = (await instructions())
		.filter(instruction => instruction.keyword === 'COPY' && instruction.stage === 1)
		.flatMap(instruction => instruction.rest.split(' ').slice(0, -1))
		.map(source => path.join(repo, source));
	const inside = (file: string): boolean => copied.some(source => source.endsWith('/') ? file.startsWith(source) : file === source);
	let imports = 0;
	for (const directory of ['agent', 'cni']) {
		for (const entry of await fs.readdir(path.join(repo, directory), {recursive: true, withFileTypes: true})) {
			if (!entry.isFile() || !entry.name.endsWith('.ts')) {
				continue;
			}

			const file = path.join(entry.parentPath, entry.name);
			t.true(inside(file), `${path.relative(repo, file)} is not copied`);
			for (const match of (await fs.readFile(file, 'utf8')).matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)) {
				imports++;
				const target = path.resolve(path.dirname(file), match[1]!);
				t.true(inside(target), `${path.relative(repo, file)} imports ${path.relative(repo, target)}, which the bundle stage does not copy`);
			}
		}
	}

	t.true(imports > 20, 'found the relative imports');
});
