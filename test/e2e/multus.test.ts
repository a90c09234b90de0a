// End to end, without a container runtime: a real kube-apiserver with the project's deploy/base applied, the
// agent installing the real multus and plugin binaries onto a node (its own network namespace and root), and
// the CNI calls CRI-O would make, made by the test against the installed multus. Every scenario asserts what
// a Pod really gets: interfaces and addresses in its network namespace, and its network-status annotation.
// The scenarios share one API server and one node and run one after another (test.serial).
// Needs root, iproute2 (ip), util-linux (unshare, mount), coreutils (chroot), the binaries of
// image/build-binaries.sh and test/kube/build.sh, and dnsmasq (Debian: dnsmasq-base) for the DHCP scenario;
// whatever is missing is printed and the affected tests are registered as skipped.
import fs from 'node:fs/promises';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import type * as k8s from '@kubernetes/client-node';
import {
	apply, connect, createNad, createNamespace, createPod, MULTUS_NAMESPACE, NAD_CRD, readDeployBase, readNetworkStatus,
	requestPodToken, waitForCrdEstablished, waitForMultusAccess, whoAmI, type Cluster,
} from '../helpers/e2e-cluster.ts';
import {createNode, HOST, NETNS_TOOL, PRIMARY_NETWORK, type CniOutcome, type E2eNode, type PodSandbox} from '../helpers/e2e-node.ts';
import {checkE2ePrerequisites, E2E_BIN_DIR} from '../helpers/e2e-prerequisites.ts';
import {undoAllNow} from '../helpers/e2e-guard.ts';
import {runOk} from '../helpers/e2e-process.ts';
import {startKubeApiserver, type KubeApiserver} from '../helpers/kube-apiserver.ts';
import {pollUntil} from '../helpers/poll.ts';
import {createNetns, type Netns} from '../helpers/netns.ts';

const prerequisites = await checkE2ePrerequisites();
if (prerequisites.all !== undefined) {
	console.log(`skipping the multus end-to-end tests: ${prerequisites.all}`);
}

// Pods and NADs live in this namespace (the API server is fresh for each run of this file).
const NS = 'e2e';
const HELLO = 'Hello MicroShift';

// The enhancement's example network.
const BRIDGE_CONF = {
	cniVersion: '0.4.0',
	name: 'bridge-conf',
	type: 'bridge',
	bridge: 'test-bridge',
	ipam: {type: 'host-local', subnet: '192.168.20.0/24', rangeStart: '192.168.20.200', rangeEnd: '192.168.20.216'},
};
// One address only: proves that DEL gives an address back.
const BRIDGE_SINGLE = {
	cniVersion: '0.4.0',
	name: 'bridge-single',
	type: 'bridge',
	bridge: 'single-br',
	ipam: {type: 'host-local', subnet: '192.168.21.0/24', rangeStart: '192.168.21.10', rangeEnd: '192.168.21.10'},
};

let server: KubeApiserver | undefined;
let cluster: Cluster;
let node: E2eNode | undefined;

if (prerequisites.all === undefined) {
	test.before(async t => {
		const startedAt = performance.now();
		server = await startKubeApiserver();
		cluster = connect(server);
		await apply(cluster, await readDeployBase());
		await waitForCrdEstablished(cluster, NAD_CRD);
		await waitForMultusAccess(cluster, {namespace: NS, verb: 'update', resource: 'pods', subresource: 'status'}, true);
		await createNamespace(cluster, NS);
		await createNad(cluster, NS, 'bridge-conf', BRIDGE_CONF);
		await createNad(cluster, NS, 'bridge-single', BRIDGE_SINGLE);
		node = await createNode({cluster, binDir: E2E_BIN_DIR});
		t.log(`API server, deploy/base and node ready in ${Math.round(performance.now() - startedAt)} ms`);
	});

	test.after.always(async () => {
		const errors: unknown[] = [];
		await node?.stop().catch((error: unknown) => errors.push(error));
		await server?.stop().catch((error: unknown) => errors.push(error));
		undoAllNow(); // whatever a failed scenario left: processes, namespaces, directories
		if (errors.length > 0) {
			throw new AggregateError(errors, 'e2e cleanup failed');
		}
	});
}

// Registers a scenario, or a skipped one with the first reason it cannot run, printed.
function scenario(title: string, needs: ReadonlyArray<string | undefined>, body: (t: ExecutionContext, node: E2eNode) => Promise<void>): void {
	const reason = [prerequisites.all, ...needs].find(problem => problem !== undefined);
	if (reason !== undefined) {
		if (prerequisites.all === undefined) {
			console.log(`skipping "${title}": ${reason}`);
		}

		test.serial.skip(title, () => undefined);
		return;
	}

	test.serial(title, async t => {
		if (node === undefined) {
			throw new Error('the node was not set up (see the before hook)');
		}

		await body(t, node);
	});
}

scenario('1. bridge-conf (the enhancement\'s example): eth0 and net1, network-status, reachable from the node', [], async (t, node) => {
	const pod = await addPod(t, node, 'bridge-pod', 'bridge-conf');
	t.deepEqual(await linkNames(pod.netns), ['eth0', 'lo', 'net1']);
	const [eth0] = await pod.netns.ipv4('eth0');
	const [net1] = await pod.netns.ipv4('net1');
	t.true(inSubnet(eth0, '10.128.0.'), `eth0 ${eth0 ?? 'has no address'} from the primary network`);
	t.true(inRange(net1, '192.168.20.', 200, 216), `net1 ${net1 ?? 'has no address'} in 192.168.20.200-216`);

	const status = await readNetworkStatus(cluster, NS, pod.name);
	t.is(status?.length, 2, JSON.stringify(status));
	t.like(status?.[0], {name: 'ovn-kubernetes', interface: 'eth0', default: true, ips: [address(eth0)]});
	t.like(status?.[1], {name: `${NS}/bridge-conf`, interface: 'net1', ips: [address(net1)]});
	t.falsy(status?.[1]?.default);

	// Everything the plugins created is in the node's namespace, nothing in the machine's own.
	const machineLinks = (JSON.parse(await runOk('ip', ['-j', 'link', 'show'])) as Array<{ifname: string}>).map(link => link.ifname);
	t.deepEqual(machineLinks.filter(name => ['ovnbr0', 'test-bridge'].includes(name)), []);
	t.true((await linkNames(node.netns)).includes('test-bridge'));

	// As in MicroShift's test: give the host an address on the bridge and talk to the pod over it.
	await node.netns.ip('addr', 'add', '192.168.20.1/24', 'dev', 'test-bridge');
	t.is(await hello(pod.netns, address(net1), node.netns), HELLO);
});

scenario('2. bridge-conf,bridge-conf: net1 and net2 with two addresses', [], async (t, node) => {
	const pod = await addPod(t, node, 'two-bridges-pod', 'bridge-conf,bridge-conf');
	t.deepEqual(await linkNames(pod.netns), ['eth0', 'lo', 'net1', 'net2']);
	const [net1] = await pod.netns.ipv4('net1');
	const [net2] = await pod.netns.ipv4('net2');
	t.true(inRange(net1, '192.168.20.', 200, 216), String(net1));
	t.true(inRange(net2, '192.168.20.', 200, 216), String(net2));
	t.not(net1, net2);
	const status = await readNetworkStatus(cluster, NS, pod.name);
	t.deepEqual(status?.map(entry => [entry.name, entry.interface]), [['ovn-kubernetes', 'eth0'], [`${NS}/bridge-conf`, 'net1'], [`${NS}/bridge-conf`, 'net2']]);
});

scenario('3. macvlan + dhcp: a lease from a real DHCP server through the CNI dhcp daemon', [prerequisites.macvlan, prerequisites.dnsmasq], async (t, node) => {
	// The DHCP server sits in its own namespace at the other end of a veth whose node end is the macvlan master.
	const lan = await createLan(t, node, 'dhcp', 'dhcp0', '192.168.112.1/24');
	const leases = path.join(node.dir, 'dnsmasq.leases');
	const dnsmasq = lan.netns.spawn('dnsmasq', 'dnsmasq', [
		'--no-daemon', '--conf-file=/dev/null', '--no-hosts', '--no-resolv', '--port=0', '--log-facility=-', '--log-dhcp',
		`--interface=${lan.peer}`, '--bind-interfaces', '--dhcp-authoritative',
		'--dhcp-range=192.168.112.100,192.168.112.150,255.255.255.0,10m',
		`--dhcp-leasefile=${leases}`, `--pid-file=${path.join(node.dir, 'dnsmasq.pid')}`,
	]);
	t.teardown(async () => dnsmasq.stop());
	await dnsmasq.waitForLine(/DHCP, IP range 192\.168\.112\.100/);
	const daemon = await node.startDhcpDaemon();
	t.teardown(async () => daemon.stop());
	await createNad(cluster, NS, 'macvlan-dhcp', {cniVersion: '0.4.0', name: 'macvlan-dhcp', type: 'macvlan', master: 'dhcp0', mode: 'bridge', ipam: {type: 'dhcp'}});

	const pod = await addPod(t, node, 'macvlan-dhcp-pod', 'macvlan-dhcp', {deleteInTeardown: false});
	t.deepEqual(await linkNames(pod.netns), ['eth0', 'lo', 'net1']);
	const [net1] = await pod.netns.ipv4('net1');
	t.true(inRange(net1, '192.168.112.', 100, 150), `net1 ${net1 ?? 'has no address'} from dnsmasq's range`);
	const mac = (await pod.netns.links()).find(link => link.ifname === 'net1')?.address ?? '';
	const leaseLine = async (): Promise<string | undefined> => (await fs.readFile(leases, 'utf8').catch(() => '')).split('\n').find(line => line.includes(` ${address(net1)} `));
	// dnsmasq writes its lease file after the ACK, and says nothing when it has: bounded poll.
	const noLease = (): string => `no lease for ${address(net1)} yet; dnsmasq:\n${dnsmasq.output.slice(-10).join('\n')}\ndhcp daemon:\n${daemon.output.slice(-10).join('\n')}`;
	await pollUntil('dnsmasq lease file', async () => await leaseLine() === undefined ? noLease() : true, {intervalMs: 50, timeoutMs: 5000});
	t.true((await leaseLine())?.includes(` ${mac} `), `the lease names net1's MAC ${mac}`);
	t.log(`net1 ${net1 ?? ''}; dnsmasq lease: ${(await leaseLine())?.split(' ').slice(0, 3).join(' ') ?? ''}`);
	const status = await readNetworkStatus(cluster, NS, pod.name);
	t.like(status?.[1], {name: `${NS}/macvlan-dhcp`, interface: 'net1', ips: [address(net1)]});

	// DEL makes the dhcp daemon release the lease, and dnsmasq drops it.
	await expectDel(t, node, pod);
	await pollUntil('dnsmasq to drop the released lease', async () => await leaseLine() === undefined ? true : 'lease still present', {intervalMs: 50, timeoutMs: 5000});
	t.pass();
});

scenario('4. ipvlan + static: the configured address, reachable from the peer on the master link', [prerequisites.ipvlan], async (t, node) => {
	const lan = await createLan(t, node, 'ipvlan', 'ipvl0', '192.168.113.1/24');
	await createNad(cluster, NS, 'ipvlan-static', {cniVersion: '0.4.0', name: 'ipvlan-static', type: 'ipvlan', master: 'ipvl0', mode: 'l2', ipam: {type: 'static', addresses: [{address: '192.168.113.2/24'}]}});
	const pod = await addPod(t, node, 'ipvlan-static-pod', 'ipvlan-static');
	t.deepEqual(await pod.netns.ipv4('net1'), ['192.168.113.2/24']);
	t.like((await readNetworkStatus(cluster, NS, pod.name))?.[1], {name: `${NS}/ipvlan-static`, interface: 'net1', ips: ['192.168.113.2']});
	t.is(await hello(pod.netns, '192.168.113.2', lan.netns), HELLO);
});

scenario('4b. macvlan + static: the configured address, reachable from the peer on the master link', [prerequisites.macvlan], async (t, node) => {
	const lan = await createLan(t, node, 'static', 'stat0', '192.168.114.1/24');
	await createNad(cluster, NS, 'macvlan-static', {cniVersion: '0.4.0', name: 'macvlan-static', type: 'macvlan', master: 'stat0', mode: 'bridge', ipam: {type: 'static', addresses: [{address: '192.168.114.2/24'}]}});
	const pod = await addPod(t, node, 'macvlan-static-pod', 'macvlan-static');
	t.deepEqual(await pod.netns.ipv4('net1'), ['192.168.114.2/24']);
	t.like((await readNetworkStatus(cluster, NS, pod.name))?.[1], {name: `${NS}/macvlan-static`, interface: 'net1', ips: ['192.168.114.2']});
	t.is(await hello(pod.netns, '192.168.114.2', lan.netns), HELLO);
});

scenario('5. a NAD that does not exist: ADD fails with the user-facing message and leaves nothing behind', [], async (t, node) => {
	const nodeLinksBefore = await linkNames(node.netns);
	const allocationsBefore = await allAllocations(node);
	const sandbox = await node.createSandbox(await createPod(cluster, NS, 'missing-nad-pod', {networks: 'does-not-exist'}));
	const add = await node.cni('ADD', sandbox);
	t.false(add.ok, describe(add));
	t.regex(add.error?.msg ?? '', new RegExp(`cannot find a network-attachment-definition \\(does-not-exist\\) in namespace \\(${NS}\\)`), describe(add));
	t.log(`ADD error: ${add.error?.msg ?? ''}`);
	t.deepEqual(await linkNames(sandbox.netns), ['lo']);
	t.deepEqual(await linkNames(node.netns), nodeLinksBefore);
	t.deepEqual(await allAllocations(node), allocationsBefore);
	t.false(await exists(path.join(node.hostPath(HOST.cniDataDir), 'multus', sandbox.containerId)), 'no multus cache entry for the failed sandbox');
	// The runtime then tears the sandbox down; DEL must succeed.
	await expectDel(t, node, sandbox);
});

scenario('6. a Pod without the annotation gets only lo and eth0', [], async (t, node) => {
	const pod = await addPod(t, node, 'plain-pod', undefined);
	t.deepEqual(await linkNames(pod.netns), ['eth0', 'lo']);
	const status = await readNetworkStatus(cluster, NS, pod.name);
	t.deepEqual(status?.map(entry => [entry.name, entry.interface, entry.default]), [['ovn-kubernetes', 'eth0', true]]);
});

scenario('7. DEL releases everything: the address is handed out again and no links are left', [], async (t, node) => {
	const first = await addPod(t, node, 'single-a', 'bridge-single', {deleteInTeardown: false});
	t.deepEqual(await first.netns.ipv4('net1'), ['192.168.21.10/24']);
	const [eth0] = await first.netns.ipv4('eth0');
	t.deepEqual(await node.hostLocalAllocations('bridge-single'), ['192.168.21.10']);
	t.true((await node.hostLocalAllocations(PRIMARY_NETWORK.name)).includes(address(eth0)));
	const veths = await podVeths(node, first);
	t.is(veths.length, 2, `one veth on ovnbr0 and one on single-br: ${JSON.stringify(veths)}`);

	// The only address is taken: a second pod cannot get it, and multus rolls back its eth0.
	const blocked = await node.createSandbox(await createPod(cluster, NS, 'single-b', {networks: 'bridge-single'}));
	const refused = await node.cni('ADD', blocked);
	t.false(refused.ok, describe(refused));
	t.regex(refused.error?.msg ?? '', /no IP addresses available/);
	t.log(`second pod's ADD error: ${refused.error?.msg ?? ''}`);
	t.deepEqual(await linkNames(blocked.netns), ['lo']);
	await expectDel(t, node, blocked);

	await expectDel(t, node, first);
	t.deepEqual(await linkNames(first.netns), ['lo']);
	t.deepEqual(await node.hostLocalAllocations('bridge-single'), []);
	t.false((await node.hostLocalAllocations(PRIMARY_NETWORK.name)).includes(address(eth0)), `eth0's ${eth0 ?? ''} released`);
	const nodeLinks = await linkNames(node.netns);
	t.deepEqual(veths.filter(name => nodeLinks.includes(name)), [], 'the pod\'s veths are gone from the node');

	// The runtime retries the second pod with a new sandbox: now it gets the released address.
	const retry = await node.createSandbox(blocked.pod);
	const add = await node.cni('ADD', retry);
	t.true(add.ok, describe(add));
	t.teardown(async () => node.cni('DEL', retry));
	t.deepEqual(await retry.netns.ipv4('net1'), ['192.168.21.10/24']);
});

scenario('8. token rotation: a new pod-bound token replaces the revoked one and the next ADD authenticates', [], async (t, node) => {
	const oldToken = (await fs.readFile(path.join(node.serviceAccountDir, 'token'), 'utf8')).trim();
	t.like(await whoAmI(cluster, oldToken), {username: `system:serviceaccount:${MULTUS_NAMESPACE}:multus`});
	// Keep the kubeconfig as it was, to show what a multus binary still using the old token would get.
	await fs.copyFile(node.hostPath(HOST.kubeconfig), node.hostPath('/tmp/old.kubeconfig'));
	const oldConfig = JSON.stringify({...JSON.parse(await node.multusConfig()) as object, kubeconfig: '/tmp/old.kubeconfig'});

	// kubelet: a new TokenRequest bound to the new pod object, published atomically in the projected volume.
	const newPod = await createPod(cluster, MULTUS_NAMESPACE, `${node.agentPod.metadata?.name ?? 'multus'}-rotated`, {serviceAccountName: 'multus', hostNetwork: true});
	const newToken = await requestPodToken(cluster, newPod);
	await node.writeServiceAccount(newToken);
	const written = await node.agent.waitFor('kubeconfig-written');
	t.is(written['path'], node.hostPath(HOST.kubeconfig));
	const kubeconfig = await fs.readFile(node.hostPath(HOST.kubeconfig), 'utf8');
	t.true(kubeconfig.includes(`token: ${JSON.stringify(newToken)}`), 'the kubeconfig carries the new token');
	t.false(kubeconfig.includes(oldToken));

	// Revoke the old token: delete the pod it is bound to. The API server checks that the bound object still
	// exists (no controller-manager is involved). It caches successful token reviews for 10 s, so the
	// rejection shows up within about 10 s of the old token's last use: a bounded poll, nothing announces it.
	await cluster.core.deleteNamespacedPod({namespace: MULTUS_NAMESPACE, name: node.agentPod.metadata?.name ?? '', gracePeriodSeconds: 0});
	await pollUntil('the API server to reject the old token', async () => {
		const answer = await whoAmI(cluster, oldToken);
		return 'rejected' in answer && answer.rejected === 401 ? true : JSON.stringify(answer);
	}, {intervalMs: 200, timeoutMs: 30_000});
	t.like(await whoAmI(cluster, newToken), {username: `system:serviceaccount:${MULTUS_NAMESPACE}:multus`});

	// What the pod would have got without the rotation: multus cannot even read the pod.
	const stale = await node.createSandbox(await createPod(cluster, NS, 'old-token-pod', {networks: 'bridge-conf'}));
	const refused = await node.cni('ADD', stale, oldConfig);
	t.false(refused.ok, describe(refused));
	t.regex(refused.error?.msg ?? '', /error waiting for pod: Unauthorized/, describe(refused));
	t.log(`ADD error with the revoked token: ${refused.error?.msg ?? ''}`);
	t.deepEqual(await linkNames(stale.netns), ['lo']);

	// With the kubeconfig the agent rewrote, the next ADD authenticates.
	const pod = await addPod(t, node, 'after-rotation-pod', 'bridge-conf');
	t.is((await readNetworkStatus(cluster, NS, pod.name))?.length, 2, 'multus read the pod and NAD and wrote the status with the new token');
});

scenario('9. RBAC: the project\'s ClusterRole suffices; without pods/status the ADD fails naming it', [], async (t, node) => {
	const role = (await readDeployBase()).find(object => object.kind === 'ClusterRole' && object.metadata?.name === 'multus') as k8s.V1ClusterRole | undefined;
	if (role === undefined) {
		t.fail('deploy/base has no ClusterRole multus');
		return;
	}

	const statusUpdate = {namespace: NS, verb: 'update', resource: 'pods', subresource: 'status'};
	await addPod(t, node, 'rbac-allowed-pod', 'bridge-conf');

	const reduced: k8s.V1ClusterRole = {...role, rules: (role.rules ?? []).filter(rule => !(rule.resources ?? []).includes('pods/status'))};
	t.is(reduced.rules?.length, (role.rules?.length ?? 0) - 1, 'exactly one rule grants pods/status');
	t.teardown(async () => {
		await apply(cluster, [role]);
		await waitForMultusAccess(cluster, statusUpdate, true);
	});
	await apply(cluster, [reduced]);
	await waitForMultusAccess(cluster, statusUpdate, false);

	const pod = await createPod(cluster, NS, 'rbac-denied-pod', {networks: 'bridge-conf'});
	const denied = await node.createSandbox(pod);
	const add = await node.cni('ADD', denied);
	t.false(add.ok, describe(add));
	t.regex(add.error?.msg ?? '', /error setting the networks status/, describe(add));
	t.regex(add.error?.msg ?? '', /forbidden: User "system:serviceaccount:openshift-multus:multus" cannot update resource "pods\/status"/, describe(add));
	t.log(`ADD error without pods/status: ${add.error?.msg ?? ''}`);
	// The interfaces were wired before the status write failed; the runtime's DEL removes them.
	await expectDel(t, node, denied);
	t.deepEqual(await linkNames(denied.netns), ['lo']);

	await apply(cluster, [role]);
	await waitForMultusAccess(cluster, statusUpdate, true);
	const retry = await node.createSandbox(pod);
	const again = await node.cni('ADD', retry);
	t.true(again.ok, describe(again));
	t.teardown(async () => node.cni('DEL', retry));
	t.is((await readNetworkStatus(cluster, NS, retry.name))?.length, 2);
});

// Creates the pod object and its sandbox and runs ADD, which must succeed; DEL runs at teardown.
async function addPod(t: ExecutionContext, node: E2eNode, name: string, networks: string | undefined, options: {deleteInTeardown?: boolean} = {}): Promise<PodSandbox> {
	const sandbox = await node.createSandbox(await createPod(cluster, NS, name, {networks}));
	const add = await node.cni('ADD', sandbox);
	if (!add.ok) {
		throw new Error(`ADD for pod ${name} failed: ${describe(add)}`);
	}

	if (options.deleteInTeardown ?? true) {
		t.teardown(async () => {
			const del = await node.cni('DEL', sandbox);
			if (!del.ok) {
				throw new Error(`DEL for pod ${name} failed: ${describe(del)}`);
			}
		});
	}

	return sandbox;
}

async function expectDel(t: ExecutionContext, node: E2eNode, sandbox: PodSandbox): Promise<void> {
	const del = await node.cni('DEL', sandbox);
	t.true(del.ok, `DEL ${sandbox.name}: ${describe(del)}`);
}

// A peer namespace on the far end of a veth whose node end (master) is up in the node namespace.
async function createLan(t: ExecutionContext, node: E2eNode, label: string, master: string, peerAddress: string): Promise<{netns: Netns; peer: string}> {
	const netns = await createNetns(`lan-${label}`);
	t.teardown(async () => netns.remove());
	const peer = `${master}p`;
	await node.netns.ip('link', 'add', master, 'type', 'veth', 'peer', 'name', peer, 'netns', netns.name);
	await node.netns.ip('link', 'set', master, 'up');
	await netns.ip('addr', 'add', peerAddress, 'dev', peer);
	await netns.ip('link', 'set', peer, 'up');
	return {netns, peer};
}

// Serves HELLO from the pod on address:8080 and fetches it from another namespace (MicroShift's check).
async function hello(podNetns: Netns, ip: string, from: Netns): Promise<string> {
	const server = podNetns.spawn('hello server', process.execPath, [NETNS_TOOL, 'serve', ip, '8080', HELLO]);
	try {
		await server.waitForLine(/^ready$/);
		const fetched = await from.exec(process.execPath, [NETNS_TOOL, 'fetch', ip, '8080', '3000'], {timeoutMs: 10_000});
		return fetched.code === 0 ? fetched.stdout.trim() : `fetch failed: ${fetched.stderr.trim()}`;
	} finally {
		await server.stop();
	}
}

// The node-side ends of a pod's veths: node links whose ifindex a pod interface names as its peer.
async function podVeths(node: E2eNode, pod: PodSandbox): Promise<string[]> {
	const peerIndexes = new Set((await pod.netns.links()).map(link => link.link_index).filter(index => index !== undefined));
	return (await node.netns.links()).filter(link => peerIndexes.has(link.ifindex)).map(link => link.ifname).sort();
}

async function allAllocations(node: E2eNode): Promise<Record<string, string[]>> {
	const result: Record<string, string[]> = {};
	for (const network of await fs.readdir(path.join(node.hostPath(HOST.cniDataDir), 'networks')).catch(() => [])) {
		result[network] = await node.hostLocalAllocations(network);
	}

	return result;
}

async function linkNames(netns: Netns): Promise<string[]> {
	return (await netns.links()).map(link => link.ifname).sort();
}

function address(cidr: string | undefined): string {
	return (cidr ?? '').split('/')[0] ?? '';
}

function inSubnet(cidr: string | undefined, prefix: string): boolean {
	return address(cidr).startsWith(prefix);
}

function inRange(cidr: string | undefined, prefix: string, first: number, last: number): boolean {
	const ip = address(cidr);
	const host = Number(ip.slice(prefix.length));
	return ip.startsWith(prefix) && host >= first && host <= last;
}

async function exists(file: string): Promise<boolean> {
	return fs.access(file).then(() => true, () => false);
}

function describe(outcome: CniOutcome): string {
	return `exit ${outcome.code ?? 'signal'}; stdout: ${outcome.stdout.trim()}; stderr: ${outcome.stderr.trim().split('\n').slice(-15).join('\n')}`;
}
