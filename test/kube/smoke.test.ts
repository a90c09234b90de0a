import {existsSync} from 'node:fs';
import * as k8s from '@kubernetes/client-node';
import test from 'ava';
import {checkKubeBinaries, startKubeApiserver} from '../helpers/kube-apiserver.ts';
import {tokenKubeConfig} from '../helpers/kube-client.ts';

const missing = checkKubeBinaries();
if (missing !== undefined) {
	console.log(`skipping kube-apiserver smoke test: ${missing}`);
}
const kubeTest = missing === undefined ? test : test.skip;

kubeTest('kube-apiserver issues pod-bound ServiceAccount tokens that authenticate', async (t) => {
	const startedAt = performance.now();
	const server = await startKubeApiserver();
	t.teardown(() => server.stop());
	t.log(`ready at ${server.url} in ${Math.round(performance.now() - startedAt)} ms`);

	const admin = new k8s.KubeConfig();
	admin.loadFromFile(server.adminKubeconfigPath);
	const core = admin.makeApiClient(k8s.CoreV1Api);
	const namespace = 'smoke';
	await core.createNamespace({body: {metadata: {name: namespace}}});

	const podSpec = {serviceAccountName: 'agent', containers: [{name: 'main', image: 'registry.invalid/never-pulled'}]};
	// No controller-manager: ServiceAccounts exist only once a test creates them.
	const tooEarly = await t.throwsAsync<k8s.ApiException<string>>(core.createNamespacedPod({namespace, body: {metadata: {name: 'too-early'}, spec: podSpec}}));
	const status = JSON.parse(String(tooEarly?.body)) as k8s.V1Status;
	t.regex(status.message ?? '', /serviceaccount "agent" not found/);
	await core.createNamespacedServiceAccount({namespace, body: {metadata: {name: 'agent'}}});
	const pod = await core.createNamespacedPod({namespace, body: {metadata: {name: 'agent-pod'}, spec: podSpec}});

	const tokenRequest = await core.createNamespacedServiceAccountToken({
		name: 'agent',
		namespace,
		body: {spec: {
			audiences: [server.serviceAccountIssuer],
			expirationSeconds: 600,
			boundObjectRef: {apiVersion: 'v1', kind: 'Pod', name: 'agent-pod', uid: pod.metadata?.uid},
		}},
	});
	const token = tokenRequest.status?.token;
	t.truthy(token, 'TokenRequest returned no token');

	const review = await tokenKubeConfig(server, token ?? '').makeApiClient(k8s.AuthenticationV1Api).createSelfSubjectReview({body: {}});
	t.is(review.status?.userInfo?.username, `system:serviceaccount:${namespace}:agent`);
	t.deepEqual(review.status?.userInfo?.extra?.['authentication.kubernetes.io/pod-name'], ['agent-pod']);

	const stoppingAt = performance.now();
	await server.stop();
	await server.stop(); // a second stop is a no-op
	t.log(`stopped in ${Math.round(performance.now() - stoppingAt)} ms`);
	t.false(existsSync(server.dir), 'stop() left the temp dir behind');
});
