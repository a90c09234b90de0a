// A MicroShift "node" without a container runtime: its own network namespace, a temporary root that holds
// /etc/cni/net.d, /opt/cni/bin, /var/lib/cni and /run/cni, the agent running against that root, and a way to
// make the CNI calls CRI-O would make. Plugins run inside the node's network namespace, in a private mount
// namespace chrooted into the node root, so the machine's own /etc/cni, /opt/cni, /var/lib/cni, /run/cni and
// network are never touched. The API server (on 127.0.0.1 in the root namespace) is reachable from the node
// namespace at the same 127.0.0.1:<port> through a relay over a unix socket in the temp dir.
import {randomBytes} from 'node:crypto';
import {watch} from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import type * as k8s from '@kubernetes/client-node';
import {startAgent, type AgentProcess} from './agent-process.ts';
import {createPod, MULTUS_NAMESPACE, MULTUS_SERVICE_ACCOUNT, requestPodToken, type Cluster} from './e2e-cluster.ts';
import {guard} from './e2e-guard.ts';
import {type Background} from './e2e-process.ts';
import {writeProjectedVolume} from './kubelet.ts';
import {createNetns, type Netns} from './netns.ts';

// The forward/serve/fetch tool run inside network namespaces (node e2e-netns-tool.ts ...).
export const NETNS_TOOL = path.resolve(import.meta.dirname, 'e2e-netns-tool.ts');

// The delegate plugins the agent installs beside multus.
export const NODE_PLUGINS = ['bridge', 'macvlan', 'ipvlan', 'host-local', 'dhcp', 'static', 'loopback'];

// Host paths inside the node root, as the CNI config and the plugins see them.
export const HOST = {
	confDir: '/etc/cni/net.d',
	binDir: '/opt/cni/bin',
	cniDataDir: '/var/lib/cni',
	socketDir: '/run/cni',
	netnsDir: '/var/run/netns', // where CRI-O pins pod network namespaces (/var/run -> /run)
	readinessIndicator: '/etc/cni/net.d/10-ovn-kubernetes.conf',
	kubeconfig: '/etc/cni/net.d/multus.d/multus.kubeconfig',
	dhcpSocket: '/run/cni/dhcp.sock',
} as const;

// The stand-in for ovn-kubernetes: a real bridge with host-local IPAM, under ovn-kubernetes' name and file.
export const PRIMARY_NETWORK = {
	cniVersion: '0.4.0',
	name: 'ovn-kubernetes',
	type: 'bridge',
	bridge: 'ovnbr0',
	isGateway: true,
	ipam: {type: 'host-local', subnet: '10.128.0.0/24', routes: [{dst: '0.0.0.0/0'}]},
};

// Mounts what the plugins need inside the node root, then runs the command chrooted there. Runs in a
// fresh mount namespace, so every mount disappears when the command exits.
const CHROOT_SCRIPT = `set -e
root=$1; shift
mount -t proc proc "$root/proc"
mount -t sysfs sysfs "$root/sys"
mount --bind /dev "$root/dev"
mount --rbind /run/netns "$root/run/netns"
exec chroot "$root" "$@"`;

// The dhcp daemon as the dhcp-daemon DaemonSet runs it: -hostprefix names where the host root is mounted
// (here the node root) and the socket is <hostprefix>/run/cni/dhcp.sock. As with the DaemonSet's
// HostToContainer mount, /run/netns is a slave mount, so pod namespaces created later show up in it.
const DHCP_DAEMON_SCRIPT = `set -e
root=$1; shift
mount --rbind /run/netns "$root/run/netns"
mount --make-rslave "$root/run/netns"
exec "$@"`;

// A pod as the runtime sees it: the API object, its network namespace and its sandbox (infra) container ID.
export type PodSandbox = {
	readonly pod: k8s.V1Pod;
	readonly namespace: string;
	readonly name: string;
	readonly uid: string;
	readonly containerId: string;
	readonly netns: Netns;
	// CNI_NETNS as CRI-O passes it.
	readonly netnsPath: string;
};

// The outcome of one CNI call: the parsed result on success, the CNI error object on failure.
export type CniOutcome = {
	ok: boolean;
	code: number | null;
	result?: CniResult;
	error?: {code?: number; msg?: string; details?: string};
	stdout: string;
	stderr: string;
};

export type CniResult = {
	interfaces?: Array<{name: string; mac?: string; sandbox?: string}>;
	ips?: Array<{address: string; gateway?: string; interface?: number}>;
};

export type E2eNode = {
	readonly dir: string;
	readonly root: string;
	readonly netns: Netns;
	readonly agent: AgentProcess;
	readonly serviceAccountDir: string;
	readonly agentPod: k8s.V1Pod;
	// The node-root path of a host path, e.g. hostPath('/var/lib/cni').
	hostPath(hostAbsolute: string): string;
	// The Multus config the agent wrote, exactly as CRI-O would read it.
	multusConfig(): Promise<string>;
	// Runs a host binary (a host path inside the node root) in the node's network namespace and root.
	runOnNode(command: string, args: readonly string[], options?: {env?: NodeJS.ProcessEnv; input?: string}): Promise<{code: number | null; stdout: string; stderr: string}>;
	// Creates the pod's network namespace and sandbox ID (what CRI-O does before calling CNI).
	createSandbox(pod: k8s.V1Pod): Promise<PodSandbox>;
	// Calls the installed multus binary as CRI-O does: CNI_* environment and the Multus config on stdin
	// (the one the agent wrote, unless another is given).
	cni(command: 'ADD' | 'DEL' | 'CHECK', sandbox: PodSandbox, config?: string): Promise<CniOutcome>;
	// Starts the CNI dhcp daemon for this node and waits until its socket exists.
	startDhcpDaemon(): Promise<Background>;
	// Publishes a new token the way kubelet updates the projected volume.
	writeServiceAccount(token: string): Promise<void>;
	// host-local's allocations for a network: the reserved addresses.
	hostLocalAllocations(network: string): Promise<string[]>;
	stop(): Promise<void>;
};

export type NodeOptions = {
	cluster: Cluster;
	// Where image/build-binaries.sh left multus and the plugins.
	binDir: string;
	label?: string;
};

// Creates the node, starts the relay to the API server and the agent, and waits until the agent is ready.
export async function createNode(options: NodeOptions): Promise<E2eNode> {
	const label = options.label ?? 'node';
	const dir = await fs.mkdtemp(path.join(os.tmpdir(), `e2e-${process.pid}-${label}-`));
	const releaseDir = guard('dir', dir);
	const undo: Array<() => Promise<unknown>> = [async () => {
		await fs.rm(dir, {recursive: true, force: true});
		releaseDir();
	}];
	const stop = async (): Promise<void> => {
		const errors: unknown[] = [];
		for (const step of undo.splice(0).reverse()) {
			await step().catch((error: unknown) => errors.push(error));
		}

		if (errors.length > 0) {
			throw new AggregateError(errors, `stopping node ${label} failed`);
		}
	};

	try {
		const root = path.join(dir, 'root');
		for (const sub of ['etc/cni/net.d', 'opt/cni/bin', 'var/lib/cni', 'run/cni', 'run/netns', 'proc', 'sys', 'dev', 'tmp']) {
			await fs.mkdir(path.join(root, sub), {recursive: true});
		}

		await fs.symlink('../run', path.join(root, 'var/run'));
		const hostPath = (hostAbsolute: string): string => path.join(root, hostAbsolute);

		const netns = await createNetns(label);
		undo.push(async () => netns.remove());

		const relay = await startApiserverRelay(options.cluster, dir);
		undo.push(relay.close);
		const forwarder = netns.spawn(`${label} apiserver forwarder`, process.execPath, [NETNS_TOOL, 'forward', String(options.cluster.server.port), relay.socketPath]);
		undo.push(async () => forwarder.stop());
		await forwarder.waitForLine(/^ready$/);

		const agentPod = await createPod(options.cluster, MULTUS_NAMESPACE, `multus-${label}-${process.pid}`, {serviceAccountName: MULTUS_SERVICE_ACCOUNT, hostNetwork: true});
		const serviceAccountDir = path.join(dir, 'serviceaccount');
		const writeServiceAccount = async (token: string): Promise<void> => {
			await writeProjectedVolume(serviceAccountDir, {token, 'ca.crt': options.cluster.server.caPem, namespace: MULTUS_NAMESPACE});
		};

		await writeServiceAccount(await requestPodToken(options.cluster, agentPod));
		await fs.writeFile(hostPath(HOST.readinessIndicator), `${JSON.stringify(PRIMARY_NETWORK, null, 2)}\n`);

		const agent = startAgent([
			`--host-prefix=${root}`,
			`--service-account-dir=${serviceAccountDir}`,
			`--multus-bin-file=${path.join(options.binDir, 'multus')}`,
			`--cni-plugins-source-dir=${options.binDir}`,
			`--cni-plugins=${NODE_PLUGINS.join(',')}`,
			`--readiness-indicator-file=${HOST.readinessIndicator}`,
		], {
			// What kubelet injects into a hostNetwork pod: the API server as reached from the node's namespace.
			KUBERNETES_SERVICE_HOST: options.cluster.server.host,
			KUBERNETES_SERVICE_PORT: String(options.cluster.server.port),
		});
		const releaseAgent = agent.child.pid === undefined ? () => undefined : guard('pid', agent.child.pid);
		undo.push(async () => {
			await agent.stop('SIGKILL');
			releaseAgent();
		});
		await agent.waitFor('ready', 30_000);

		const runOnNode: E2eNode['runOnNode'] = async (command, args, runOptions = {}) =>
			netns.exec('unshare', ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', CHROOT_SCRIPT, 'sh', root, command, ...args], {env: runOptions.env, input: runOptions.input, timeoutMs: 120_000});

		const multusConfig = async (): Promise<string> => {
			for (const name of ['00-multus.conf', '00-multus.conflist']) {
				const text = await fs.readFile(path.join(hostPath(HOST.confDir), name), 'utf8').catch(() => undefined);
				if (text !== undefined) {
					return text;
				}
			}

			throw new Error(`the agent wrote no 00-multus.conf[list] in ${hostPath(HOST.confDir)}`);
		};

		let sandboxes = 0;
		return {
			dir,
			root,
			netns,
			agent,
			serviceAccountDir,
			agentPod,
			hostPath,
			multusConfig,
			runOnNode,
			async createSandbox(pod) {
				const name = pod.metadata?.name ?? '';
				const namespace = pod.metadata?.namespace ?? '';
				sandboxes += 1;
				const sandboxNetns = await createNetns(`pod${sandboxes}-${name}`);
				undo.push(async () => sandboxNetns.remove());
				return {
					pod,
					name,
					namespace,
					uid: pod.metadata?.uid ?? '',
					containerId: randomBytes(32).toString('hex'),
					netns: sandboxNetns,
					netnsPath: path.posix.join(HOST.netnsDir, sandboxNetns.name),
				};
			},
			async cni(command, sandbox, config) {
				const outcome = await runOnNode(path.posix.join(HOST.binDir, 'multus'), [], {
					input: config ?? await multusConfig(),
					env: {
						CNI_COMMAND: command,
						CNI_CONTAINERID: sandbox.containerId,
						CNI_NETNS: sandbox.netnsPath,
						CNI_IFNAME: 'eth0',
						CNI_ARGS: `IgnoreUnknown=1;K8S_POD_NAMESPACE=${sandbox.namespace};K8S_POD_NAME=${sandbox.name};K8S_POD_INFRA_CONTAINER_ID=${sandbox.containerId};K8S_POD_UID=${sandbox.uid}`,
						CNI_PATH: HOST.binDir,
					},
				});
				const ok = outcome.code === 0;
				const parsed = parseJson(outcome.stdout);
				return {
					ok,
					code: outcome.code,
					result: ok ? parsed as CniResult | undefined : undefined,
					error: ok ? undefined : parsed as CniOutcome['error'],
					stdout: outcome.stdout,
					stderr: outcome.stderr,
				};
			},
			async startDhcpDaemon() {
				const socket = hostPath(HOST.dhcpSocket);
				await fs.rm(socket, {force: true}); // as the DaemonSet's init container does
				const daemon = netns.spawn(`${label} dhcp daemon`, 'unshare', ['--mount', '--propagation', 'slave', '--', '/bin/sh', '-c', DHCP_DAEMON_SCRIPT, 'sh', root,
					path.join(options.binDir, 'dhcp'), 'daemon', '-hostprefix', root]);
				undo.push(async () => daemon.stop());
				await waitForPath(socket, 15_000, daemon.exited.then(([code, signal]) => `the dhcp daemon exited (${code ?? signal}): ${daemon.output.join('\n')}`));
				return daemon;
			},
			writeServiceAccount,
			async hostLocalAllocations(network) {
				const entries = await fs.readdir(path.join(hostPath(HOST.cniDataDir), 'networks', network)).catch(() => []);
				return entries.filter(entry => net.isIP(entry) !== 0).sort();
			},
			stop,
		};
	} catch (error) {
		await stop().catch(() => undefined);
		throw error;
	}
}

// The test-process end of the relay: a unix socket in the temp dir whose connections go to the API server.
async function startApiserverRelay(cluster: Cluster, dir: string): Promise<{socketPath: string; close: () => Promise<void>}> {
	const socketPath = path.join(dir, 'apiserver.sock');
	const sockets = new Set<net.Socket>();
	const server = net.createServer(client => {
		const upstream = net.connect(cluster.server.port, cluster.server.host);
		for (const socket of [client, upstream]) {
			sockets.add(socket);
			socket.on('close', () => sockets.delete(socket));
			socket.on('error', () => {
				client.destroy();
				upstream.destroy();
			});
		}

		client.pipe(upstream);
		upstream.pipe(client);
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(socketPath, resolve);
	});
	server.unref();
	return {
		socketPath,
		async close() {
			for (const socket of sockets) {
				socket.destroy();
			}

			await new Promise<void>(resolve => {
				server.close(() => {
					resolve();
				});
			});
		},
	};
}

// Resolves once file exists, woken by directory events; rejects on timeout or when giveUp resolves.
export async function waitForPath(file: string, timeoutMs: number, giveUp?: Promise<string>): Promise<void> {
	const exists = async (): Promise<boolean> => fs.access(file).then(() => true, () => false);
	const watcher = watch(path.dirname(file));
	try {
		await new Promise<void>((resolve, reject) => {
			const timer = setTimeout(() => {
				reject(new Error(`${file} did not appear within ${timeoutMs} ms`));
			}, timeoutMs);
			const check = (): void => {
				void exists().then(found => {
					if (found) {
						clearTimeout(timer);
						resolve();
					}
				});
			};

			watcher.on('change', check);
			watcher.on('error', reject);
			void giveUp?.then(reason => {
				clearTimeout(timer);
				reject(new Error(reason));
			});
			check();
		});
	} finally {
		watcher.close();
	}
}

function parseJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}
