// Token mode against a real kube-apiserver: the RBAC lets the DaemonSet's account mint tokens for multus-cni only;
// a minted token is multus-cni's, expires as requested and holds only the binary's permissions; the agent refreshes
// it on schedule and when the pod's token rotates, and falls back to the pod's token, loudly, while the API is away.
import {readFileSync} from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import test, {type ExecutionContext} from 'ava';
import {KubeconfigWriter} from '../../agent/kubeconfig-sync.ts';
import {requestServiceAccountToken, TokenRequestError, type MintedToken, type TokenRequestTarget} from '../../agent/token-request.ts';
import {findFreePorts} from '../helpers/free-ports.ts';
import {writePrimary} from '../helpers/host-root.ts';
import {checkKubeBinaries, startKubeApiserver, type KubeApiserver} from '../helpers/kube-apiserver.ts';
import {tokenKubeConfig} from '../helpers/kube-client.ts';
import {writeProjectedVolume} from '../helpers/kubelet.ts';
import {faultNode, type FaultNode} from './helpers/node.ts';

const NAMESPACE = 'openshift-multus';
const CNI_ACCOUNT = 'multus-cni';
const ROOT = path.resolve(import.meta.dirname, '../..');
// The RBAC under test. It is meant for deploy/base; until it is placed there this fixture is used, and once it is,
// the two must not drift.

const missing = checkKubeBinaries();
if (missing !== undefined) {
	console.log(`skipping the kube-apiserver token-mode tests: ${missing}`);
}

const kubeTest = missing === undefined ? test.serial : test.skip;

interface Cluster {
	readonly server: KubeApiserver;
	readonly admin: k8s.KubeConfig;
	/** Mints a token for the DaemonSet's account, as kubelet does for the agent's pod. */
	podToken(): Promise<string>;
}

let cluster: Cluster | undefined;

test.before(async () => {
	if (missing !== undefined) {
		return;
	}

	const server = await startKubeApiserver();
	const admin = new k8s.KubeConfig();
	admin.loadFromFile(server.adminKubeconfigPath);
	const deployed: k8s.KubernetesObject[] = [];
	for (const file of (k8s.loadYaml<{resources: string[]}>(readFileSync(path.join(ROOT, 'deploy/base/kustomization.yaml'), 'utf8'))).resources) {
		deployed.push(...(k8s.loadAllYaml(readFileSync(path.join(ROOT, 'deploy/base', file), 'utf8')) as k8s.KubernetesObject[]));
	}

	// The base's accounts and roles, including the token-mode RBAC of 05-multus-cni-token-rbac.yaml (no workloads: this cluster has no nodes).
	const client = k8s.KubernetesObjectApi.makeApiClient(admin);
	for (const object of deployed.filter(item => ['Namespace', 'CustomResourceDefinition', 'ServiceAccount', 'ClusterRole', 'ClusterRoleBinding', 'Role', 'RoleBinding'].includes(item.kind ?? ''))) {
		await client.create(object);
	}

	const core = admin.makeApiClient(k8s.CoreV1Api);
	cluster = {
		server,
		admin,
		async podToken() {
			const request = await core.createNamespacedServiceAccountToken({name: 'multus', namespace: NAMESPACE, body: {spec: {audiences: [], expirationSeconds: 3600}}});
			const token = request.status?.token;
			if (!token) {
				throw new Error('the API minted no token for the DaemonSet\'s account');
			}

			return token;
		},
	};
});

test.after.always(async () => {
	await cluster?.server.stop();
});

function target(server: KubeApiserver, bearer: string, serviceAccount = CNI_ACCOUNT, namespace = NAMESPACE, expirationSeconds = 3600): TokenRequestTarget {
	return {server: server.url, ca: server.caPem, bearer, namespace, serviceAccount, expirationSeconds};
}

async function whoIs(server: KubeApiserver, token: string): Promise<string | undefined> {
	const review = await tokenKubeConfig(server, token).makeApiClient(k8s.AuthenticationV1Api).createSelfSubjectReview({body: {}});
	return review.status?.userInfo?.username;
}

async function may(server: KubeApiserver, token: string, attributes: k8s.V1ResourceAttributes): Promise<boolean> {
	const review = await tokenKubeConfig(server, token).makeApiClient(k8s.AuthorizationV1Api).createSelfSubjectAccessReview({body: {spec: {resourceAttributes: attributes}}});
	return review.status?.allowed === true;
}

const tokenIn = (kubeconfig: string): string => JSON.parse(/^ {4}token: (".*")$/m.exec(kubeconfig)![1]!) as string;

kubeTest('the DaemonSet\'s account may mint tokens for multus-cni and nobody else (403)', async t => {
	const {server, podToken} = cluster!;
	const bearer = await podToken();
	const minted = await requestServiceAccountToken(target(server, bearer));
	t.is(await whoIs(server, minted.token), `system:serviceaccount:${NAMESPACE}:${CNI_ACCOUNT}`);
	for (const [serviceAccount, namespace] of [['multus', NAMESPACE], ['default', NAMESPACE], [CNI_ACCOUNT, 'kube-system'], ['default', 'default']] as const) {
		const error = await t.throwsAsync(requestServiceAccountToken(target(server, bearer, serviceAccount, namespace)), {instanceOf: TokenRequestError});
		t.is(error?.status, 403, `${namespace}/${serviceAccount}`);
		t.regex(error?.message ?? '', /HTTP 403: .*forbidden.*Fix: Allow the agent's ServiceAccount to create serviceaccounts\/token with resourceNames/);
		t.false(error?.message.includes(bearer), 'the error carries no token');
	}

	// Nor can the minted token mint anything, itself included.
	const again = await t.throwsAsync(requestServiceAccountToken({...target(server, minted.token)}), {instanceOf: TokenRequestError});
	t.is(again?.status, 403);
});

kubeTest('a minted token is multus-cni\'s, expires as requested, and holds only the multus binary\'s permissions', async t => {
	const {server, podToken} = cluster!;
	const bearer = await podToken();
	const shortest = await requestServiceAccountToken(target(server, bearer, CNI_ACCOUNT, NAMESPACE, 600));
	t.is(shortest.lifetimeMs, 600_000, 'exp - iat is the requested 10 minutes (the API\'s minimum)');
	const claims = JSON.parse(Buffer.from(shortest.token.split('.')[1]!, 'base64url').toString()) as {exp: number; iat: number; sub: string};
	t.is(claims.sub, `system:serviceaccount:${NAMESPACE}:${CNI_ACCOUNT}`);
	t.true(Math.abs((claims.exp * 1000) - (Date.now() + 600_000)) < 60_000, 'exp is 10 minutes from now');
	const hour = await requestServiceAccountToken(target(server, bearer));
	t.is(hour.lifetimeMs, 3_600_000);
	const tooShort = await t.throwsAsync(requestServiceAccountToken(target(server, bearer, CNI_ACCOUNT, NAMESPACE, 599)), {instanceOf: TokenRequestError});
	t.true(tooShort!.status! >= 400 && tooShort!.status! < 500, `the API refuses less than 10 minutes (HTTP ${tooShort?.status})`);

	const allowed: Array<[string, k8s.V1ResourceAttributes]> = [
		['get a pod', {verb: 'get', resource: 'pods', namespace: 'e2e'}],
		['update pods/status', {verb: 'update', resource: 'pods', subresource: 'status', namespace: 'e2e'}],
		['get a NAD', {verb: 'get', group: 'k8s.cni.cncf.io', resource: 'network-attachment-definitions', namespace: 'e2e'}],
		['create an event', {verb: 'create', resource: 'events', namespace: 'e2e'}],
	];
	const denied: Array<[string, k8s.V1ResourceAttributes]> = [
		['mint a token', {verb: 'create', resource: 'serviceaccounts', subresource: 'token', name: CNI_ACCOUNT, namespace: NAMESPACE}],
		['read secrets', {verb: 'list', resource: 'secrets', namespace: NAMESPACE}],
		['delete a pod', {verb: 'delete', resource: 'pods', namespace: 'e2e'}],
		['list pods', {verb: 'list', resource: 'pods'}],
		['update a pod', {verb: 'update', resource: 'pods', namespace: 'e2e'}],
		['create a NAD', {verb: 'create', group: 'k8s.cni.cncf.io', resource: 'network-attachment-definitions', namespace: 'e2e'}],
	];
	for (const [what, attributes] of allowed) {
		t.true(await may(server, hour.token, attributes), `may ${what}`);
	}

	for (const [what, attributes] of denied) {
		t.false(await may(server, hour.token, attributes), `may not ${what}`);
	}
});

kubeTest('refresh scheduling on an injected clock: at about a quarter of the lifetime left, at once on a pod-token rotation, pod token once expired', async t => {
	const {server, podToken} = cluster!;
	const node = await tokenNode(t, server, await podToken());
	let now = Date.now();
	let failing = false;
	const mints: MintedToken[] = [];
	const writer = new KubeconfigWriter(node.options(['--token-service-account=multus-cni', '--token-expiration=10m']), {
		now: () => now,
		random: () => 0.5,
		async mint(request) {
			if (failing) {
				throw new TokenRequestError('Cannot reach the API server (test)', 'wait');
			}

			const minted = await requestServiceAccountToken(request, () => now);
			mints.push(minted);
			return minted;
		},
	});
	const kubeconfigToken = async (): Promise<string> => tokenIn(await fs.readFile(node.kubeconfig, 'utf8'));

	const first = await writer.sync();
	t.is(first.token, 'minted');
	t.is(first.nextInMs, 420_000, 'refresh with 30 % (random 0.5 in 25–35 %) of 10 minutes left');
	t.is(await kubeconfigToken(), mints[0]!.token);
	t.is(await whoIs(server, await kubeconfigToken()), `system:serviceaccount:${NAMESPACE}:${CNI_ACCOUNT}`);

	now += 419_000;
	const early = await writer.sync();
	t.is(early.minted, undefined, 'not due yet');
	t.is(early.nextInMs, 1000);
	now += 1000;
	const due = await writer.sync();
	t.truthy(due.minted, 'minted again at the refresh time');
	t.not(await kubeconfigToken(), mints[0]!.token);

	await writeProjectedVolume(node.serviceAccount, {token: await podToken(), 'ca.crt': server.caPem, namespace: NAMESPACE});
	const rotated = await writer.sync();
	t.truthy(rotated.minted, 'minted at once when the pod\'s own token rotated');
	t.is(mints.length, 3);

	failing = true;
	now += 420_000;
	const refreshFailed = await writer.sync();
	t.is(refreshFailed.token, 'minted', 'a failed refresh keeps the valid minted token');
	t.truthy(refreshFailed.mintError);
	t.is(refreshFailed.nextInMs, 1000, 'retried after 1 s');
	now += 1000;
	t.is((await writer.sync()).nextInMs, 2000, 'then after 2 s');
	now += 200_000;
	const expired = await writer.sync();
	t.is(expired.token, 'pod', 'past expiry the pod\'s own token stands in');
	t.is(await kubeconfigToken(), (await fs.readFile(path.join(node.serviceAccount, 'token'), 'utf8')).trim());
	failing = false;
	now += 30_000;
	const recovered = await writer.sync();
	t.is(recovered.token, 'minted');
	t.is(await whoIs(server, await kubeconfigToken()), `system:serviceaccount:${NAMESPACE}:${CNI_ACCOUNT}`);
});

kubeTest('the agent in token mode: minted at start, again when the pod token rotates and on schedule; no token in any log', async t => {
	const {server, podToken} = cluster!;
	const node = await tokenNode(t, server, await podToken());
	await writePrimary(node);
	const agent = node.start(['--token-service-account=multus-cni', '--token-refresh-after=3s'], {env: {KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(server.port)}});
	const minted = await agent.waitFor('token-minted');
	t.is(minted['serviceAccount'], `${NAMESPACE}/${CNI_ACCOUNT}`);
	await agent.waitFor('ready');
	const first = tokenIn(await fs.readFile(node.kubeconfig, 'utf8'));
	node.secrets.push(first);
	t.is(await whoIs(server, first), `system:serviceaccount:${NAMESPACE}:${CNI_ACCOUNT}`);
	t.false((await fs.readFile(node.kubeconfig, 'utf8')).includes(node.token), 'the pod\'s own token is not in the kubeconfig');

	const rotatedAt = Date.now();
	node.token = await podToken();
	node.secrets.push(node.token);
	await writeProjectedVolume(node.serviceAccount, {token: node.token, 'ca.crt': server.caPem, namespace: NAMESPACE});
	await agent.waitFor('token-minted', 3000);
	t.true(Date.now() - rotatedAt < 1500, `minted again ${Date.now() - rotatedAt} ms after the rotation`);
	const second = tokenIn(await fs.readFile(node.kubeconfig, 'utf8'));
	node.secrets.push(second);
	t.not(second, first);
	await agent.waitFor('token-minted', 5000);
	const third = tokenIn(await fs.readFile(node.kubeconfig, 'utf8'));
	node.secrets.push(third);
	t.not(third, second, 'minted again on schedule, with no event');
	const status = JSON.parse(await fs.readFile(path.join(path.dirname(node.kubeconfig), 'agent-status.json'), 'utf8')) as {ready: boolean; errors: Record<string, unknown>};
	t.true(status.ready);
	t.is(await agent.stop(), 0);
	await node.assertNoSecrets(t);
});

kubeTest('the API unreachable at start: a loud fallback to the pod\'s token, then the minted token once it is reachable', async t => {
	const {server, podToken} = cluster!;
	const node = await tokenNode(t, server, await podToken());
	await writePrimary(node);
	const [port] = await findFreePorts(1) as [number];
	const agent = node.start(['--token-service-account=multus-cni'], {env: {KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(port)}});
	const fallback = await agent.waitFor('token-fallback');
	t.regex(String(fallback.msg), /LEAST PRIVILEGE IS OFF: .*Cannot reach the API server at https:\/\/127\.0\.0\.1:\d+ .*ECONNREFUSED/);
	await agent.waitFor('ready');
	t.is(tokenIn(await fs.readFile(node.kubeconfig, 'utf8')), node.token, 'the pod\'s own token stands in');
	const statusFile = path.join(path.dirname(node.kubeconfig), 'agent-status.json');
	const degraded = JSON.parse(await fs.readFile(statusFile, 'utf8')) as {ready: boolean; errors: Record<string, {message: string}>};
	t.false(degraded.ready, 'not ready while least privilege is off');
	t.regex(degraded.errors['token']?.message ?? '', /pod's own token/);

	// The API comes back (a proxy starts listening on the port the agent was given).
	const proxy = net.createServer(socket => {
		const upstream = net.connect(server.port, '127.0.0.1');
		socket.pipe(upstream).pipe(socket);
		socket.on('error', () => upstream.destroy());
		upstream.on('error', () => socket.destroy());
	});
	t.teardown(() => {
		proxy.close();
	});
	await new Promise<void>(resolve => {
		proxy.listen(port, '127.0.0.1', resolve);
	});
	await agent.waitFor('token-minted', 40_000);
	const minted = tokenIn(await fs.readFile(node.kubeconfig, 'utf8'));
	node.secrets.push(minted);
	t.is(await whoIs(server, minted), `system:serviceaccount:${NAMESPACE}:${CNI_ACCOUNT}`);
	await new Promise(resolve => {
		setTimeout(resolve, 100);
	});
	t.deepEqual((JSON.parse(await fs.readFile(statusFile, 'utf8')) as {errors: object}).errors, {});
	t.is(await agent.stop(), 0);
	await node.assertNoSecrets(t);
});

test('the long-running agent never loads @kubernetes/client-node: only short-lived subcommands import it, lazily', async t => {
	const {build} = await import('esbuild');
	const result = await build({entryPoints: [path.join(ROOT, 'agent/main.ts')], bundle: true, platform: 'node', format: 'esm', write: false, metafile: true, external: ['@kubernetes/client-node'], logLevel: 'silent'});
	const importers = Object.entries(result.metafile.inputs).flatMap(([file, input]) => input.imports
		.filter(entry => (entry.original ?? entry.path).startsWith('@kubernetes/client-node'))
		.map(entry => ({file, kind: entry.kind})));
	t.log(`imported by: ${[...new Set(importers.map(entry => entry.file))].join(', ') || 'nothing'}`);
	t.deepEqual(importers.filter(entry => entry.kind !== 'dynamic-import'), [], 'never a static import, which would load it at start');
	t.deepEqual(importers.filter(entry => !entry.file.startsWith('agent/commands/')), [], 'only subcommands (doctor, lint) import it; token mode uses node:https');
});

// A node whose service-account volume holds the DaemonSet's token, the cluster CA and the namespace.
async function tokenNode(t: ExecutionContext, server: KubeApiserver, token: string): Promise<FaultNode> {
	const node = await faultNode(t, {multusMb: 1, pluginMb: 1});
	node.token = token;
	node.secrets.push(token, Buffer.from(server.caPem).toString('base64'));
	await writeProjectedVolume(node.serviceAccount, {token, 'ca.crt': server.caPem, namespace: NAMESPACE});
	node.env['KUBERNETES_SERVICE_HOST'] = '127.0.0.1';
	node.env['KUBERNETES_SERVICE_PORT'] = String(server.port);
	return node;
}

