// What the end-to-end tests need from the machine, checked before any test is registered, so a test that
// cannot run is registered as skipped with the reason printed (never skipped silently).
import path from 'node:path';
import {run} from './e2e-process.ts';
import {NODE_PLUGINS} from './e2e-node.ts';
import {checkKubeBinaries, isExecutable} from './kube-apiserver.ts';
import {createNetns} from './netns.ts';

// Where image/build-binaries.sh leaves multus and the plugins (its cache symlink).
export const E2E_BIN_DIR = path.resolve(import.meta.dirname, '../../.cache/bin/current');

export type E2ePrerequisites = {
	// Why nothing can run, or undefined.
	readonly all: string | undefined;
	// Per capability: why it is unavailable, or undefined.
	readonly macvlan: string | undefined;
	readonly ipvlan: string | undefined;
	readonly dnsmasq: string | undefined;
};

export async function checkE2ePrerequisites(): Promise<E2ePrerequisites> {
	const all = await checkBasics();
	if (all !== undefined) {
		return {all, macvlan: all, ipvlan: all, dnsmasq: all};
	}

	const links = await probeLinkTypes();
	if (links.all !== undefined) {
		return {all: links.all, macvlan: links.all, ipvlan: links.all, dnsmasq: links.all};
	}

	return {
		all: undefined,
		macvlan: links.macvlan,
		ipvlan: links.ipvlan,
		dnsmasq: await commandExists('dnsmasq') ? undefined : 'dnsmasq not found: install it (Debian: apt-get install dnsmasq-base)',
	};
}

async function checkBasics(): Promise<string | undefined> {
	if (process.platform !== 'linux') {
		return `needs Linux network namespaces (this is ${process.platform})`;
	}

	if (process.getuid?.() !== 0) {
		return 'needs root (network namespaces, mounts, chroot)';
	}

	const missingCommands: string[] = [];
	for (const command of ['ip', 'unshare', 'chroot', 'mount']) {
		if (!await commandExists(command)) {
			missingCommands.push(command);
		}
	}

	if (missingCommands.length > 0) {
		return `${missingCommands.join(', ')} not found on PATH (Debian: apt-get install iproute2 util-linux coreutils mount)`;
	}

	const missingBinaries = ['multus', ...NODE_PLUGINS].filter(name => !isExecutable(path.join(E2E_BIN_DIR, name)));
	if (missingBinaries.length > 0) {
		return `${missingBinaries.join(', ')} not found in ${E2E_BIN_DIR}: run bash image/build-binaries.sh`;
	}

	const kube = checkKubeBinaries();
	if (kube !== undefined) {
		return kube;
	}

	const unshare = await run('unshare', ['--mount', '--propagation', 'private', '--', 'true']);
	if (unshare.code !== 0) {
		return `cannot create a mount namespace: ${unshare.stderr.trim()}`;
	}

	return undefined;
}

// Creates a throwaway namespace and tries each link type the scenarios use.
async function probeLinkTypes(): Promise<{all?: string; macvlan?: string; ipvlan?: string}> {
	let netns;
	try {
		netns = await createNetns('probe');
	} catch (error) {
		return {all: `cannot create a network namespace: ${(error as Error).message}`};
	}

	try {
		const tryLink = async (...args: string[]): Promise<string | undefined> => {
			const result = await run('ip', ['-n', netns.name, 'link', 'add', ...args]);
			return result.code === 0 ? undefined : result.stderr.trim();
		};

		const veth = await tryLink('probe0', 'type', 'veth', 'peer', 'name', 'probe1');
		const bridge = await tryLink('probebr', 'type', 'bridge');
		if (veth !== undefined || bridge !== undefined) {
			return {all: `the kernel cannot create veth or bridge links: ${veth ?? bridge ?? ''}`};
		}

		const macvlan = await tryLink('probemv', 'link', 'probe0', 'type', 'macvlan', 'mode', 'bridge');
		const ipvlan = await tryLink('probeiv', 'link', 'probe1', 'type', 'ipvlan', 'mode', 'l2');
		return {
			macvlan: macvlan === undefined ? undefined : `the kernel cannot create macvlan links (CONFIG_MACVLAN): ${macvlan}`,
			ipvlan: ipvlan === undefined ? undefined : `the kernel cannot create ipvlan links (CONFIG_IPVLAN): ${ipvlan}`,
		};
	} finally {
		await netns.remove();
	}
}

async function commandExists(command: string): Promise<boolean> {
	const result = await run('/bin/sh', ['-c', 'command -v "$1"', 'sh', command], {env: {PATH: process.env['PATH']}});
	return result.code === 0;
}
