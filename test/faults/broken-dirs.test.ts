// Read-only mounts (in a private mount namespace), missing directories and directories replaced by files:
// a clear error naming the path, the previous files intact, no busy loop, and recovery once the directory is back.
import fs from 'node:fs/promises';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {OVN_PRIMARY, snapshot} from '../helpers/host-root.ts';
import type {FaultAgent} from './helpers/agent.ts';
import {privateMountNamespace, whyNotRoot} from './helpers/mount-namespace.ts';
import {BINARIES, faultNode, leakedTemps, sha256Of, type FaultNode} from './helpers/node.ts';

const notRoot = whyNotRoot(['unshare', 'nsenter', 'mount']);
if (notRoot !== undefined) {
	console.log(`skipping read-only fault tests: ${notRoot}`);
}

const rootTest = notRoot === undefined ? test : test.skip;
const smallBinaries = {multusMb: 1, pluginMb: 1};

// The primary lives in its own autoconfig dir (as on OpenShift), so its owner can change it while the conf dir is read-only.
async function node(t: ExecutionContext): Promise<{node: FaultNode; primaryDir: string; args: string[]; writePrimary(config: object): Promise<void>}> {
	const created = await faultNode(t, smallBinaries);
	const primaryDir = path.join(created.host, 'run/multus/cni/net.d');
	await fs.mkdir(primaryDir, {recursive: true});
	const writePrimary = async (config: object): Promise<void> => {
		const file = path.join(primaryDir, '10-ovn-kubernetes.conf');
		await fs.writeFile(`${file}.partial`, JSON.stringify(config));
		await fs.rename(`${file}.partial`, file);
	};

	await writePrimary(OVN_PRIMARY);
	return {node: created, primaryDir, args: [`--multus-autoconfig-dir=${primaryDir}`], writePrimary};
}

// Deletes a directory the agent may be writing into: moved away in one step, then removed (rm -rf alone races it).
async function removeDirectory(directory: string): Promise<void> {
	const gone = `${directory}.removed-${process.hrtime.bigint()}`;
	await fs.rename(directory, gone);
	await fs.rm(gone, {recursive: true, force: true});
}

const fatalOf = (agent: FaultAgent): {path?: unknown; msg?: unknown} => agent.lines.find(line => line.event === 'fatal') ?? {};

// Waits for `ms` and tells how many sync-failed lines and how much CPU the agent spent meanwhile.
async function idleCost(agent: FaultAgent, ms: number): Promise<{failures: number; cpuMs: number}> {
	const failuresBefore = agent.lines.filter(line => line.event === 'sync-failed').length;
	const cpuBefore = agent.cpuMs();
	await new Promise(resolve => {
		setTimeout(resolve, ms);
	});
	return {failures: agent.lines.filter(line => line.event === 'sync-failed').length - failuresBefore, cpuMs: agent.cpuMs() - cpuBefore};
}

const readOnlyAtStart = test.macro(async (t, which: 'conf dir' | 'bin dir' | 'multus.d', code: number, message: RegExp) => {
	const {node: host, args} = await node(t);
	const first = host.start(args);
	await first.waitFor('ready');
	t.is(await first.stop(), 0);
	const directory = {'conf dir': host.confDir, 'bin dir': host.binDir, 'multus.d': path.dirname(host.kubeconfig)}[which];
	const ns = await privateMountNamespace(t);
	await ns.sh('mount --bind "$1" "$1" && mount -o remount,bind,ro "$1"', directory);
	await host.rotateToken();
	const before = await snapshot(host.host);
	const agent = host.start(args, {prefix: ns.enter});
	t.is(await agent.exited, code, agent.describe());
	const fatal = fatalOf(agent);
	t.true(String(fatal.path).startsWith(directory), `names ${String(fatal.path)}`);
	t.regex(String(fatal.msg), message);
	t.deepEqual(await snapshot(host.host), before, 'nothing on the host changed');
	await host.assertNoSecrets(t);
});

rootTest('a read-only conf dir at start: exit 3, nothing touched', readOnlyAtStart, 'conf dir', 3, /--cni-conf-dir is not writable.*EROFS/);
rootTest('a read-only bin dir at start: exit 3, nothing touched', readOnlyAtStart, 'bin dir', 3, /--cni-bin-dir is not writable.*EROFS/);
rootTest('a read-only multus.d at start: exit 4, nothing touched', readOnlyAtStart, 'multus.d', 4, /Cannot write .*multus\.d\/.*EROFS.*Fix: Mount the host directory read-write/);

rootTest('a conf dir remounted read-only while idle: sync-failed naming each file, old files kept, recovery after rw', async t => {
	const {node: host, args, writePrimary} = await node(t);
	const ns = await privateMountNamespace(t);
	await ns.sh('mount --bind "$1" "$1"', host.confDir);
	const agent = host.start(args, {prefix: ns.enter});
	await agent.waitFor('ready');
	const configFile = path.join(host.confDir, '00-multus.conf');
	const before = {config: await fs.readFile(ns.inside(configFile), 'utf8'), kubeconfig: await fs.readFile(ns.inside(host.kubeconfig), 'utf8')};
	await ns.sh('mount -o remount,bind,ro "$1"', host.confDir);
	await writePrimary({...OVN_PRIMARY, mtu: 1300});
	const configFailed = await agent.waitFor(line => line.event === 'sync-failed' && line['task'] === 'config');
	t.is(configFailed['path'], configFile);
	t.regex(String(configFailed.msg), /EROFS.*Fix: Mount the host directory read-write/);
	const token = await host.rotateToken();
	const kubeconfigFailed = await agent.waitFor(line => line.event === 'sync-failed' && line['task'] === 'kubeconfig');
	t.is(kubeconfigFailed['path'], host.kubeconfig);
	const cost = await idleCost(agent, 1500);
	t.true(cost.failures < 10, `retries back off (${cost.failures} failures in 1.5 s)`);
	t.true(cost.cpuMs < 500, `no busy loop (${cost.cpuMs} ms CPU in 1.5 s)`);
	t.is(await fs.readFile(ns.inside(configFile), 'utf8'), before.config);
	t.is(await fs.readFile(ns.inside(host.kubeconfig), 'utf8'), before.kubeconfig);

	await ns.sh('mount -o remount,bind,rw "$1"', host.confDir);
	const recovered = new Set<string>();
	await agent.waitFor(line => recovered.add(String(line.event)).has('kubeconfig-written') && recovered.has('config-written'), 8000);
	t.is(await fs.readFile(ns.inside(host.kubeconfig), 'utf8'), host.kubeconfigFor(token));
	t.is(await fs.readFile(ns.inside(configFile), 'utf8'), host.configFor(JSON.stringify({...OVN_PRIMARY, mtu: 1300})).text);
	t.deepEqual(await leakedTemps(ns.inside(host.confDir), ns.inside(path.dirname(host.kubeconfig))), []);
	t.is(await agent.stop(), 0);
	await host.assertNoSecrets(t);
});

test('a missing bin dir at start: exit 3 naming it, nothing touched', async t => {
	const {node: host, args} = await node(t);
	await fs.rm(host.binDir, {recursive: true});
	const before = await snapshot(host.host);
	const agent = host.start(args);
	t.is(await agent.exited, 3);
	t.is(fatalOf(agent).path, host.binDir);
	t.regex(String(fatalOf(agent).msg), /The directory for --cni-bin-dir does not exist.*Fix: /);
	t.deepEqual(await snapshot(host.host), before);
});

test('a conf dir replaced by a file at start: exit 3; multus.d replaced by a file: exit 4', async t => {
	const {node: host, args} = await node(t);
	await fs.rm(host.confDir, {recursive: true});
	await fs.writeFile(host.confDir, 'not a directory');
	let agent = host.start(args);
	t.is(await agent.exited, 3);
	t.regex(String(fatalOf(agent).msg), /The path for --cni-conf-dir is not a directory/);
	await fs.rm(host.confDir);
	await fs.mkdir(host.confDir);
	await fs.writeFile(path.dirname(host.kubeconfig), 'not a directory');
	agent = host.start(args);
	t.is(await agent.exited, 4);
	t.is(fatalOf(agent).path, path.dirname(host.kubeconfig));
	t.regex(String(fatalOf(agent).msg), /multus\.d is not a directory/);
	t.is(await fs.readFile(path.dirname(host.kubeconfig), 'utf8'), 'not a directory');
});

test('the conf dir deleted while idle (rm -rf /etc/cni/net.d): recreated contents, and it is watched again', async t => {
	const {node: host, args, writePrimary} = await node(t);
	const agent = host.start(args);
	await agent.waitFor('ready');
	await removeDirectory(host.confDir);
	await agent.waitFor('sync-failed');
	const cost = await idleCost(agent, 1000);
	t.true(cost.failures < 10, `retries back off (${cost.failures} failures in 1 s)`);
	await fs.mkdir(host.confDir);
	const recovered = new Set<string>();
	await agent.waitFor(line => recovered.add(String(line.event)).has('kubeconfig-written') && recovered.has('config-written'), 8000);
	t.is(await fs.readFile(host.kubeconfig, 'utf8'), host.kubeconfigFor(host.token));
	t.is(((await fs.stat(path.dirname(host.kubeconfig))).mode & 0o777), 0o700);
	// Events in the recreated directory still arrive: a deleted config is restored at once, not at the next re-check.
	const started = Date.now();
	await fs.rm(path.join(host.confDir, '00-multus.conf'));
	await agent.waitFor('config-written', 3000);
	t.true(Date.now() - started < 2000, `restored in ${Date.now() - started} ms`);
	await writePrimary({...OVN_PRIMARY, mtu: 1250});
	await agent.waitFor('config-written', 3000);
	t.is(await agent.stop(), 0);
	await host.assertNoSecrets(t);
});

test('the bin dir deleted and recreated empty while idle (a package upgrade): every binary reinstalled', async t => {
	const {node: host, args} = await node(t);
	const agent = host.start(args);
	await agent.waitFor('ready');
	await removeDirectory(host.binDir);
	await fs.mkdir(host.binDir);
	await agent.waitFor(line => line.event === 'binaries-installed' && line['written'] === BINARIES.length, 8000);
	for (const name of BINARIES) {
		t.is(await sha256Of(path.join(host.binDir, name)), host.builds.sha256[name]!.a);
	}

	// Still watched: a binary removed now comes back at once.
	await fs.rm(path.join(host.binDir, 'dhcp'));
	await agent.waitFor(line => line.event === 'binary-installed' && line['path'] === path.join(host.binDir, 'dhcp'), 3000);
	t.is(await agent.stop(), 0);
});

test('the bin dir replaced by a file while idle: sync-failed naming a binary, then recovery', async t => {
	const {node: host, args} = await node(t);
	const agent = host.start(args);
	await agent.waitFor('ready');
	await removeDirectory(host.binDir);
	await fs.writeFile(host.binDir, 'not a directory');
	// (A retry that ran between the two steps above says ENOENT; once the file is there, ENOTDIR.)
	const failed = await agent.waitFor(line => line.event === 'sync-failed' && line['task'] === 'binaries' && /ENOTDIR/.test(String(line.msg)), 8000);
	t.true(String(failed['path']).startsWith(host.binDir), String(failed['path']));
	t.regex(String(failed.msg), /Cannot write .*; the previous file is intact \(ENOTDIR.*Fix: /);
	const cost = await idleCost(agent, 1000);
	t.true(cost.failures < 10, `retries back off (${cost.failures} failures in 1 s)`);
	await fs.rm(host.binDir);
	await fs.mkdir(host.binDir);
	await agent.waitFor(line => line.event === 'binaries-installed' && line['written'] === BINARIES.length, 8000);
	t.deepEqual(await leakedTemps(host.binDir), []);
	t.is(await agent.stop(), 0);
});
