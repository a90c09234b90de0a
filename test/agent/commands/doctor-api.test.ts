// doctor, the agent's API self-check and lint --cluster against a real kube-apiserver with deploy/base applied.
import path from 'node:path';
import {PassThrough} from 'node:stream';
import test from 'ava';
import {ApiSelfCheck, runApiSelfCheck} from '../../../agent/commands/self-check.ts';
import {renderKubeconfig} from '../../../agent/kubeconfig.ts';
import {createLogger} from '../../../agent/log.ts';
import type {Options} from '../../../agent/options.ts';
import {checkKubeBinaries, startKubeApiserver, type KubeApiserver} from '../../helpers/kube-apiserver.ts';
import {writeProjectedVolume} from '../../helpers/kubelet.ts';
import {runCli, writeFile} from './helpers.ts';
import {applyBase, createNad, createNamespace, createPod, createRoleWithout, mintToken} from './kube-fixture.ts';
import {createTestNode, installWithAgent} from './node-fixture.ts';

const missing = checkKubeBinaries();
if (missing !== undefined) {
	console.log(`skipping the kube-apiserver tests of doctor, the self-check and lint --cluster: ${missing}`);
}

const kubeTest = missing === undefined ? test.serial : test.skip;
const MAIN = path.resolve(import.meta.dirname, '../../../agent/main.ts');
let server: KubeApiserver | undefined;
let brokenToken = '';

test.before(async () => {
	if (missing !== undefined) {
		return;
	}

	server = await startKubeApiserver();
	await applyBase(server);
	await createRoleWithout(server, 'multus-no-status', 'pods/status');
	brokenToken = await mintToken(server, 'multus-no-status');
	await createNamespace(server, 'default');
	await createNamespace(server, 'team-a');
});

test.after.always(async () => {
	await server?.stop();
});

const serviceEnv = (): NodeJS.ProcessEnv => ({KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(server!.port)});
const kubeconfigFor = (token: string, url = server!.url): string => renderKubeconfig(url, {token, ca: server!.caPem});

// A log sink: every JSON line the logger writes.
function logSink(): {log: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>>} {
	const stream = new PassThrough();
	const lines: Array<Record<string, unknown>> = [];
	stream.on('data', (chunk: Buffer) => {
		for (const line of chunk.toString().split('\n').filter(Boolean)) {
			lines.push(JSON.parse(line) as Record<string, unknown>);
		}
	});
	return {log: createLogger('info', stream), lines};
}

kubeTest('doctor on a node the agent set up with the deploy/base role: every check ok, exit 0', async t => {
	const node = await createTestNode(t);
	await writeProjectedVolume(node.serviceAccount, {token: await mintToken(server!, 'multus'), 'ca.crt': server!.caPem});
	await installWithAgent(node, [], serviceEnv());
	const result = await runCli(['doctor', ...node.flags, '--output=json'], {env: serviceEnv()});
	const report = JSON.parse(result.stdout) as {checks: Array<{check: string; verdict: string; message: string}>; summary: Record<string, number>};
	t.deepEqual(report.checks.filter(check => check.verdict !== 'ok' && check.verdict !== 'skip'), []);
	t.deepEqual(report.checks.map(check => check.check), ['crio-default-network', 'crio-plugin-dirs', 'crio-network-dir', 'config-first', 'config-valid', 'config-delegates', 'primary', 'readiness-indicator', 'binary multus', 'binary ovn-k8s-cni-overlay', 'binary bridge', 'binary macvlan', 'binary ipvlan', 'binary host-local', 'binary dhcp', 'binary static', 'kubeconfig', 'token', 'api-authentication', 'api-permission', 'api-permission', 'api-permission', 'api-permission', 'dhcp-daemon']);
	t.is(report.checks.find(check => check.check === 'api-authentication')?.message, `${server!.url} accepts the token as system:serviceaccount:openshift-multus:multus`);
	t.is(result.code, 0, result.stdout);

	await createNad(server!, 'default', 'macvlan-dhcp', {cniVersion: '0.4.0', type: 'macvlan', master: 'eth1', ipam: {type: 'dhcp'}});
	const withDhcp = await runCli(['doctor', ...node.flags], {env: serviceEnv()});
	t.is(withDhcp.code, 11);
	t.true(withDhcp.stdout.replaceAll(node.root, '<root>').replaceAll(/ {2,}/g, '  ').includes('FAIL  dhcp-daemon  default/macvlan-dhcp uses dhcp but <root>/host/run/cni/dhcp.sock does not exist: pods fail with "error dialing DHCP daemon"\n'), withDhcp.stdout);
});

kubeTest('doctor --api-only with a role missing pods/status: that permission fails with the rule to add, exit 11', async t => {
	const node = await createTestNode(t);
	const file = await writeFile(path.join(node.root, 'broken.kubeconfig'), kubeconfigFor(brokenToken), 0o600);
	const result = await runCli(['doctor', '--api-only', `--kubeconfig=${file}`]);
	t.is(result.code, 11);
	const lines = result.stdout.replaceAll(node.root, '<root>').replaceAll(server!.url, '<server>').split('\n');
	t.deepEqual(lines.filter(line => line.startsWith('FAIL') || line.includes('Fix:')), [
		'FAIL  api-permission      system:serviceaccount:openshift-multus:multus-no-status may not update pods/status, which Multus needs to write the k8s.v1.cni.cncf.io/network-status annotation',
		'                          Fix: Grant it: the ClusterRole bound to system:serviceaccount:openshift-multus:multus-no-status needs {apiGroups: [""], resources: ["pods/status"], verbs: ["update"]} (see deploy/base/03-cluster-role.yaml).',
	]);
});

kubeTest('doctor --server overrides the kubeconfig\'s unreachable in-cluster address', async t => {
	const node = await createTestNode(t);
	const file = await writeFile(path.join(node.root, 'incluster.kubeconfig'), kubeconfigFor(await mintToken(server!, 'multus'), `https://127.0.0.1:${node.env['KUBERNETES_SERVICE_PORT']}`), 0o600);
	t.is((await runCli(['doctor', '--api-only', `--kubeconfig=${file}`])).code, 11);
	const result = await runCli(['doctor', '--api-only', `--kubeconfig=${file}`, `--server=${server!.url}`]);
	t.is(result.code, 0, result.stdout);
});

kubeTest('the self-check logs one line per missing permission', async t => {
	const node = await createTestNode(t);
	await writeFile(path.join(node.confDir, 'multus.d/multus.kubeconfig'), kubeconfigFor(brokenToken), 0o600);
	const {log, lines} = logSink();
	const outcome = await runApiSelfCheck(node.options(), log, new AbortController().signal, {command: [process.execPath, MAIN]});
	t.is(outcome, 'missing-permissions');
	t.deepEqual(lines.map(line => [line['event'], line['msg']]), [
		['api-permission-missing', 'the multus binary (system:serviceaccount:openshift-multus:multus-no-status) may not update pods/status, so it cannot write the k8s.v1.cni.cncf.io/network-status annotation. Fix: add {apiGroups: [""], resources: ["pods/status"], verbs: ["update"]} to the ClusterRole bound to it (deploy/base/03-cluster-role.yaml)'],
	]);
});

kubeTest('the self-check retries while the API server is unreachable, then reports', async t => {
	const node = await createTestNode(t);
	const file = path.join(node.confDir, 'multus.d/multus.kubeconfig');
	const token = await mintToken(server!, 'multus');
	await writeFile(file, kubeconfigFor(token, `https://127.0.0.1:${node.env['KUBERNETES_SERVICE_PORT']}`), 0o600);
	const {log, lines} = logSink();
	const check = new ApiSelfCheck(node.options() as Options, log, {command: [process.execPath, MAIN], retryMinMs: 200, retryMaxMs: 400});
	t.teardown(async () => check.close());
	check.start();
	while (!lines.some(line => line['event'] === 'api-unreachable')) {
		await new Promise(resolve => setTimeout(resolve, 50));
	}

	await writeFile(file, kubeconfigFor(token), 0o600);
	t.is(await check.settled(), 'ok');
	t.deepEqual(lines.map(line => line['event']), ['api-unreachable', 'api-access-ok']);
	t.is(lines[1]?.['msg'], 'the multus binary\'s kubeconfig authenticates as system:serviceaccount:openshift-multus:multus and has every permission Multus needs');
});

kubeTest('lint --cluster: a missing NAD is an error (NoNetworkFound), and so is a broken NAD', async t => {
	await createNad(server!, 'team-a', 'bridge-conf', {cniVersion: '0.4.0', type: 'bridge', bridge: 'br-test', ipam: {type: 'host-local', subnet: '10.10.0.0/24', rangeStart: '10.10.0.20', rangeEnd: '10.10.0.50'}});
	await createNad(server!, 'team-a', 'ipvlan-dhcp', {cniVersion: '0.4.0', type: 'ipvlan', master: 'eth1', ipam: {type: 'dhcp'}});
	await createPod(server!, 'team-a', 'ok-pod', 'bridge-conf@net1');
	await createPod(server!, 'team-a', 'bad-pod', 'bad-conf');
	const result = await runCli(['lint', '--cluster', '--namespace=team-a', '--output=json'], {env: {KUBECONFIG: server!.adminKubeconfigPath}});
	t.is(result.code, 10);
	const report = JSON.parse(result.stdout) as {findings: Array<{source: string; object: string; path: string; message: string}>; summary: unknown};
	t.deepEqual(report.findings.map(finding => [finding.source, finding.object, finding.path, finding.message]), [
		['cluster', 'NetworkAttachmentDefinition team-a/ipvlan-dhcp', 'spec.config.ipam.type', 'ipvlan cannot use dhcp: every ipvlan interface shares the master\'s MAC address and the dhcp daemon sends no client ID, so the DHCP server cannot tell pods apart'],
		['cluster', 'Pod team-a/bad-pod', 'metadata.annotations["k8s.v1.cni.cncf.io/networks"][0]', 'cannot find a network-attachment-definition (bad-conf) in namespace (team-a)'],
	]);
	t.deepEqual(report.summary, {errors: 2, warnings: 0, objects: 4});

	const file = await writeFile(path.join(server!.dir, 'pod.json'), JSON.stringify({apiVersion: 'v1', kind: 'Pod', metadata: {name: 'new', namespace: 'team-a', annotations: {'k8s.v1.cni.cncf.io/networks': 'bridge-conf, team-a/missing'}}}));
	const files = await runCli(['lint', file, '--cluster', `--kubeconfig=${server!.adminKubeconfigPath}`, '--output=json']);
	t.deepEqual((JSON.parse(files.stdout) as {findings: Array<{severity: string; message: string}>}).findings.map(finding => [finding.severity, finding.message]), [['error', 'cannot find a network-attachment-definition (missing) in namespace (team-a)']]);
});

kubeTest('lint --cluster with a kubeconfig that may not list: exit 3 with the reason', async t => {
	const node = await createTestNode(t);
	const file = await writeFile(path.join(node.root, 'weak.kubeconfig'), kubeconfigFor(brokenToken), 0o600);
	const result = await runCli(['lint', '--cluster', `--kubeconfig=${file}`]);
	t.is(result.code, 3);
	t.regex(result.stderr, /^multus-agent: Cannot read NetworkAttachmentDefinitions and pods from https:\/\/127\.0\.0\.1:\d+: HTTP 403: pods is forbidden: User "system:serviceaccount:openshift-multus:multus-no-status" cannot list resource "pods" in API group "" at the cluster scope\. Fix: Use a kubeconfig that may list pods and network-attachment-definitions/);
});
