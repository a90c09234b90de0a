// `multus-agent sandbox`: runs the real agent on a throwaway host root, and plays a short scripted demo.
import {randomBytes} from 'node:crypto';
import {watch} from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {runAgent} from '../agent.ts';
import {FLAGS, parseArgs} from '../flags.ts';
import {createLogger} from '../log.ts';
import {resolveOptions} from '../options.ts';
import {writeProjectedVolume} from './projected-volume.ts';

const PLUGINS = ['bridge', 'macvlan', 'ipvlan', 'host-local', 'dhcp', 'static'];

// The ovn-kubernetes primary config as MicroShift writes it.
const OVN_PRIMARY = {
	cniVersion: '0.4.0',
	name: 'ovn-kubernetes',
	type: 'ovn-k8s-cni-overlay',
	ipam: {},
	dns: {},
	logFile: '/var/log/ovn-kubernetes/ovn-k8s-cni-overlay.log',
	logLevel: '4',
	'logfile-maxsize': 100,
	'logfile-maxbackups': 5,
	'logfile-maxage': 5,
};

// A placeholder CA: the sandbox has no API server, so nothing verifies against it.
const SANDBOX_CA = '-----BEGIN CERTIFICATE-----\nc2FuZGJveCBDQSwgbm90IGEgcmVhbCBjZXJ0aWZpY2F0ZQ==\n-----END CERTIFICATE-----\n';

// Creates the sandbox, runs the agent on it until signal aborts, and returns the agent's exit code.
export async function runSandbox(argv: readonly string[], env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<number> {
	const root = await fs.mkdtemp(path.join(os.tmpdir(), 'multus-agent-sandbox-'));
	const host = path.join(root, 'host');
	const serviceAccount = path.join(root, 'serviceaccount');
	await createHostRoot(root, host, serviceAccount);
	const args = parseArgs([
		`--host-prefix=${host}`,
		`--service-account-dir=${serviceAccount}`,
		`--cni-bin-dir=${path.join(host, 'run/cni/bin')}`,
		`--multus-bin-file=${path.join(root, 'src/multus-cni/bin/multus')}`,
		`--cni-plugins-source-dir=${path.join(root, 'src/plugins/bin')}`,
		'--readiness-indicator-file=/etc/cni/net.d/10-ovn-kubernetes.conf',
		// The sandbox has no API server to check against.
		'--api-self-check=false',
		...argv,
	], FLAGS);
	const options = resolveOptions(args, {...env, KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: '6443'});
	const log = createLogger(options.logLevel);
	process.stderr.write(`\nSandbox host root: ${host}\nThe agent installs binaries and the kubeconfig, waits for ovn-kubernetes, writes the Multus config, then follows a token rotation.\nTry it yourself: edit or delete files under ${path.join(host, 'etc/cni/net.d')}. Ctrl-C stops the agent.\n\n`);
	void playDemo(host, serviceAccount, signal).then(() => {
		log.info({event: 'sandbox-demo-done', root}, 'demo finished; the agent keeps watching until Ctrl-C');
	}, () => undefined);
	await runAgent(options, log, signal);
	log.info({event: 'stopped', root}, `stopped cleanly; the sandbox stays at ${root}`);
	return 0;
}

async function createHostRoot(root: string, host: string, serviceAccount: string): Promise<void> {
	for (const directory of ['etc/cni/net.d', 'run/cni/bin', 'var/lib/cni']) {
		await fs.mkdir(path.join(host, directory), {recursive: true});
	}

	const stub = (name: string): string => `#!/bin/sh\n# sandbox stand-in for the ${name} CNI plugin\necho '{"cniVersion":"1.1.0","supportedVersions":["0.3.1","0.4.0","1.0.0","1.1.0"]}'\n`;
	await fs.mkdir(path.join(root, 'src/multus-cni/bin'), {recursive: true});
	await fs.writeFile(path.join(root, 'src/multus-cni/bin/multus'), stub('multus'), {mode: 0o755});
	await fs.mkdir(path.join(root, 'src/plugins/bin'), {recursive: true});
	for (const name of PLUGINS) {
		await fs.writeFile(path.join(root, 'src/plugins/bin', name), stub(name), {mode: 0o755});
	}

	await writeProjectedVolume(serviceAccount, {token: sandboxToken(), 'ca.crt': SANDBOX_CA, namespace: 'openshift-multus'});
}

async function playDemo(host: string, serviceAccount: string, signal: AbortSignal): Promise<void> {
	const confDir = path.join(host, 'etc/cni/net.d');
	const privateDir = path.join(confDir, 'multus.d');
	const statusFile = path.join(privateDir, 'agent-status.json');
	await waitUntil(confDir, async () => exists(privateDir), signal);
	await waitUntil(privateDir, async () => (await fs.readFile(statusFile, 'utf8').catch(() => '')).includes('"phase": "waiting"'), signal);
	await delay(1000, signal);
	process.stderr.write('demo: ovn-kubernetes becomes ready (writes 10-ovn-kubernetes.conf)\n');
	await fs.writeFile(path.join(confDir, '10-ovn-kubernetes.conf'), `${JSON.stringify(OVN_PRIMARY, null, 2)}\n`);
	await waitUntil(confDir, async () => exists(path.join(confDir, '00-multus.conf')), signal);
	await delay(1000, signal);
	process.stderr.write('demo: kubelet rotates the service-account token (..data swap)\n');
	await writeProjectedVolume(serviceAccount, {token: sandboxToken(), 'ca.crt': SANDBOX_CA, namespace: 'openshift-multus'});
}

function sandboxToken(): string {
	return `sandbox-token-${randomBytes(12).toString('hex')}`;
}

async function exists(file: string): Promise<boolean> {
	return fs.access(file).then(() => true, () => false);
}

// Resolves once check() holds, re-checking on every change in directory (an event, not a timer).
async function waitUntil(directory: string, check: () => Promise<boolean>, signal: AbortSignal): Promise<void> {
	const ac = new AbortController();
	signal.addEventListener('abort', () => {
		ac.abort();
	}, {once: true});
	const watcher = watch(directory, {signal: ac.signal});
	try {
		await new Promise<void>((resolve, reject) => {
			const test = (): void => {
				void check().then(holds => {
					if (holds) {
						resolve();
					}
				});
			};

			watcher.on('change', test);
			watcher.on('error', reject);
			ac.signal.addEventListener('abort', () => {
				reject(new Error('aborted'));
			});
			test();
		});
	} finally {
		ac.abort();
	}
}

async function delay(ms: number, signal: AbortSignal): Promise<void> {
	const {setTimeout: sleep} = await import('node:timers/promises');
	await sleep(ms, undefined, {signal});
}
