// The running agent's API self-check: ok at start-up, one line per missing permission after a rewrite.
import test from 'ava';
import {startAgent} from '../../helpers/agent-process.ts';
import {checkKubeBinaries, startKubeApiserver} from '../../helpers/kube-apiserver.ts';
import {writeProjectedVolume} from '../../helpers/kubelet.ts';
import {applyBase, createRoleWithout, mintToken} from './kube-fixture.ts';
import {createTestNode} from './node-fixture.ts';

const skipWhy = checkKubeBinaries();
if (skipWhy !== undefined) {
	console.log(`skipping the wired self-check test: ${skipWhy}`);
}

(skipWhy === undefined ? test : test.skip)('the agent logs api-access-ok at start-up, then one line per missing permission after a token rotation', async t => {
	const server = await startKubeApiserver();
	t.teardown(async () => server.stop());
	await applyBase(server);
	await createRoleWithout(server, 'multus-no-status', 'pods/status');
	const node = await createTestNode(t);
	await writeProjectedVolume(node.serviceAccount, {token: await mintToken(server, 'multus'), 'ca.crt': server.caPem});
	const agent = startAgent([...node.flags, '--api-self-check=true'], {KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: String(server.port)});
	t.teardown(async () => agent.stop('SIGKILL'));
	const ok = await agent.waitFor('api-access-ok', 20_000);
	t.is(ok['user'], 'system:serviceaccount:openshift-multus:multus');
	await writeProjectedVolume(node.serviceAccount, {token: await mintToken(server, 'multus-no-status'), 'ca.crt': server.caPem});
	const missing = await agent.waitFor('api-permission-missing', 20_000);
	t.like(missing, {level: 'error', permission: 'update pods/status', user: 'system:serviceaccount:openshift-multus:multus-no-status'});
	t.is(await agent.stop('SIGTERM'), 0);
	t.is(agent.lines.filter(line => line.event === 'api-permission-missing').length, 1, 'one line per missing permission');
});
