// Each doctor check with a broken input and its exact verdict and message (paths under the temp root shown as <root>).
import {spawn} from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import test from 'ava';
import {apiResults} from '../../../agent/commands/checks/kubeconfig.ts';
import {checkBinaries} from '../../../agent/commands/checks/binaries.ts';
import {checkOwnConfig, checkPrimary, checkReadiness} from '../../../agent/commands/checks/config.ts';
import {checkCrio} from '../../../agent/commands/checks/crio.ts';
import {checkDhcp} from '../../../agent/commands/checks/dhcp.ts';
import {checkKubeconfig} from '../../../agent/commands/checks/kubeconfig.ts';
import type {CheckResult} from '../../../agent/commands/check-result.ts';
import {readConfDir} from '../../../agent/commands/own-config.ts';
import {MULTUS_PERMISSIONS} from '../../../agent/commands/api-access.ts';
import {writeFakePlugin, writeFile} from './helpers.ts';
import {createTestNode, installWithAgent, type TestNode} from './node-fixture.ts';

type Row = [check: string, verdict: string, message: string];

const rows = (node: TestNode, results: readonly CheckResult[]): Row[] => results.map(result => [result.check, result.verdict, result.message.replaceAll(node.root, '<root>')]);
const crio = async (node: TestNode, files: Record<string, string>): Promise<void> => {
	await fs.rm(path.join(node.host, 'etc/crio'), {recursive: true, force: true});
	for (const [name, text] of Object.entries(files)) {
		await writeFile(path.join(node.host, 'etc/crio', name), text);
	}
};

test('crio: the MicroShift drop-in overrides 11-microshift-ovn.conf; plugin_dirs and network_dir match', async t => {
	const node = await createTestNode(t);
	t.deepEqual(rows(node, await checkCrio(node.options(), 'multus-cni-network')), [
		['crio-default-network', 'ok', '<root>/host/etc/crio/crio.conf.d/12-microshift-multus.conf sets cni_default_network = "multus-cni-network"'],
		['crio-plugin-dirs', 'ok', 'plugin_dirs in <root>/host/etc/crio/crio.conf.d/12-microshift-multus.conf include /opt/cni/bin, where the agent installs the plugins'],
		['crio-network-dir', 'ok', 'CRI-O reads configs from /etc/cni/net.d/, where the agent writes 00-multus.conf[list]'],
	]);
});

test('crio: a later drop-in that sets the default network back to ovn-kubernetes', async t => {
	const node = await createTestNode(t);
	await writeFile(path.join(node.host, 'etc/crio/crio.conf.d/99-local.conf'), '[crio.network]\ncni_default_network = "ovn-kubernetes" # local override\n');
	t.deepEqual(rows(node, await checkCrio(node.options(), 'multus-cni-network'))[0], ['crio-default-network', 'fail', 'cni_default_network is "ovn-kubernetes" (last set by <root>/host/etc/crio/crio.conf.d/99-local.conf), so CRI-O calls that network directly and pods get no additional interfaces']);
});

test('crio: the Multus drop-in is missing', async t => {
	const node = await createTestNode(t);
	await crio(node, {'crio.conf': '[crio.runtime]\nlog_level = "info"\n'});
	t.deepEqual(rows(node, await checkCrio(node.options(), 'multus-cni-network'))[0], ['crio-default-network', 'warn', 'no file sets cni_default_network (read 1 file): CRI-O uses the first valid config in its network dir, so Multus is used only while 00-multus.conf[list] sorts first and is valid']);
});

test('crio: plugin_dirs without the agent\'s bin dir (MicroShift looks in /run/cni/bin)', async t => {
	const node = await createTestNode(t);
	await crio(node, {'crio.conf.d/12-microshift-multus.conf': '[crio.network]\ncni_default_network = "multus-cni-network"\nplugin_dirs = [\n  "/run/cni/bin",\n]\n'});
	t.deepEqual(rows(node, await checkCrio(node.options(), 'multus-cni-network'))[1], ['crio-plugin-dirs', 'fail', 'plugin_dirs in <root>/host/etc/crio/crio.conf.d/12-microshift-multus.conf (/run/cni/bin) do not include /opt/cni/bin, where the agent installs multus and the plugins: CRI-O cannot find them']);
});

test('crio: network_dir elsewhere (OpenShift style)', async t => {
	const node = await createTestNode(t);
	await crio(node, {'crio.conf': '[crio.network]\nnetwork_dir = "/etc/kubernetes/cni/net.d/"\ncni_default_network = "multus-cni-network"\nplugin_dirs = ["/opt/cni/bin"]\n'});
	t.deepEqual(rows(node, await checkCrio(node.options(), 'multus-cni-network'))[2], ['crio-network-dir', 'fail', 'CRI-O reads configs from /etc/kubernetes/cni/net.d/ (<root>/host/etc/crio/crio.conf) but the agent writes into /etc/cni/net.d']);
});

test('crio: not a CRI-O node', async t => {
	const node = await createTestNode(t);
	await crio(node, {});
	t.deepEqual(rows(node, await checkCrio(node.options(), 'multus-cni-network')), [['crio-default-network', 'warn', 'no CRI-O configuration under <root>/host/etc/crio: cannot tell whether CRI-O calls Multus']]);
});

test('config: healthy after an agent run', async t => {
	const node = await createTestNode(t);
	await installWithAgent(node);
	const options = node.options();
	t.deepEqual(rows(node, await checkOwnConfig(options, await readConfDir(options))), [
		['config-first', 'ok', '00-multus.conf is the first of 2 configs in <root>/host/etc/cni/net.d'],
		['config-valid', 'ok', '<root>/host/etc/cni/net.d/00-multus.conf is a valid Multus config (cniVersion 0.4.0, network "multus-cni-network")'],
		['config-delegates', 'ok', 'the delegate is the primary <root>/host/etc/cni/net.d/10-ovn-kubernetes.conf'],
	]);
});

test('config: missing', async t => {
	const node = await createTestNode(t);
	const options = node.options();
	t.deepEqual(rows(node, await checkOwnConfig(options, await readConfDir(options))), [['config-first', 'fail', 'no Multus config (00-multus.conf or 00-multus.conflist) in <root>/host/etc/cni/net.d: the runtime calls the primary network directly']]);
});

test('config: another config sorts first', async t => {
	const node = await createTestNode(t);
	await installWithAgent(node);
	await writeFile(path.join(node.confDir, '00-aaa.conflist'), '{}');
	const options = node.options();
	t.deepEqual(rows(node, await checkOwnConfig(options, await readConfDir(options)))[0], ['config-first', 'fail', '00-aaa.conflist sorts before 00-multus.conf in <root>/host/etc/cni/net.d: a runtime that takes the first config loads it instead of Multus']);
});

test('config: both 00-multus.conf and 00-multus.conflist', async t => {
	const node = await createTestNode(t);
	await installWithAgent(node);
	await fs.copyFile(path.join(node.confDir, '00-multus.conf'), path.join(node.confDir, '00-multus.conflist'));
	const options = node.options();
	t.deepEqual(rows(node, await checkOwnConfig(options, await readConfDir(options)))[1], ['config-first', 'warn', '00-multus.conf and 00-multus.conflist both exist; the runtime loads 00-multus.conf']);
});

test('config: not valid JSON', async t => {
	const node = await createTestNode(t);
	await writeFile(path.join(node.confDir, '00-multus.conf'), '{"type": "multus",');
	const options = node.options();
	t.deepEqual(rows(node, await checkOwnConfig(options, await readConfDir(options)))[1], ['config-valid', 'fail', '<root>/host/etc/cni/net.d/00-multus.conf is not a valid Multus config: it is not valid JSON (Expected double-quoted property name in JSON at position 18 (line 1 column 19))']);
});

test('config: no delegates', async t => {
	const node = await createTestNode(t);
	await writeFile(path.join(node.confDir, '00-multus.conf'), JSON.stringify({cniVersion: '0.4.0', name: 'multus-cni-network', type: 'multus', kubeconfig: '/etc/cni/net.d/multus.d/multus.kubeconfig', delegates: []}));
	const options = node.options();
	t.deepEqual(rows(node, await checkOwnConfig(options, await readConfDir(options)))[2], ['config-delegates', 'fail', 'the config has no delegates: Multus cannot set up the pod\'s default network']);
});

test('config: delegates a stale primary', async t => {
	const node = await createTestNode(t);
	await writeFile(path.join(node.confDir, '00-multus.conf'), JSON.stringify({cniVersion: '0.4.0', name: 'multus-cni-network', type: 'multus', kubeconfig: '/etc/cni/net.d/multus.d/multus.kubeconfig', delegates: [{cniVersion: '0.3.1', name: 'crio', type: 'bridge'}]}));
	const options = node.options();
	t.deepEqual(rows(node, await checkOwnConfig(options, await readConfDir(options)))[2], ['config-delegates', 'fail', 'the delegate is not the current primary <root>/host/etc/cni/net.d/10-ovn-kubernetes.conf ("crio" vs "ovn-kubernetes"): the config is stale']);
});

test('primary: ok, absent, incomplete, invalid', async t => {
	const node = await createTestNode(t);
	t.deepEqual(rows(node, await checkPrimary(node.options())), [['primary', 'ok', '<root>/host/etc/cni/net.d/10-ovn-kubernetes.conf is the primary ("ovn-kubernetes", type ovn-k8s-cni-overlay, cniVersion 0.4.0)']]);
	const file = path.join(node.confDir, '10-ovn-kubernetes.conf');
	await fs.writeFile(file, '{"cniVersion": "0.4.0", "na');
	t.deepEqual(rows(node, await checkPrimary(node.options())), [['primary', 'fail', '<root>/host/etc/cni/net.d/10-ovn-kubernetes.conf is not complete: it is not valid JSON yet (Unterminated string in JSON at position 27 (line 1 column 28))']]);
	await fs.writeFile(file, '{"cniVersion": "0.4.0", "type": "ovn-k8s-cni-overlay"}');
	t.deepEqual(rows(node, await checkPrimary(node.options())), [['primary', 'fail', '<root>/host/etc/cni/net.d/10-ovn-kubernetes.conf is not a valid CNI config: $.name: is missing. Add the network "name" (for ovn-kubernetes it is "ovn-kubernetes").']]);
	await fs.rm(file);
	t.deepEqual(rows(node, await checkPrimary(node.options())), [['primary', 'fail', 'no primary CNI config (.conf, .conflist, .json besides 00-multus.*) in <root>/host/etc/cni/net.d']]);
});

test('readiness indicator: missing, with the error every pod then gets', async t => {
	const node = await createTestNode(t);
	await fs.rm(path.join(node.confDir, '10-ovn-kubernetes.conf'));
	t.deepEqual(rows(node, await checkReadiness(node.options(), undefined)), [['readiness-indicator', 'fail', '<root>/host/etc/cni/net.d/10-ovn-kubernetes.conf does not exist: every pod waits 45 s, then fails with "have you checked that your default network is ready? still waiting for readinessindicatorfile @ /etc/cni/net.d/10-ovn-kubernetes.conf"']]);
	t.deepEqual(rows(node, await checkReadiness(node.options([`--readiness-indicator-file=`]), undefined)), [['readiness-indicator', 'skip', 'no readiness indicator file is configured']]);
});

test('binaries: missing, not executable, silent, too old, and found in another plugin dir', async t => {
	const node = await createTestNode(t);
	await writeFakePlugin(node.binDir, 'multus');
	await writeFakePlugin(node.binDir, 'bridge', 'no-exec');
	await writeFakePlugin(node.binDir, 'macvlan', 'silent');
	await writeFakePlugin(node.binDir, 'ipvlan', ['0.3.1', '0.4.0']);
	await writeFakePlugin(path.join(node.host, 'usr/libexec/cni'), 'static');
	const results = await checkBinaries(node.options(), ['multus', 'bridge', 'macvlan', 'ipvlan', 'static', 'dhcp'], '1.0.0', [path.join(node.host, 'usr/libexec/cni')]);
	t.deepEqual(rows(node, results), [
		['binary multus', 'ok', '<root>/host/opt/cni/bin/multus answers VERSION and supports 1.0.0 (0.1.0..1.1.0)'],
		['binary bridge', 'fail', '<root>/host/opt/cni/bin/bridge is not usable: it is not executable (mode 0644)'],
		['binary macvlan', 'fail', '<root>/host/opt/cni/bin/macvlan is not usable: it does not answer CNI_COMMAND=VERSION with a version list (exit 0, said nothing); is it a CNI plugin?'],
		['binary ipvlan', 'fail', '<root>/host/opt/cni/bin/ipvlan supports 0.3.1, 0.4.0, not the config\'s cniVersion 1.0.0: the runtime fails with "incompatible CNI versions"'],
		['binary static', 'ok', '<root>/host/usr/libexec/cni/static answers VERSION and supports 1.0.0 (0.1.0..1.1.0)'],
		['binary dhcp', 'fail', 'dhcp is not in <root>/host/opt/cni/bin or <root>/host/usr/libexec/cni: every pod fails with "failed to find plugin \\"dhcp\\""'],
	]);
});

test('kubeconfig: missing, then mode 0644, a token that is not a JWT, an expired token', async t => {
	const node = await createTestNode(t);
	const file = path.join(node.root, 'multus.kubeconfig');
	t.deepEqual(rows(node, (await checkKubeconfig(file, '')).results), [['kubeconfig', 'fail', '<root>/multus.kubeconfig does not exist: the multus binary cannot reach the API']]);
	const kubeconfig = (token: string): string => JSON.stringify({apiVersion: 'v1', kind: 'Config', clusters: [{name: 'c', cluster: {server: `https://127.0.0.1:${node.env['KUBERNETES_SERVICE_PORT']}`, 'insecure-skip-tls-verify': true}}], users: [{name: 'u', user: {token}}], contexts: [{name: 'x', context: {cluster: 'c', user: 'u'}}], 'current-context': 'x'});
	await writeFile(file, kubeconfig('token-1'), 0o644);
	const loose = rows(node, (await checkKubeconfig(file, '')).results).map(row => row.map(text => text.replaceAll(node.env['KUBERNETES_SERVICE_PORT']!, '<port>')));
	t.deepEqual(loose, [
		['kubeconfig', 'fail', '<root>/multus.kubeconfig is mode 0644; it holds a token, so only root may read it'],
		['token', 'warn', 'the token is not a JWT with an expiry; cannot tell when it expires'],
		['api-server', 'fail', 'cannot reach the API server at https://127.0.0.1:<port>: connect ECONNREFUSED 127.0.0.1:<port>'],
	]);
	const jwt = (claims: object): string => ['e30', Buffer.from(JSON.stringify(claims)).toString('base64url'), 'c2ln'].join('.');
	await writeFile(file, kubeconfig(jwt({exp: 1_700_000_000, sub: 'system:serviceaccount:openshift-multus:multus', 'kubernetes.io': {pod: {name: 'multus-abcde'}}})), 0o600);
	t.deepEqual(rows(node, (await checkKubeconfig(file, '', Date.UTC(2026, 0, 1))).results).slice(0, 2), [
		['kubeconfig', 'ok', '<root>/multus.kubeconfig is mode 0600'],
		['token', 'fail', 'the token (system:serviceaccount:openshift-multus:multus, bound to pod multus-abcde) expired at 2023-11-14T22:13:20.000Z'],
	]);
	t.deepEqual(rows(node, (await checkKubeconfig(file, '', (1_700_000_000 - 60) * 1000)).results)[1], ['token', 'warn', 'the token (system:serviceaccount:openshift-multus:multus, bound to pod multus-abcde) expires in 60s (2023-11-14T22:13:20.000Z)']);
});

test('api: a missing permission names the rule to add; a rejected token says why', t => {
	const permissions = MULTUS_PERMISSIONS.map(permission => ({...permission, allowed: permission.resource !== 'pods' || permission.subresource === undefined}));
	const node = {root: '/unused'} as TestNode;
	t.deepEqual(rows(node, apiResults({server: 'https://10.43.0.1:443', user: 'system:serviceaccount:openshift-multus:multus', permissions})), [
		['api-authentication', 'ok', 'https://10.43.0.1:443 accepts the token as system:serviceaccount:openshift-multus:multus'],
		['api-permission', 'ok', 'may get pods'],
		['api-permission', 'fail', 'system:serviceaccount:openshift-multus:multus may not update pods/status, which Multus needs to write the k8s.v1.cni.cncf.io/network-status annotation'],
		['api-permission', 'ok', 'may get network-attachment-definitions.k8s.cni.cncf.io'],
		['api-permission', 'ok', 'may create events'],
	]);
	t.is(apiResults({server: 's', permissions})[2]?.fix, 'Grant it: the ClusterRole bound to the service account needs {apiGroups: [""], resources: ["pods/status"], verbs: ["update"]} (see deploy/base/03-cluster-role.yaml).');
	t.deepEqual(rows(node, apiResults({server: 'https://10.43.0.1:443', failure: {kind: 'unauthorized', status: 401, message: '401 Unauthorized: Unauthorized'}, permissions: []})), [['api-authentication', 'fail', 'the API server at https://10.43.0.1:443 rejects the token (401 Unauthorized: Unauthorized)']]);
});

const dhcpNad = {metadata: {name: 'macvlan-dhcp', namespace: 'default'}, spec: {config: JSON.stringify({cniVersion: '0.4.0', type: 'macvlan', master: 'eth1', ipam: {type: 'dhcp'}})}};

test('dhcp: no NAD uses dhcp', async t => {
	const node = await createTestNode(t);
	t.deepEqual(rows(node, await checkDhcp(node.options(), [{metadata: {name: 'b'}, spec: {config: '{"type": "bridge"}'}}], '')), [['dhcp-daemon', 'skip', 'none of the 1 NetworkAttachmentDefinition uses dhcp IPAM']]);
});

test('dhcp: a NAD uses dhcp but no daemon socket exists', async t => {
	const node = await createTestNode(t);
	t.deepEqual(rows(node, await checkDhcp(node.options(), [dhcpNad], '')), [['dhcp-daemon', 'fail', 'default/macvlan-dhcp uses dhcp but <root>/host/run/cni/dhcp.sock does not exist: pods fail with "error dialing DHCP daemon"']]);
});

test('dhcp: a stale socket left by a killed daemon', async t => {
	const node = await createTestNode(t);
	const socket = path.join(node.host, 'run/cni/dhcp.sock');
	await fs.mkdir(path.dirname(socket), {recursive: true});
	const daemon = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(socket)}, () => console.log('up'))`], {stdio: ['ignore', 'pipe', 'inherit']});
	await new Promise(resolve => daemon.stdout.once('data', resolve));
	daemon.kill('SIGKILL');
	await new Promise(resolve => daemon.once('close', resolve));
	t.deepEqual(rows(node, await checkDhcp(node.options(), [dhcpNad], '')), [['dhcp-daemon', 'fail', 'default/macvlan-dhcp uses dhcp but <root>/host/run/cni/dhcp.sock refuses connections (nothing listens; a stale socket): pods fail with "error dialing DHCP daemon"']]);
});

test('dhcp: the daemon answers', async t => {
	const node = await createTestNode(t);
	const socket = path.join(node.host, 'run/cni/dhcp.sock');
	await fs.mkdir(path.dirname(socket), {recursive: true});
	const server = net.createServer(connection => connection.end());
	await new Promise<void>(resolve => server.listen(socket, resolve));
	t.teardown(() => server.close());
	t.deepEqual(rows(node, await checkDhcp(node.options(), [dhcpNad], '')), [['dhcp-daemon', 'ok', '<root>/host/run/cni/dhcp.sock answers (used by default/macvlan-dhcp)']]);
	t.deepEqual(rows(node, await checkDhcp(node.options(), undefined, 'the API server is not usable')), [['dhcp-daemon', 'ok', '<root>/host/run/cni/dhcp.sock answers (NADs not listed: the API server is not usable)']]);
});
