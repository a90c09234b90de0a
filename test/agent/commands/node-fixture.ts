// A temporary MicroShift-like node for doctor, render, status and uninstall: CRI-O drop-in, ovn primary, plugins that answer VERSION.
import fs from 'node:fs/promises';
import path from 'node:path';
import type {ExecutionContext} from 'ava';
import {parseArgs} from '../../../agent/flags.ts';
import {resolveOptions, type Options} from '../../../agent/options.ts';
import {startAgent} from '../../helpers/agent-process.ts';
import {findFreePorts} from '../../helpers/free-ports.ts';
import {createHostRoot, PLUGINS, writePrimary, type HostRoot} from '../../helpers/host-root.ts';
import {writeFakePlugin, writeFile} from './helpers.ts';

// The CRI-O drop-in the microshift-multus RPM ships, with plugin_dirs pointing at the test bin dir.
export const CRIO_DROP_IN = `[crio.network]
# Override default network so CRI-O waits for and calls Multus CNI instead of ovn-kubernetes.
cni_default_network = "multus-cni-network"

plugin_dirs = [
        "/opt/cni/bin",
]
`;

// A node and the flags that describe it.
export interface TestNode extends HostRoot {
	/** Agent flags: the host root's, plus plugins that answer VERSION and the readiness indicator. */
	readonly flags: string[];
	options(extra?: string[]): Options;
}

// Creates the node: sources that answer VERSION, the ovn primary and its binary, the CRI-O drop-ins.
export async function createTestNode(t: ExecutionContext): Promise<TestNode> {
	const node = await createHostRoot();
	t.teardown(async () => node.cleanup());
	const sources = path.join(node.root, 'src/answering');
	for (const name of PLUGINS) {
		await writeFakePlugin(sources, name);
	}

	await writeFakePlugin(sources, 'multus');
	await writeFakePlugin(node.binDir, 'ovn-k8s-cni-overlay');
	await writePrimary(node);
	await writeFile(path.join(node.host, 'etc/crio/crio.conf.d/11-microshift-ovn.conf'), '[crio.network]\ncni_default_network = "ovn-kubernetes"\n');
	await writeFile(path.join(node.host, 'etc/crio/crio.conf.d/12-microshift-multus.conf'), CRIO_DROP_IN);
	const [closedPort] = await findFreePorts(1) as [number];
	const flags = [...node.args, `--multus-bin-file=${path.join(sources, 'multus')}`, `--cni-plugins-source-dir=${sources}`, '--readiness-indicator-file=/etc/cni/net.d/10-ovn-kubernetes.conf'];
	const env = {KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(closedPort)};
	return {
		...node,
		env,
		flags,
		options: (extra: string[] = []) => resolveOptions(parseArgs([...flags, ...extra]), env),
	};
}

// Runs the real agent on the node until it is ready, then stops it (SIGTERM); the files stay.
export async function installWithAgent(node: TestNode, extra: string[] = [], env: NodeJS.ProcessEnv = node.env): Promise<void> {
	const agent = startAgent([...node.flags, ...extra], env);
	try {
		await agent.waitFor('ready');
	} finally {
		await agent.stop('SIGTERM');
	}
}

// Reads a file under the node's host root.
export async function readHostFile(node: TestNode, hostPath: string): Promise<string> {
	return fs.readFile(path.join(node.host, hostPath), 'utf8');
}
