// microshift-cleanup-plugin-multus on a temporary host root after a real agent run: it removes exactly what
// the agent installed, leaves what someone changed since, and a second run is a no-op.
import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import {startAgent} from '../helpers/agent-process.ts';
import {createHostRoot, PLUGINS, snapshot, writePrimary} from '../helpers/host-root.ts';
import {deployDir, run, which} from './helpers.ts';

const PLUGIN = path.join(deployDir, 'cleanup/microshift-cleanup-plugin-multus');
const shell = which('dash') ?? which('sh');

const missing = which('sha256sum') === undefined ? 'sha256sum not found (apt package coreutils)' : (shell === undefined ? 'no POSIX sh' : undefined);
if (missing !== undefined) {
	console.log(`skipping the cleanup plugin tests: ${missing}`);
}

const shTest = missing === undefined ? test : test.skip;

// Runs the plugin with a POSIX shell (dash when there is one: no bash-isms slip through).
async function cleanup(hostRoot: string, ...args: string[]) {
	return run(shell!, [PLUGIN, ...args], {env: {PATH: process.env['PATH'], HOST_ROOT: hostRoot}});
}

shTest('after a real agent run it removes exactly what the agent installed, leaves a changed file, and is idempotent', async t => {
	const node = await createHostRoot();
	t.teardown(async () => node.cleanup());
	const binDir = path.join(node.host, 'run/cni/bin');
	await fs.mkdir(binDir, {recursive: true});
	// Not ours: ovn-kubernetes' plugin and config stay.
	await fs.writeFile(path.join(binDir, 'ovn-k8s-cni-overlay'), '#!/bin/sh\n# ovn\n', {mode: 0o755});
	await writePrimary(node);

	const agent = startAgent([...node.args, `--cni-bin-dir=${binDir}`], node.env);
	t.teardown(async () => agent.stop('SIGKILL'));
	await agent.waitFor('ready');
	t.is(await agent.stop('SIGTERM'), 0);

	// What the multus binary leaves on a node: its cache of delegate results.
	const cache = path.join(node.host, 'var/lib/cni/multus/results');
	await fs.mkdir(cache, {recursive: true});
	await fs.writeFile(path.join(cache, 'multus-cni-network-0123-eth0'), '{}');
	// A temp file of an agent killed mid-write.
	await fs.writeFile(path.join(binDir, '.multus.tmp-4026531836-99999-deadbeef'), 'partial');
	// Someone replaced one plugin after the agent installed it.
	await fs.writeFile(path.join(binDir, 'bridge'), '#!/bin/sh\n# bridge from another package\n', {mode: 0o755});

	const ledger = await fs.readFile(path.join(binDir, '.multus-agent.sha256'), 'utf8');
	const listed = ledger.split('\n').filter(line => !line.startsWith('#') && line !== '').map(line => line.split('  ')[1]!).sort();
	t.deepEqual(listed, ['multus', ...PLUGINS].sort(), 'the ledger lists what the agent installed');

	const before = await snapshot(node.host);
	const ours = (file: string): boolean =>
		file === 'etc/cni/net.d/00-multus.conf'
		|| file.startsWith('etc/cni/net.d/multus.d')
		|| file.startsWith('var/lib/cni/multus')
		|| file === 'run/cni/bin/.multus-agent.sha256'
		|| file === 'run/cni/bin/.multus.tmp-4026531836-99999-deadbeef'
		|| (listed.includes(path.basename(file)) && path.dirname(file) === 'run/cni/bin' && path.basename(file) !== 'bridge');
	const expected = Object.fromEntries(Object.entries(before).filter(([file]) => !ours(file)));
	t.true(Object.keys(before).length - Object.keys(expected).length >= 12, 'the test removes something');
	t.truthy(expected['run/cni/bin/bridge']);
	t.truthy(expected['run/cni/bin/ovn-k8s-cni-overlay']);
	t.truthy(expected['etc/cni/net.d/10-ovn-kubernetes.conf']);

	// --dry-run names what it would remove and removes nothing.
	const dry = await cleanup(node.host, '--dry-run');
	t.is(dry.code, 0, dry.stderr);
	t.deepEqual(await snapshot(node.host), before);
	const wouldRemove = [...dry.stdout.matchAll(/would remove (.+)$/gm)].map(match => path.relative(node.host, match[1]!)).sort();

	const real = await cleanup(node.host, '--all');
	t.is(real.code, 0, real.stderr);
	t.deepEqual(await snapshot(node.host), expected);
	const removed = [...real.stdout.matchAll(/removed (.+)$/gm)].map(match => path.relative(node.host, match[1]!)).sort();
	t.deepEqual(wouldRemove, removed, 'the dry run announced exactly what the real run removed');
	t.true(removed.includes('etc/cni/net.d/multus.d') && removed.includes('var/lib/cni/multus'));
	t.regex(real.stdout, /left .*\/run\/cni\/bin\/bridge: changed since the agent installed it/);

	// Nothing left to do: a second run removes nothing and says so.
	const again = await cleanup(node.host);
	t.is(again.code, 0, again.stderr);
	t.regex(again.stdout, /nothing to remove/);
	t.notRegex(again.stdout, /removed|left/);
	t.deepEqual(await snapshot(node.host), expected);
});

shTest('--cni-bin-dir, --cert, bad ledger lines and symlinks', async t => {
	const node = await createHostRoot();
	t.teardown(async () => node.cleanup());
	const binDir = path.join(node.host, 'opt/cni/bin');
	const hash = (await run(which('sha256sum')!, [], {input: 'x'})).stdout.slice(0, 64);
	await fs.writeFile(path.join(binDir, 'x'), 'x');
	await fs.writeFile(path.join(node.host, 'outside'), 'x');
	await fs.symlink('x', path.join(binDir, 'link'));
	await fs.writeFile(path.join(binDir, '.multus-agent.sha256'), [
		'# header',
		`${hash}  x`,
		`${hash}  ../outside`,
		`${hash}  link`,
		'not-a-hash  y',
		'',
	].join('\n'));

	const cert = await cleanup(node.host, '--cert');
	t.is(cert.code, 0);
	t.truthy(await fs.stat(path.join(binDir, 'x')));

	const result = await cleanup(node.host, '--cni-bin-dir', '/opt/cni/bin');
	t.is(result.code, 0, result.stderr);
	await t.throwsAsync(fs.stat(path.join(binDir, 'x')), {code: 'ENOENT'});
	t.truthy(await fs.stat(path.join(node.host, 'outside')), 'a ledger name never leaves the bin dir');
	t.truthy(await fs.lstat(path.join(binDir, 'link')), 'a symlink is never followed or removed');
	t.regex(result.stdout, /skipped a ledger entry that is not a plain file name: \.\.\/outside/);
	t.regex(result.stdout, /skipped a ledger line that is not '<sha256> {2}<name>': not-a-hash {2}y/);
	t.regex(result.stdout, /left .*\/link: now a symlink/);

	const bad = await cleanup(node.host, '--bogus');
	t.is(bad.code, 2);
	const relative = await run(shell!, [PLUGIN], {env: {PATH: process.env['PATH'], HOST_ROOT: 'relative/root'}});
	t.is(relative.code, 1);
	t.regex(relative.stdout, /HOST_ROOT must be an absolute path/);
});
