import {accessSync, constants} from 'node:fs';
import {mkdir, mkdtemp, readFile, rm} from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {findFreePorts} from './free-ports.ts';
import {getText} from './http-get.ts';
import {createKubePki, type KubePki} from './kube-pki.ts';
import {writeKubeconfig} from './kubeconfig.ts';
import {pollUntil, type ProbeResult} from './poll.ts';
import {createSupervisor, type SupervisedProcess} from './supervisor.ts';

// A running etcd + kube-apiserver pair on 127.0.0.1, with admin credentials.
export type KubeApiserver = {
	url: string;
	host: '127.0.0.1';
	port: number;
	caPem: string;
	caFile: string;
	adminKubeconfigPath: string;
	serviceAccountIssuer: string;
	dir: string;
	stop(): Promise<void>;
};

// Where test/kube/build.sh leaves the binaries.
export const defaultBinDir = path.resolve(import.meta.dirname, '../../.cache/kube/current');

const serviceAccountIssuer = 'https://kubernetes.default.svc';
const readyPoll = {intervalMs: 100, timeoutMs: 60_000};
const stopGraceMs = 10_000;
const logTailLines = 30;

// Returns why etcd or kube-apiserver cannot be run from binDir, or undefined when both are there.
export function checkKubeBinaries(binDir = defaultBinDir): string | undefined {
	const missing = ['etcd', 'kube-apiserver'].filter((name) => !isExecutable(path.join(binDir, name)));
	if (missing.length === 0) {
		return undefined;
	}
	return `${missing.join(' and ')} not found in ${binDir}: run test/kube/build.sh (the first build takes several minutes)`;
}

// Starts etcd and kube-apiserver on free loopback ports with a fresh PKI in a temp dir; stop() undoes it all.
export async function startKubeApiserver(opts: {binDir?: string} = {}): Promise<KubeApiserver> {
	const binDir = opts.binDir ?? defaultBinDir;
	const problem = checkKubeBinaries(binDir);
	if (problem !== undefined) {
		throw new Error(`cannot start kube-apiserver: ${problem}`);
	}
	const dir = await mkdtemp(path.join(os.tmpdir(), 'kube-apiserver-'));
	const supervisor = createSupervisor(dir);
	const started: SupervisedProcess[] = [];
	let stopping: Promise<void> | undefined;
	const stop = () => {
		stopping ??= supervisor.stopAll(stopGraceMs).then(() => rm(dir, {recursive: true, force: true}));
		return stopping;
	};

	try {
		await mkdir(path.join(dir, 'pki'));
		const pki = await createKubePki(path.join(dir, 'pki'));
		const [etcdPort, etcdPeerPort, port] = (await findFreePorts(3)) as [number, number, number];
		const url = `https://127.0.0.1:${port}`;

		const etcd = supervisor.start('etcd', path.join(binDir, 'etcd'),
			[`--data-dir=${path.join(dir, 'etcd')}`, `--client-port=${etcdPort}`, `--peer-port=${etcdPeerPort}`],
			path.join(dir, 'etcd.log'));
		started.push(etcd);
		await pollUntil('etcd /health', () => probeEtcd(etcdPort), {...readyPoll, giveUp: describeExit(etcd)});

		const apiserver = supervisor.start('kube-apiserver', path.join(binDir, 'kube-apiserver'),
			buildApiserverArgs(dir, pki, etcdPort, port), path.join(dir, 'kube-apiserver.log'));
		started.push(apiserver);
		await pollUntil(`kube-apiserver ${url}/readyz`, () => probeReadyz(url, pki), {
			...readyPoll,
			giveUp: Promise.race([describeExit(etcd), describeExit(apiserver)]),
		});

		const adminKubeconfigPath = path.join(dir, 'admin.kubeconfig');
		await writeKubeconfig(adminKubeconfigPath, {server: url, caPem: pki.caPem},
			{clientCertificatePem: pki.adminCertPem, clientKeyPem: pki.adminKeyPem});
		return {url, host: '127.0.0.1', port, caPem: pki.caPem, caFile: pki.caFile, adminKubeconfigPath, serviceAccountIssuer, dir, stop};
	} catch (error) {
		const logs = await readLogTails(started);
		await stop();
		throw new Error(`failed to start kube-apiserver: ${error instanceof Error ? error.message : String(error)}${logs}`, {cause: error});
	}
}

function buildApiserverArgs(dir: string, pki: KubePki, etcdPort: number, port: number): string[] {
	return [
		`--etcd-servers=http://127.0.0.1:${etcdPort}`,
		'--bind-address=127.0.0.1',
		'--advertise-address=127.0.0.1',
		`--secure-port=${port}`,
		`--cert-dir=${path.join(dir, 'certs')}`,
		`--tls-cert-file=${pki.servingCertFile}`,
		`--tls-private-key-file=${pki.servingKeyFile}`,
		`--client-ca-file=${pki.caFile}`,
		'--authorization-mode=Node,RBAC',
		`--service-account-issuer=${serviceAccountIssuer}`,
		`--service-account-key-file=${pki.serviceAccountPublicKeyFile}`,
		`--service-account-signing-key-file=${pki.serviceAccountPrivateKeyFile}`,
		`--api-audiences=${serviceAccountIssuer}`,
		'--service-cluster-ip-range=10.96.0.0/24',
		// On top of the defaults. ServiceAccount admission stays on as in a real cluster: without a
		// controller-manager nobody creates the "default" ServiceAccount, so a test must create the
		// ServiceAccount a pod names (default: "default") before creating the pod.
		'--enable-admission-plugins=NamespaceLifecycle,ServiceAccount,NodeRestriction',
		// No kube-proxy or nodes: do not publish 127.0.0.1 as the "kubernetes" service endpoint.
		'--endpoint-reconciler-type=none',
		'--allow-privileged=true',
		'--profiling=false',
	];
}

async function probeEtcd(port: number): Promise<ProbeResult> {
	const {status, body} = await getText(`http://127.0.0.1:${port}/health`, {timeoutMs: 2000});
	return status === 200 && body.includes('"health":"true"') ? true : `HTTP ${status}: ${body.trim()}`;
}

async function probeReadyz(url: string, pki: KubePki): Promise<ProbeResult> {
	const {status, body} = await getText(`${url}/readyz`, {ca: pki.caPem, cert: pki.adminCertPem, key: pki.adminKeyPem, timeoutMs: 2000});
	if (status === 200) {
		return true;
	}
	const failing = body.split('\n').filter((line) => line.startsWith('[-]'));
	return `HTTP ${status}${failing.length > 0 ? `: ${failing.join(', ')}` : ''}`;
}

async function describeExit(child: SupervisedProcess): Promise<string> {
	return `${child.name} ${await child.exited}`;
}

async function readLogTails(processes: SupervisedProcess[]): Promise<string> {
	let text = '';
	for (const {name, logFile} of processes) {
		const log = await readFile(logFile, 'utf8').catch(() => '');
		const tail = log.trimEnd().split('\n').slice(-logTailLines).join('\n');
		text += `\n--- last ${logTailLines} lines of ${name} log ---\n${tail}`;
	}
	return text;
}

// Tells whether file exists and may be executed.
export function isExecutable(file: string): boolean {
	try {
		accessSync(file, constants.X_OK);
		return true;
	} catch {
		return false;
	}
}
