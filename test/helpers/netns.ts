// Named network namespaces (ip netns) for the end-to-end tests. Names carry this process's pid, so two
// runs never collide; every namespace still present when this process ends is deleted (see e2e-guard.ts).
import {guard} from './e2e-guard.ts';
import {run, runOk, startBackground, type Background, type RunOptions, type RunResult} from './e2e-process.ts';

// One interface as `ip -j addr` reports it.
export type Link = {
	ifname: string;
	ifindex: number;
	link?: string;
	// For a veth whose peer is in another namespace: the peer's ifindex there.
	link_index?: number;
	master?: string;
	operstate?: string;
	address?: string;
	addr_info?: Array<{family: string; local: string; prefixlen: number}>;
};

export type Netns = {
	readonly name: string;
	// The path a CNI runtime passes as CNI_NETNS (the ip netns bind mount).
	readonly path: string;
	// Runs a command inside this namespace (ip netns exec).
	exec(command: string, args: readonly string[], options?: RunOptions): Promise<RunResult>;
	execOk(command: string, args: readonly string[], options?: RunOptions): Promise<string>;
	spawn(name: string, command: string, args: readonly string[], env?: NodeJS.ProcessEnv): Background;
	// ip -n <name> <args>; throws on failure.
	ip(...args: string[]): Promise<string>;
	links(): Promise<Link[]>;
	// The IPv4 addresses of one interface, e.g. ["192.168.20.200/24"].
	ipv4(ifname: string): Promise<string[]>;
	remove(): Promise<void>;
};

// Prefix of every namespace this process creates.
export const NETNS_PREFIX = `e2e${process.pid}-`;

// Creates a network namespace named <NETNS_PREFIX><label> with lo up.
export async function createNetns(label: string): Promise<Netns> {
	const name = `${NETNS_PREFIX}${label}`;
	const release = guard('netns', name); // before it exists: a kill in between must not leak it
	try {
		await runOk('ip', ['netns', 'add', name]);
	} catch (error) {
		release();
		throw error;
	}

	let removed = false;
	const netns: Netns = {
		name,
		path: `/run/netns/${name}`,
		exec: async (command, args, options) => run('ip', ['netns', 'exec', name, command, ...args], withPath(options)),
		execOk: async (command, args, options) => runOk('ip', ['netns', 'exec', name, command, ...args], withPath(options)),
		spawn: (label, command, args, env) => startBackground(label, 'ip', ['netns', 'exec', name, command, ...args], {PATH: process.env['PATH'], ...env}),
		ip: async (...args) => runOk('ip', ['-n', name, ...args]),
		async links() {
			return JSON.parse(await runOk('ip', ['-n', name, '-j', 'addr', 'show'])) as Link[];
		},
		async ipv4(ifname) {
			const link = (await netns.links()).find(candidate => candidate.ifname === ifname);
			return (link?.addr_info ?? []).filter(info => info.family === 'inet').map(info => `${info.local}/${info.prefixlen}`);
		},
		async remove() {
			if (!removed) {
				removed = true;
				await runOk('ip', ['netns', 'delete', name]);
				release();
			}
		},
	};
	await netns.ip('link', 'set', 'lo', 'up');
	return netns;
}

function withPath(options: RunOptions | undefined): RunOptions {
	return {...options, env: {PATH: process.env['PATH'], ...options?.env}};
}
