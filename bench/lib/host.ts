// One benchmark node: a temporary host root with MicroShift's layout, the real binaries as sources, a kubelet-style token.
import {statfsSync} from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {writeProjectedVolume} from '../../agent/sandbox/projected-volume.ts';

// The ovn-kubernetes primary as MicroShift writes it (the readiness indicator file is this file).
export const OVN_PRIMARY = {cniVersion: '0.4.0', name: 'ovn-kubernetes', type: 'ovn-k8s-cni-overlay', ipam: {}, dns: {}};
export const PRIMARY_NAME = '10-ovn-kubernetes.conf';
export const CONFIG_NAME = '00-multus.conf';
export const PLUGINS = ['bridge', 'macvlan', 'ipvlan', 'host-local', 'dhcp', 'static'];
export const TEST_CA = '-----BEGIN CERTIFICATE-----\nTUlJQnRlc3RDQQ==\n-----END CERTIFICATE-----\n';

const TMPFS_MAGIC = 0x01021994;

// Paths of one node (container paths: the host root is what the pod mounts under /host).
export interface BenchNode {
	readonly root: string;
	/** Mounted at /host in the pod: etc/cni/net.d lives here (on disk, as on the host). */
	readonly host: string;
	readonly confDir: string;
	/** /host/run/cni/bin: on tmpfs when one is available, as /run is on the host. */
	readonly binDir: string;
	readonly serviceAccount: string;
	readonly primary: string;
	readonly config: string;
	readonly kubeconfig: string;
	readonly status: string;
	cleanup(): Promise<void>;
}

// Where temporary bin dirs go: a tmpfs (as /run/cni/bin is on a MicroShift host) when one exists, else the temp dir.
export function binBase(preferDisk: boolean): {dir: string; tmpfs: boolean} {
	if (!preferDisk) {
		for (const candidate of ['/dev/shm']) {
			try {
				if (statfsSync(candidate).type === TMPFS_MAGIC) {
					return {dir: candidate, tmpfs: true};
				}
			} catch {
				// Not there.
			}
		}
	}

	return {dir: os.tmpdir(), tmpfs: statfsSync(os.tmpdir()).type === TMPFS_MAGIC};
}

// Creates a node with the primary in place (unless withPrimary is false), an empty bin dir and token-1.
// serviceAccount: a directory to (re)fill instead of one inside the root (upstream reads a fixed path).
export async function createNode(label: string, options: {binParent: string; serviceAccount?: string}): Promise<BenchNode> {
	const root = await fs.mkdtemp(path.join(os.tmpdir(), `multus-bench-${label}-`));
	const binRoot = await fs.mkdtemp(path.join(options.binParent, `multus-bench-${label}-bin-`));
	const host = path.join(root, 'host');
	const confDir = path.join(host, 'etc/cni/net.d');
	const binDir = path.join(binRoot, 'run/cni/bin');
	await fs.mkdir(confDir, {recursive: true});
	await fs.mkdir(binDir, {recursive: true});
	const serviceAccount = options.serviceAccount ?? path.join(root, 'serviceaccount');
	await resetDirectory(serviceAccount);
	await writeProjectedVolume(serviceAccount, {token: 'token-1', 'ca.crt': TEST_CA});
	const node: BenchNode = {
		root,
		host,
		confDir,
		binDir,
		serviceAccount,
		primary: path.join(confDir, PRIMARY_NAME),
		config: path.join(confDir, CONFIG_NAME),
		kubeconfig: path.join(confDir, 'multus.d/multus.kubeconfig'),
		status: path.join(confDir, 'multus.d/agent-status.json'),
		async cleanup() {
			await fs.rm(root, {recursive: true, force: true});
			await fs.rm(binRoot, {recursive: true, force: true});
		},
	};
	await writePrimary(node);
	return node;
}

// Writes the primary as a careful owner does (temp file, rename), with optional extra keys.
export async function writePrimary(node: BenchNode, extra: Record<string, unknown> = {}): Promise<void> {
	await fs.writeFile(`${node.primary}.partial`, JSON.stringify({...OVN_PRIMARY, ...extra}));
	await fs.rename(`${node.primary}.partial`, node.primary);
}

// Rotates the token the way kubelet does (a new ..<timestamp> dir and a ..data symlink swap).
export async function rotateToken(node: BenchNode, token: string): Promise<void> {
	await writeProjectedVolume(node.serviceAccount, {token, 'ca.crt': TEST_CA});
}

// Empties a directory (creating it), keeping the directory itself (it may be a bind-mount source).
export async function resetDirectory(directory: string): Promise<void> {
	await fs.mkdir(directory, {recursive: true});
	for (const entry of await fs.readdir(directory)) {
		await fs.rm(path.join(directory, entry), {recursive: true, force: true});
	}
}

// Names and sizes of the regular files in a directory.
export async function listFiles(directory: string): Promise<Map<string, number>> {
	const files = new Map<string, number>();
	for (const entry of await fs.readdir(directory, {withFileTypes: true})) {
		if (entry.isFile()) {
			files.set(entry.name, (await fs.stat(path.join(directory, entry.name))).size);
		}
	}

	return files;
}
