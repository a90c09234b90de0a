// multus-agent uninstall after a real agent run: exactly what the agent installed goes, and the shell cleanup plugin agrees.
import {spawnSync} from 'node:child_process';
import {existsSync} from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import {startAgent} from '../../helpers/agent-process.ts';
import {snapshot} from '../../helpers/host-root.ts';
import {runCli, writeFile} from './helpers.ts';
import {createTestNode, installWithAgent, type TestNode} from './node-fixture.ts';

const CLEANUP_PLUGIN = path.resolve(import.meta.dirname, '../../../deploy/cleanup/microshift-cleanup-plugin-multus');

// What the multus binary and a killed agent leave besides the agent's own files.
async function addLeftovers(node: TestNode): Promise<void> {
	await writeFile(path.join(node.host, 'var/lib/cni/multus/results/multus-cni-network-0123-eth0'), '{}');
	await writeFile(path.join(node.binDir, '.multus.tmp-4026531836-99999-deadbeef'), 'partial');
}

// Every path under the host root, relative, without the bytes.
async function tree(node: TestNode): Promise<string[]> {
	return Object.keys(await snapshot(node.host)).sort();
}

test('after a real agent run: removes config, multus.d, ledger-verified binaries, the ledger, temps and the cache; nothing else', async t => {
	const node = await createTestNode(t);
	await installWithAgent(node);
	await addLeftovers(node);
	await fs.writeFile(path.join(node.binDir, 'bridge'), '#!/bin/sh\n# bridge from another package\n', {mode: 0o755});
	const dryRun = await runCli(['uninstall', ...node.flags, '--dry-run'], {env: node.env});
	t.is(dryRun.code, 0);
	const before = await tree(node);
	t.deepEqual(await tree(node), before, '--dry-run removes nothing');
	const lines = dryRun.stdout.replaceAll(node.root, '<root>').split('\n').map(line => line.replaceAll(/ {2,}/g, '  '));
	t.deepEqual(lines, [
		'multus-agent uninstall --dry-run: nothing is removed',
		'would remove <root>/host/etc/cni/net.d/00-multus.conf  the Multus config',
		'would remove <root>/host/etc/cni/net.d/multus.d  the kubeconfig, status and ownership claim of the agent',
		'kept  <root>/host/opt/cni/bin/bridge  changed since the agent installed it (sha256 differs from the ledger)',
		...['dhcp', 'host-local', 'ipvlan', 'macvlan', 'multus', 'static'].map(name => `would remove <root>/host/opt/cni/bin/${name}  installed by the agent (sha256 matches the ledger)`),
		'would remove <root>/host/opt/cni/bin/.multus-agent.sha256  the ledger of installed binaries',
		'would remove <root>/host/opt/cni/bin/.multus.tmp-4026531836-99999-deadbeef  a temp file of an agent killed mid-write',
		'would remove <root>/host/var/lib/cni/multus  the multus binary\'s cache of delegate results',
		'',
	]);
	const result = await runCli(['uninstall', ...node.flags], {env: node.env});
	t.is(result.code, 0, result.stderr);
	t.deepEqual(await tree(node), ['etc', 'etc/cni', 'etc/cni/net.d', 'etc/cni/net.d/10-ovn-kubernetes.conf', 'etc/crio', 'etc/crio/crio.conf.d', 'etc/crio/crio.conf.d/11-microshift-ovn.conf', 'etc/crio/crio.conf.d/12-microshift-multus.conf', 'opt', 'opt/cni', 'opt/cni/bin', 'opt/cni/bin/bridge', 'opt/cni/bin/ovn-k8s-cni-overlay', 'var', 'var/lib', 'var/lib/cni']);
	const again = await runCli(['uninstall', ...node.flags], {env: node.env});
	t.is(again.stdout, 'multus-agent uninstall\nnothing of the agent\'s is left on this node\n');
});

test('a 00-multus.conf that is not a Multus config stays', async t => {
	const node = await createTestNode(t);
	await writeFile(path.join(node.confDir, '00-multus.conf'), JSON.stringify({cniVersion: '0.4.0', name: 'x', type: 'bridge'}));
	const result = await runCli(['uninstall', ...node.flags, '--output=json'], {env: node.env});
	t.deepEqual((JSON.parse(result.stdout.replaceAll(node.root, '<root>')) as {actions: unknown[]}).actions, [{path: '<root>/host/etc/cni/net.d/00-multus.conf', action: 'keep', reason: 'not a Multus config (its plugin type is not "multus")'}]);
	t.true(existsSync(path.join(node.confDir, '00-multus.conf')));
});

test('a custom kubeconfig directory that is not multus.d loses only the agent\'s files', async t => {
	const node = await createTestNode(t);
	const flags = ['--multus-kubeconfig-file-host=/etc/cni/net.d/multus.kubeconfig'];
	await installWithAgent(node, flags);
	await runCli(['uninstall', ...node.flags, ...flags], {env: node.env});
	t.deepEqual((await fs.readdir(node.confDir)).sort(), ['10-ovn-kubernetes.conf']);
	t.true(existsSync(node.confDir), 'the conf dir itself stays');
});

const sh = ['/bin/dash', '/bin/sh', '/usr/bin/sh'].find(file => existsSync(file));
const skipWhy = !existsSync(CLEANUP_PLUGIN) ? `${CLEANUP_PLUGIN} does not exist yet` : (sh === undefined ? 'no POSIX sh' : (spawnSync('sha256sum', ['--version']).status === 0 ? undefined : 'sha256sum not found'));
if (skipWhy !== undefined) {
	console.log(`skipping the uninstall/cleanup-plugin cross-check: ${skipWhy}`);
}

(skipWhy === undefined ? test : test.skip)('uninstall and microshift-cleanup-plugin-multus leave the same tree', async t => {
	const node = await createTestNode(t);
	const binDir = path.join(node.host, 'run/cni/bin');
	const flags = [`--cni-bin-dir=${binDir}`];
	await fs.mkdir(binDir, {recursive: true});
	await installWithAgent(node, flags);
	await addLeftovers(node);
	await fs.rename(path.join(node.binDir, '.multus.tmp-4026531836-99999-deadbeef'), path.join(binDir, '.multus.tmp-4026531836-99999-deadbeef'));
	await fs.writeFile(path.join(binDir, 'macvlan'), '#!/bin/sh\n# changed\n', {mode: 0o755});
	const copy = `${node.root}-copy`;
	t.teardown(async () => fs.rm(copy, {recursive: true, force: true}));
	await fs.cp(node.root, copy, {recursive: true, verbatimSymlinks: true});
	const uninstall = await runCli(['uninstall', ...node.flags, ...flags], {env: node.env});
	t.is(uninstall.code, 0, uninstall.stderr);
	const plugin = spawnSync(sh!, [CLEANUP_PLUGIN, '--cni-bin-dir=/run/cni/bin'], {env: {PATH: process.env['PATH'], HOST_ROOT: path.join(copy, 'host')}, encoding: 'utf8'});
	t.is(plugin.status, 0, plugin.stderr);
	t.deepEqual(await snapshot(path.join(copy, 'host')), await snapshot(node.host));
	t.true(existsSync(path.join(binDir, 'macvlan')), 'the changed plugin stays');
});

test('with the agent still running it warns that the agent writes everything again', async t => {
	const node = await createTestNode(t);
	const agent = startAgent(node.flags, node.env);
	t.teardown(async () => agent.stop('SIGKILL'));
	await agent.waitFor('ready');
	const result = await runCli(['uninstall', ...node.flags, '--dry-run'], {env: node.env});
	t.is(result.stdout.split('\n')[1], `warning: the status file says the agent (pid ${agent.child.pid}) is ready and it may still run: it writes everything again unless the DaemonSet is deleted first`);
});
