import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import * as tar from 'tar';
import {AgentError} from '../../agent/errors.ts';
import {parseArgs} from '../../agent/flags.ts';
import {checkSources, installBinaries, planBinaries} from '../../agent/install.ts';
import {parseLedger} from '../../agent/ledger.ts';
import {resolveOptions} from '../../agent/options.ts';
import {createHostRoot, PLUGINS} from '../helpers/host-root.ts';

async function setup(t: import('ava').ExecutionContext, extra: string[] = []) {
	const node = await createHostRoot();
	t.teardown(async () => node.cleanup());
	const options = resolveOptions(parseArgs([...node.args, ...extra]), node.env);
	const plan = await planBinaries(options);
	t.teardown(async () => plan.dispose());
	return {node, options, plan};
}

test('installs multus and the plugins 0755 and records each in the ledger', async t => {
	const {node, options, plan} = await setup(t);
	const installed = await installBinaries(plan, options.cniBinDir, options.paths.ledger);
	t.deepEqual(installed.map(binary => binary.outcome), Array.from({length: 7}, () => 'written'));
	for (const name of ['multus', ...PLUGINS]) {
		t.is((await fs.stat(path.join(node.binDir, name))).mode & 0o777, 0o755, name);
	}

	const ledger = parseLedger(await fs.readFile(options.paths.ledger, 'utf8'));
	t.deepEqual([...ledger.keys()].sort(), ['multus', ...PLUGINS].sort());
	t.is(ledger.get('bridge'), installed.find(binary => binary.name === 'bridge')!.sha256);
});

test('a second install changes nothing (no mtime moves)', async t => {
	const {node, options, plan} = await setup(t);
	await installBinaries(plan, options.cniBinDir, options.paths.ledger);
	const mtimes = await Promise.all((await fs.readdir(node.binDir)).map(async name => (await fs.stat(path.join(node.binDir, name))).mtimeMs));
	const again = await installBinaries(plan, options.cniBinDir, options.paths.ledger);
	t.true(again.every(binary => binary.outcome === 'unchanged'));
	t.deepEqual(await Promise.all((await fs.readdir(node.binDir)).map(async name => (await fs.stat(path.join(node.binDir, name))).mtimeMs)), mtimes);
});

test('a changed binary on the host is put back; the fingerprint shortcut does not hide it', async t => {
	const {node, options, plan} = await setup(t);
	const first = await installBinaries(plan, options.cniBinDir, options.paths.ledger);
	await fs.writeFile(path.join(node.binDir, 'bridge'), 'tampered');
	const second = await installBinaries(plan, options.cniBinDir, options.paths.ledger, first);
	t.is(second.find(binary => binary.name === 'bridge')!.outcome, 'written');
	t.regex(await fs.readFile(path.join(node.binDir, 'bridge'), 'utf8'), /bridge v1/);
});

test('the ledger keeps earlier entries only while their file is unchanged', async t => {
	const {node, options, plan} = await setup(t);
	await installBinaries(plan, options.cniBinDir, options.paths.ledger);
	await fs.writeFile(path.join(node.binDir, 'dhcp'), 'someone else');
	const fewer = await planBinaries(resolveOptions(parseArgs([...node.args, '--cni-plugins=bridge,static']), node.env));
	await installBinaries(fewer, options.cniBinDir, options.paths.ledger);
	const ledger = parseLedger(await fs.readFile(options.paths.ledger, 'utf8'));
	t.true(ledger.has('macvlan'));
	t.false(ledger.has('dhcp'));
});

test('--skip-multus-binary-copy installs only the plugins', async t => {
	const {plan} = await setup(t, ['--skip-multus-binary-copy']);
	t.false(plan.binaries.some(binary => binary.name === 'multus'));
});

test('plugins come from a release .tgz with --cni-plugins-archive', async t => {
	const {node} = await setup(t);
	const archive = path.join(node.root, 'cni-plugins-linux-amd64-v1.10.0.tgz');
	await tar.c({gzip: true, file: archive, cwd: node.sources}, PLUGINS.map(name => `./${name}`));
	const options = resolveOptions(parseArgs([...node.args, `--cni-plugins-source-dir=/nonexistent`, `--cni-plugins-archive=${archive}`]), node.env);
	const plan = await planBinaries(options);
	t.teardown(async () => plan.dispose());
	await checkSources(plan);
	await installBinaries(plan, options.cniBinDir, options.paths.ledger);
	t.regex(await fs.readFile(path.join(node.binDir, 'macvlan'), 'utf8'), /macvlan v1/);
});

test('a missing source binary names the file and the flag', async t => {
	const {node, plan} = await setup(t);
	await fs.rm(path.join(node.sources, 'ipvlan'));
	const error = await t.throwsAsync(checkSources(plan), {instanceOf: AgentError});
	t.regex(error.message, /The ipvlan binary to install is missing: .*src\/plugins\/bin\/ipvlan.*--cni-plugins-source-dir/);
});

test('a broken archive is a clear error', async t => {
	const {node} = await setup(t);
	const archive = path.join(node.root, 'broken.tgz');
	await fs.writeFile(archive, 'not a tarball');
	const options = resolveOptions(parseArgs([...node.args, `--cni-plugins-archive=${archive}`]), node.env);
	const error = await t.throwsAsync(planBinaries(options), {instanceOf: AgentError});
	t.regex(error.message, /Cannot extract the CNI plugins archive: .*broken\.tgz/);
});
