// The greenboot check against a fake oc/kubectl on PATH (answers scripted per call) and a temporary host root.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {deployDir, run, which, type RunResult} from './helpers.ts';

const SCRIPT = path.join(deployDir, 'greenboot/microshift-running-check-multus.sh');
const READY = '1 1 1 1 3 3';

// Answers `get daemonset NAME -n NS ... -o jsonpath=...` with the file state/NAME.<call number>, else
// state/NAME, else NotFound; logs every call.
const FAKE_CLIENT = `#!/bin/sh
echo "$(basename "$0") $*" >>"$FAKE_STATE/calls"
[ "$1 $2" = "get daemonset" ] || { echo "fake: unexpected arguments: $*" >&2; exit 2; }
name=$3
count=$(($(cat "$FAKE_STATE/$name.count" 2>/dev/null || echo 0) + 1))
echo "$count" >"$FAKE_STATE/$name.count"
file="$FAKE_STATE/$name.$count"
[ -f "$file" ] || file="$FAKE_STATE/$name"
if [ ! -f "$file" ]; then echo "Error from server (NotFound): daemonsets.apps \\"$name\\" not found" >&2; exit 1; fi
cat "$file"
`;

type Node = {root: string; state: string; confDir: string; check(env?: Record<string, string>): Promise<RunResult>; calls(): Promise<string[]>};

const bashMissing = which('bash') === undefined ? 'bash not found' : undefined;
const bashTest = bashMissing === undefined ? test : test.skip;

// A healthy node: both DaemonSets ready, config first and named, kubeconfig 0600, multus installed.
async function healthyNode(t: ExecutionContext): Promise<Node> {
	const root = await fs.mkdtemp(path.join(os.tmpdir(), 'greenboot-'));
	t.teardown(async () => fs.rm(root, {recursive: true, force: true}));
	const host = path.join(root, 'host');
	const confDir = path.join(host, 'etc/cni/net.d');
	await fs.mkdir(path.join(confDir, 'multus.d'), {recursive: true, mode: 0o700});
	await fs.writeFile(path.join(confDir, '00-multus.conf'), JSON.stringify({cniVersion: '0.4.0', name: 'multus-cni-network', type: 'multus', delegates: [{name: 'ovn-kubernetes'}]}), {mode: 0o600});
	await fs.writeFile(path.join(confDir, '10-ovn-kubernetes.conf'), '{"name": "ovn-kubernetes"}');
	await fs.writeFile(path.join(confDir, 'multus.d/multus.kubeconfig'), 'apiVersion: v1\n', {mode: 0o600});
	await fs.mkdir(path.join(host, 'run/cni/bin'), {recursive: true});
	await fs.writeFile(path.join(host, 'run/cni/bin/multus'), '#!/bin/sh\n', {mode: 0o755});
	const bin = path.join(root, 'bin');
	await fs.mkdir(bin);
	for (const name of ['oc', 'kubectl']) {
		await fs.writeFile(path.join(bin, name), FAKE_CLIENT, {mode: 0o755});
	}

	const state = path.join(root, 'state');
	await fs.mkdir(state);
	await fs.writeFile(path.join(state, 'multus'), READY);
	await fs.writeFile(path.join(state, 'dhcp-daemon'), READY);
	return {
		root,
		state,
		confDir,
		check: async env => run(SCRIPT, [], {env: {
			PATH: `${bin}:/usr/local/bin:/usr/bin:/bin`,
			HOST_ROOT: host,
			FAKE_STATE: state,
			KUBECONFIG: path.join(root, 'kubeconfig'),
			WAIT_TIMEOUT_SECS: '20',
			POLL_INTERVAL_SECS: '0.01',
			...env,
		}}),
		calls: async () => (await fs.readFile(path.join(state, 'calls'), 'utf8')).trim().split('\n'),
	};
}

bashTest('a healthy node passes at once, asking oc about both DaemonSets in openshift-multus', async t => {
	const node = await healthyNode(t);
	const result = await node.check();
	t.is(result.code, 0, result.stdout + result.stderr);
	t.regex(result.stdout, /OK: DaemonSets multus dhcp-daemon are ready/);
	const calls = await node.calls();
	t.deepEqual(calls.map(call => call.split(' ').slice(0, 6).join(' ')), ['oc get daemonset multus -n openshift-multus', 'oc get daemonset dhcp-daemon -n openshift-multus']);
	t.true(calls.every(call => call.includes('jsonpath={.status.desiredNumberScheduled} {.status.numberReady}')));
});

bashTest('it waits until the rollout completes and the agent has written its files', async t => {
	const node = await healthyNode(t);
	// multus: not found, then 0 of 1 ready, then an old generation, then ready.
	await fs.writeFile(path.join(node.state, 'multus.1'), '');
	await fs.writeFile(path.join(node.state, 'multus.2'), '1 0 1 0 3 3');
	await fs.writeFile(path.join(node.state, 'multus.3'), '1 1 1 1 4 3');
	const result = await node.check();
	t.is(result.code, 0, result.stdout + result.stderr);
	t.is((await node.calls()).filter(call => call.includes(' multus ')).length, 4);
});

bashTest('on timeout it names every problem: DaemonSets, config order and name, kubeconfig mode, binary', async t => {
	const node = await healthyNode(t);
	await fs.rm(path.join(node.state, 'dhcp-daemon'));
	await fs.writeFile(path.join(node.state, 'multus'), '1 0 1 0 3 3');
	await fs.writeFile(path.join(node.confDir, '00-aaa.conflist'), '{}');
	await fs.chmod(path.join(node.confDir, 'multus.d/multus.kubeconfig'), 0o644);
	await fs.rm(path.join(node.root, 'host/run/cni/bin/multus'));
	const result = await node.check({WAIT_TIMEOUT_SECS: '0'});
	t.is(result.code, 1);
	t.regex(result.stdout, /FAILED: Multus is not healthy after 0s/);
	t.regex(result.stdout, /DaemonSet openshift-multus\/dhcp-daemon: cannot get it: .*NotFound/);
	t.regex(result.stdout, /DaemonSet openshift-multus\/multus: 0 of 1 pods ready/);
	t.regex(result.stdout, /not the first CNI config .*: 00-aaa\.conflist sorts before it/);
	t.regex(result.stdout, /multus\.kubeconfig has mode 644, expected 600/);
	t.regex(result.stdout, /Multus binary missing or not executable: .*\/run\/cni\/bin\/multus/);
});

bashTest('a missing config, one for another network name, and no scheduled pod are each reported', async t => {
	const node = await healthyNode(t);
	await fs.writeFile(path.join(node.state, 'dhcp-daemon'), '0 0 0 0 1 1');
	await fs.rm(path.join(node.confDir, '00-multus.conf'));
	let result = await node.check({WAIT_TIMEOUT_SECS: '0'});
	t.is(result.code, 1);
	t.regex(result.stdout, /dhcp-daemon: no pod is scheduled on any node/);
	t.regex(result.stdout, /Multus config missing: neither .*00-multus\.conf nor 00-multus\.conflist exists/);

	await fs.writeFile(path.join(node.state, 'dhcp-daemon'), READY);
	await fs.writeFile(path.join(node.confDir, '00-multus.conflist'), JSON.stringify({cniVersion: '1.0.0', name: 'ovn-kubernetes', plugins: []}), {mode: 0o600});
	result = await node.check({WAIT_TIMEOUT_SECS: '0'});
	t.is(result.code, 1);
	t.regex(result.stdout, /00-multus\.conflist does not define the network "multus-cni-network"/);
});

bashTest('WAIT_TIMEOUT_SECS must be a number', async t => {
	const node = await healthyNode(t);
	const result = await node.check({WAIT_TIMEOUT_SECS: '5m'});
	t.is(result.code, 1);
	t.regex(result.stdout, /WAIT_TIMEOUT_SECS must be a number of seconds, got '5m'/);
});
