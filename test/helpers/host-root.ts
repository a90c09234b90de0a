// A temporary node: host root (conf dir, bin dir), service-account dir in kubelet layout, and source binaries.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {writeProjectedVolume} from './kubelet.ts';

export const PLUGINS = ['bridge', 'macvlan', 'ipvlan', 'host-local', 'dhcp', 'static'];

// A fake CA bundle: the agent embeds it; nothing in these tests verifies TLS.
export const TEST_CA = '-----BEGIN CERTIFICATE-----\nTUlJQnRlc3RDQQ==\n-----END CERTIFICATE-----\n';

// The ovn-kubernetes primary as MicroShift writes it.
export const OVN_PRIMARY = {cniVersion: '0.4.0', name: 'ovn-kubernetes', type: 'ovn-k8s-cni-overlay', ipam: {}, dns: {}};

// Paths of one temporary node.
export interface HostRoot {
	readonly root: string;
	readonly host: string;
	readonly confDir: string;
	readonly binDir: string;
	readonly serviceAccount: string;
	readonly sources: string;
	readonly multusSource: string;
	readonly kubeconfig: string;
	/** Flags that point the agent at this node. */
	readonly args: string[];
	readonly env: NodeJS.ProcessEnv;
	cleanup(): Promise<void>;
}

// Creates a node with a token "token-1" and every source binary (small scripts with distinct bytes).
export async function createHostRoot(): Promise<HostRoot> {
	const root = await fs.mkdtemp(path.join(os.tmpdir(), 'multus-agent-test-'));
	const host = path.join(root, 'host');
	const confDir = path.join(host, 'etc/cni/net.d');
	const binDir = path.join(host, 'opt/cni/bin');
	await fs.mkdir(confDir, {recursive: true});
	await fs.mkdir(binDir, {recursive: true});
	const sources = path.join(root, 'src/plugins/bin');
	await fs.mkdir(sources, {recursive: true});
	for (const name of PLUGINS) {
		await fs.writeFile(path.join(sources, name), `#!/bin/sh\n# ${name} v1\n`, {mode: 0o755});
	}

	const multusSource = path.join(root, 'src/multus');
	await fs.writeFile(multusSource, '#!/bin/sh\n# multus v1\n', {mode: 0o755});
	const serviceAccount = path.join(root, 'serviceaccount');
	await writeProjectedVolume(serviceAccount, {token: 'token-1', 'ca.crt': TEST_CA});
	return {
		root,
		host,
		confDir,
		binDir,
		serviceAccount,
		sources,
		multusSource,
		kubeconfig: path.join(confDir, 'multus.d/multus.kubeconfig'),
		args: [`--host-prefix=${host}`, `--service-account-dir=${serviceAccount}`, `--multus-bin-file=${multusSource}`, `--cni-plugins-source-dir=${sources}`, '--api-self-check=false'],
		env: {KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: '1'},
		async cleanup() {
			await fs.rm(root, {recursive: true, force: true});
		},
	};
}

// Writes the ovn-kubernetes primary (or another config) into the conf dir, atomically like a careful owner.
export async function writePrimary(node: HostRoot, config: object = OVN_PRIMARY, name = '10-ovn-kubernetes.conf'): Promise<string> {
	const file = path.join(node.confDir, name);
	await fs.writeFile(`${file}.partial`, JSON.stringify(config));
	await fs.rename(`${file}.partial`, file);
	return file;
}

// Every file under a directory with its bytes, for "nothing changed" assertions.
export async function snapshot(directory: string): Promise<Record<string, string>> {
	const result: Record<string, string> = {};
	for (const entry of await fs.readdir(directory, {recursive: true, withFileTypes: true})) {
		const file = path.join(entry.parentPath, entry.name);
		const stat = await fs.lstat(file);
		result[path.relative(directory, file)] = stat.isFile() ? `${(stat.mode & 0o7777).toString(8)}:${await fs.readFile(file, 'utf8')}` : (stat.isSymbolicLink() ? `-> ${await fs.readlink(file)}` : 'dir');
	}

	return result;
}
