// A full disk (a small tmpfs as the bin dir or the conf dir, in a private mount namespace): a clear error naming the
// path (exit 4 at start, sync-failed while idle), the previous files intact, and no temp file left.
import fs from 'node:fs/promises';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {OVN_PRIMARY} from '../helpers/host-root.ts';
import type {FaultAgent} from './helpers/agent.ts';
import {privateMountNamespace, whyNotRoot, type MountNamespace} from './helpers/mount-namespace.ts';
import {BINARIES, faultNode, leakedTemps, sha256Of, type FaultNode, type Version} from './helpers/node.ts';

const notRoot = whyNotRoot(['unshare', 'nsenter', 'mount']);
if (notRoot !== undefined) {
	console.log(`skipping disk-full fault tests: ${notRoot}`);
}

const rootTest = notRoot === undefined ? test : test.skip;
const PRIMARY_NAME = '10-ovn-kubernetes.conf';

// A node whose conf dir or bin dir is a tmpfs of its own, seen by the agent and (through /proc/<pid>/root) the test.
interface FullNode {
	readonly node: FaultNode;
	readonly ns: MountNamespace;
	start(): FaultAgent;
	/** The path by which the test reaches a node path as the agent sees it. */
	at(file: string): string;
	fill(directory: string): Promise<void>;
	free(directory: string): Promise<void>;
	writePrimary(config: object): Promise<void>;
}

async function fullNode(t: ExecutionContext, mountOn: 'confDir' | 'binDir', size: string): Promise<FullNode> {
	const node = await faultNode(t);
	const ns = await privateMountNamespace(t);
	await ns.sh('mount -t tmpfs -o size="$2",mode=0755 multus-fault "$1"', node[mountOn], size);
	const at = (file: string): string => ns.inside(file);
	const full: FullNode = {
		node,
		ns,
		at,
		start: () => node.start([], {prefix: ns.enter}),
		async fill(directory) {
			await ns.sh('dd if=/dev/zero of="$(mktemp -p "$1" .filler-XXXXXX)" bs=4096 2>/dev/null || true', directory);
		},
		async free(directory) {
			for (const name of await fs.readdir(at(directory))) {
				if (name.startsWith('.filler-')) {
					await fs.rm(at(path.join(directory, name)));
				}
			}
		},
		async writePrimary(config) {
			const file = at(path.join(node.confDir, PRIMARY_NAME));
			await fs.writeFile(`${file}.partial`, JSON.stringify(config));
			await fs.rename(`${file}.partial`, file);
		},
	};
	await full.writePrimary(OVN_PRIMARY);
	return full;
}

async function binaryVersions(full: FullNode): Promise<Record<string, Version | 'torn' | 'missing'>> {
	const versions: Record<string, Version | 'torn' | 'missing'> = {};
	for (const name of BINARIES) {
		const hash = await sha256Of(full.at(path.join(full.node.binDir, name)));
		const sha = full.node.builds.sha256[name]!;
		versions[name] = hash === undefined ? 'missing' : (hash === sha.a ? 'a' : (hash === sha.b ? 'b' : 'torn'));
	}

	return versions;
}

// No temp file is left (a write in flight while the agent retries is not a leak).
async function noTemps(t: ExecutionContext, full: FullNode): Promise<void> {
	const {node, at} = full;
	t.deepEqual(await leakedTemps(at(node.confDir), at(path.dirname(node.kubeconfig)), at(node.binDir)), [], 'no temp file is left');
}

function fatalOf(agent: FaultAgent): {path?: unknown; msg?: unknown} {
	return agent.lines.find(line => line.event === 'fatal') ?? {};
}

rootTest('a full bin dir at start: exit 4 naming the binary, every old binary whole, no temp', async t => {
	const full = await fullNode(t, 'binDir', '24m');
	const first = full.start();
	await first.waitFor('ready');
	t.is(await first.stop(), 0);
	// Version b does not fit beside a: each atomic copy needs room for the new file before the old one goes.
	await full.node.useSources('b');
	const agent = full.start();
	t.is(await agent.exited, 4, agent.describe());
	const fatal = fatalOf(agent);
	t.true(String(fatal.path).startsWith(`${full.node.binDir}/`), `the error names a binary: ${String(fatal.path)}`);
	t.regex(String(fatal.msg), /ENOSPC.*Fix: Free space on the host filesystem/);
	const versions = await binaryVersions(full);
	t.false(Object.values(versions).some(version => version === 'torn' || version === 'missing'), JSON.stringify(versions));
	await noTemps(t, full);
	await full.node.assertNoSecrets(t);
});

rootTest('a full conf dir at start: exit 4 naming the kubeconfig, the old kubeconfig and config intact, no temp', async t => {
	const full = await fullNode(t, 'confDir', '1m');
	const {node, at} = full;
	const first = full.start();
	await first.waitFor('ready');
	t.is(await first.stop(), 0);
	const kubeconfig = await fs.readFile(at(node.kubeconfig), 'utf8');
	const config = await fs.readFile(at(path.join(node.confDir, '00-multus.conf')), 'utf8');
	await full.fill(node.confDir);
	await node.rotateToken();
	await full.writePrimary({...OVN_PRIMARY, mtu: 1400}).catch(() => undefined);
	const agent = full.start();
	t.is(await agent.exited, 4, agent.describe());
	// The first write of a start is the ownership claim beside the kubeconfig; the error names whichever failed.
	const fatal = fatalOf(agent);
	t.is(path.dirname(String(fatal.path)), path.dirname(node.kubeconfig));
	t.regex(String(fatal.msg), /Cannot write .*multus\.d\/[\w.-]+; the previous file is intact \(ENOSPC.*Fix: Free space/);
	t.is(await fs.readFile(at(node.kubeconfig), 'utf8'), kubeconfig);
	t.is(await fs.readFile(at(path.join(node.confDir, '00-multus.conf')), 'utf8'), config);
	await noTemps(t, full);
	await node.assertNoSecrets(t);
});

rootTest('a conf dir that fills up while idle: sync-failed naming each path, old files kept, then recovery', async t => {
	const full = await fullNode(t, 'confDir', '1m');
	const {node, at} = full;
	const agent = full.start();
	await agent.waitFor('ready');
	const configFile = path.join(node.confDir, '00-multus.conf');
	const config = await fs.readFile(at(configFile), 'utf8');
	const kubeconfig = await fs.readFile(at(node.kubeconfig), 'utf8');
	await full.fill(node.confDir);
	const idleCpu = agent.cpuMs();
	// The primary's owner rewrites it in place (its page is reused), so the disk stays full for the agent.
	await fs.writeFile(at(path.join(node.confDir, PRIMARY_NAME)), JSON.stringify({...OVN_PRIMARY, mtu: 1300}));
	const configFailed = await agent.waitFor(line => line.event === 'sync-failed' && line['task'] === 'config');
	t.is(configFailed['path'], configFile);
	t.regex(String(configFailed.msg), /Cannot write .*00-multus\.conf; the previous file is intact \(ENOSPC/);
	const token = await node.rotateToken();
	const kubeconfigFailed = await agent.waitFor(line => line.event === 'sync-failed' && line['task'] === 'kubeconfig');
	t.is(kubeconfigFailed['path'], node.kubeconfig);
	t.regex(String(kubeconfigFailed.msg), /ENOSPC/);
	t.is(await fs.readFile(at(node.kubeconfig), 'utf8'), kubeconfig, 'the old kubeconfig is intact');
	t.is(await fs.readFile(at(configFile), 'utf8'), config, 'the old config is intact');
	await noTemps(t, full);

	await new Promise(resolve => {
		setTimeout(resolve, 1500);
	});
	const failures = agent.lines.filter(line => line.event === 'sync-failed').length;
	t.true(failures < 15, `retries back off (${failures} failures in about 2 s)`);
	t.true(agent.cpuMs() - idleCpu < 1000, 'no busy loop while the disk is full');

	await full.free(node.confDir);
	const recovered = new Set<string>();
	await agent.waitFor(line => recovered.add(String(line.event)).has('kubeconfig-written') && recovered.has('config-written'), 8000);
	t.is(await fs.readFile(at(node.kubeconfig), 'utf8'), node.kubeconfigFor(token));
	t.is(await fs.readFile(at(configFile), 'utf8'), node.configFor(JSON.stringify({...OVN_PRIMARY, mtu: 1300})).text);
	await noTemps(t, full);
	t.is(await agent.stop(), 0);
	await node.assertNoSecrets(t);
});

rootTest('a bin dir that fills up while idle: sync-failed naming the binary, binaries whole, then recovery', async t => {
	const full = await fullNode(t, 'binDir', '36m');
	const {node, at} = full;
	const agent = full.start();
	await agent.waitFor('ready');
	// An old package's binaries land (copied, as a package manager would), then the disk fills up. The agent is
	// frozen meanwhile, so it meets both at once (otherwise it may repair the binaries before the disk is full).
	process.kill(agent.pid, 'SIGSTOP');
	await full.ns.sh('dir=$1; shift; for f in "$@"; do cp "$f" "$dir/.pkg" && mv "$dir/.pkg" "$dir/${f##*/}"; done', node.binDir, ...BINARIES.map(name => node.builds.file(name, 'b')));
	await full.fill(node.binDir);
	process.kill(agent.pid, 'SIGCONT');
	const failed = await agent.waitFor(line => line.event === 'sync-failed' && line['task'] === 'binaries');
	t.true(String(failed['path']).startsWith(`${node.binDir}/`), `names a binary: ${String(failed['path'])}`);
	t.regex(String(failed.msg), /ENOSPC/);
	const versions = await binaryVersions(full);
	t.false(Object.values(versions).some(version => version === 'torn' || version === 'missing'), JSON.stringify(versions));
	await noTemps(t, full);
	await full.free(node.binDir);
	await agent.waitFor('binaries-installed', 8000);
	t.deepEqual(await binaryVersions(full), Object.fromEntries(BINARIES.map(name => [name, 'a'])));
	await noTemps(t, full);
	t.is(await agent.stop(), 0);
	t.true(await fs.stat(at(node.binDir)).then(stat => stat.isDirectory()));
});
