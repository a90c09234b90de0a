// multus-agent lint as a process: inputs, output formats, exit codes, and what it checks on a node.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {realBinariesMissing, REAL_BIN_DIR, redactRoot, runCli, writeFakePlugin, writeFakeSysfs, writeFile} from './helpers.ts';

async function tempDir(t: ExecutionContext): Promise<string> {
	const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'multus-lint-test-'));
	t.teardown(async () => fs.rm(directory, {recursive: true, force: true}));
	return directory;
}

const BROKEN = `# The MicroShift bridge example, with two mistakes
apiVersion: k8s.cni.cncf.io/v1
kind: NetworkAttachmentDefinition
metadata:
  name: bridge-conf
spec:
  config: '{
      "cniVersion": "0.4.0",
      "type": "bridge",
      "bridge": "br-test",
      "isGatway": true,
      "ipam": {
        "type": "host-local",
        "subnet": "10.10.0.0/24",
        "rangeStart": "10.10.1.20",
        "rangeEnd": "10.10.0.50",
        "dataDir": "/var/lib/cni/br-test"
      }
    }'
---
apiVersion: v1
kind: Pod
metadata:
  name: web
  namespace: default
  annotations:
    k8s.v1.cni.cncf.io/networks: bad-conf, bridge-conf@net1
spec:
  containers: [{name: web, image: quay.io/microshift/busybox:1.36}]
`;

const HEALTHY = BROKEN.replace('"isGatway"', '"isGateway"').replace('10.10.1.20', '10.10.0.20').replace('bad-conf, ', '');

test('a broken NAD and pod: every finding with its fix, exit 10', async t => {
	const directory = await tempDir(t);
	const file = await writeFile(path.join(directory, 'bridge.yaml'), BROKEN);
	const result = await runCli(['lint', file]);
	t.is(result.code, 10);
	t.is(result.stderr, '');
	t.is(redactRoot(result.stdout, directory), `<root>/bridge.yaml:2  NetworkAttachmentDefinition default/bridge-conf
  warning spec.config.isGatway: "isGatway" is not a bridge key; it looks like a typo of "isGateway"
          Fix: Rename it to "isGateway": bridge ignores unknown keys, so "isGatway" has no effect.
  error   spec.config.ipam.rangeStart: 10.10.1.20 is outside the subnet 10.10.0.0/24
          Fix: Pick a rangeStart inside 10.10.0.0/24, or widen the subnet.

<root>/bridge.yaml:21  Pod default/web
  warning metadata.annotations["k8s.v1.cni.cncf.io/networks"][0]: cannot find a network-attachment-definition (bad-conf) in namespace (default) among the linted inputs
          Fix: Create NetworkAttachmentDefinition bad-conf in namespace default, or correct the name; until then the pod stays in ContainerCreating with a NoNetworkFound event. (Run with --cluster to check the cluster.)

lint: 1 error, 2 warnings in 2 objects
`);
});

test('a healthy NAD and pod: no findings, exit 0', async t => {
	const directory = await tempDir(t);
	const result = await runCli(['lint', await writeFile(path.join(directory, 'bridge.yaml'), HEALTHY)]);
	t.is(result.stdout, 'lint: 2 objects checked, no problems\n');
	t.is(result.code, 0);
});

test('warnings alone exit 0; --output json lists source, object, path, severity, message and fix', async t => {
	const result = await runCli(['lint', '--output=json', '-'], {stdin: JSON.stringify({apiVersion: 'v1', kind: 'Pod', metadata: {name: 'web', annotations: {'k8s.v1.cni.cncf.io/networks': 'elsewhere'}}})});
	t.is(result.code, 0);
	t.deepEqual(JSON.parse(result.stdout), {
		findings: [{source: 'stdin:1', object: 'Pod default/web', severity: 'warning', path: 'metadata.annotations["k8s.v1.cni.cncf.io/networks"][0]', message: 'cannot find a network-attachment-definition (elsewhere) in namespace (default) among the linted inputs', fix: 'Create NetworkAttachmentDefinition elsewhere in namespace default, or correct the name; until then the pod stays in ContainerCreating with a NoNetworkFound event. (Run with --cluster to check the cluster.)'}],
		summary: {errors: 0, warnings: 1, objects: 1},
		notes: [],
	});
});

test('Lists, Deployments and CronJobs: pod templates are linted at their path', async t => {
	const list = {apiVersion: 'v1', kind: 'List', items: [
		{apiVersion: 'apps/v1', kind: 'Deployment', metadata: {name: 'd', namespace: 'team-a'}, spec: {template: {metadata: {annotations: {'k8s.v1.cni.cncf.io/networks': 'Net'}}}}},
		{apiVersion: 'batch/v1', kind: 'CronJob', metadata: {name: 'c'}, spec: {jobTemplate: {spec: {template: {metadata: {annotations: {'k8s.v1.cni.cncf.io/networks': 'a/b/c'}}}}}}},
		{apiVersion: 'v1', kind: 'ConfigMap', metadata: {name: 'ignored'}},
	]};
	const result = await runCli(['lint', '--output=json', '-'], {stdin: JSON.stringify(list)});
	t.is(result.code, 10);
	const {findings} = JSON.parse(result.stdout) as {findings: Array<{object: string; path: string}>};
	t.deepEqual(findings.map(finding => [finding.object, finding.path]), [
		['Deployment team-a/d', 'spec.template.metadata.annotations["k8s.v1.cni.cncf.io/networks"][0]'],
		['CronJob default/c', 'spec.jobTemplate.spec.template.metadata.annotations["k8s.v1.cni.cncf.io/networks"][0]'],
	]);
});

test('a YAML syntax error is a finding at its line; other documents are still checked', async t => {
	const directory = await tempDir(t);
	const file = await writeFile(path.join(directory, 'mixed.yaml'), `${HEALTHY}---\nkind: Pod\nmetadata: {name: [\n`);
	const result = await runCli(['lint', '--output=json', file]);
	t.is(result.code, 10);
	const {findings, summary} = JSON.parse(result.stdout) as {findings: Array<{source: string; message: string}>; summary: unknown};
	t.is(findings.length, 1);
	t.is(redactRoot(findings[0]!.source, directory), '<root>/mixed.yaml:32');
	t.regex(findings[0]!.message, /^not valid YAML: /);
	t.deepEqual(summary, {errors: 1, warnings: 0, objects: 2});
});

test('no input is a usage error (exit 2); an unreadable file is exit 3', async t => {
	const usage = await runCli(['lint']);
	t.is(usage.code, 2);
	t.is(usage.stderr, 'multus-agent: lint needs input: FILE..., - for stdin, or --cluster. Fix: Run multus-agent lint nad.yaml pod.yaml, or multus-agent lint --cluster.\n');
	const missing = await runCli(['lint', '/nonexistent/nad.yaml']);
	t.is(missing.code, 3);
	t.regex(missing.stderr, /^multus-agent: Cannot read the input: \/nonexistent\/nad\.yaml \(ENOENT: .*\)\. Fix: Give a readable YAML or JSON file, or - for stdin\.\n$/);
});

test('--help lists the lint flags and exit codes', async t => {
	const result = await runCli(['lint', '--help']);
	t.is(result.code, 0);
	t.regex(result.stdout, /Exit codes: 0 no errors \(warnings allowed\), 10 errors found/);
	t.regex(result.stdout, /--cluster\n/);
	t.notRegex(result.stdout, /--multus-conf-file/);
});

test('on a node: missing, unusable and too-old plugins, and a master that does not exist', async t => {
	const root = await tempDir(t);
	const binDir = path.join(root, 'run/cni/bin');
	await writeFakePlugin(binDir, 'macvlan', ['0.3.1', '0.4.0']);
	await writeFakePlugin(binDir, 'ipvlan', 'silent');
	await writeFakePlugin(binDir, 'static', 'no-exec');
	await writeFakeSysfs(root, {lo: {mtu: 65_536}, eth0: {}, enp1s0: {mtu: 9000}});
	const nads = [
		{apiVersion: 'k8s.cni.cncf.io/v1', kind: 'NetworkAttachmentDefinition', metadata: {name: 'mac'}, spec: {config: JSON.stringify({cniVersion: '1.0.0', type: 'macvlan', master: 'eth9', ipam: {type: 'dhcp'}})}},
		{apiVersion: 'k8s.cni.cncf.io/v1', kind: 'NetworkAttachmentDefinition', metadata: {name: 'ipv'}, spec: {config: JSON.stringify({cniVersion: '0.4.0', type: 'ipvlan', master: 'enp1s0', ipam: {type: 'static', addresses: [{address: '10.1.0.2/24'}]}})}},
	];
	const result = await runCli(['lint', `--host-prefix=${root}`, `--cni-bin-dir=${binDir}`, '--output=json', '-'], {stdin: JSON.stringify(nads)});
	t.is(result.code, 10);
	const report = JSON.parse(redactRoot(result.stdout, root)) as {findings: Array<{object: string; path: string; message: string}>; notes: string[]};
	t.deepEqual(report.findings.map(finding => [finding.object, finding.path, finding.message]), [
		['NetworkAttachmentDefinition default/mac', 'spec.config.cniVersion', '"1.0.0" is not supported by the installed macvlan (it supports 0.3.1, 0.4.0); the runtime fails with "incompatible CNI versions"'],
		['NetworkAttachmentDefinition default/mac', 'spec.config.master', '"eth9" does not exist on this node (no <root>/sys/class/net/eth9)'],
		['NetworkAttachmentDefinition default/mac', 'spec.config.ipam.type', 'no "dhcp" binary in <root>/run/cni/bin, so every pod using this network fails (failed to find plugin "dhcp")'],
		['NetworkAttachmentDefinition default/ipv', 'spec.config.type', 'the ipvlan binary in <root>/run/cni/bin is not usable: it does not answer CNI_COMMAND=VERSION with a version list (exit 0, said nothing); is it a CNI plugin?'],
		['NetworkAttachmentDefinition default/ipv', 'spec.config.ipam.type', 'the static binary in <root>/run/cni/bin is not usable: it is not executable (mode 0644)'],
	]);
	t.deepEqual(report.notes, ['plugin binaries and their versions checked in <root>/run/cni/bin', 'interfaces checked in <root>/sys/class/net']);
});

test('on a node without a bin dir or sysfs, lint says what it did not check', async t => {
	const root = await tempDir(t);
	const result = await runCli(['lint', `--host-prefix=${root}`, '-'], {stdin: '{"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}}'});
	t.is(result.code, 0);
	t.is(redactRoot(result.stdout, root), `note: <root>/opt/cni/bin is not a directory: plugin binaries not checked (on MicroShift pass --cni-bin-dir=<host-prefix>/run/cni/bin)
note: <root>/sys/class/net does not exist: master interfaces not checked

lint: 1 object checked, no problems
`);
});

test('on a node, namespace isolation comes from the Multus config the agent wrote', async t => {
	const root = await tempDir(t);
	await writeFile(path.join(root, 'etc/cni/net.d/00-multus.conf'), JSON.stringify({cniVersion: '0.4.0', name: 'multus-cni-network', type: 'multus', namespaceIsolation: true, globalNamespaces: 'openshift-multus', kubeconfig: '/etc/cni/net.d/multus.d/multus.kubeconfig', delegates: [{cniVersion: '0.4.0', name: 'ovn-kubernetes', type: 'ovn-k8s-cni-overlay'}]}));
	const pod = {apiVersion: 'v1', kind: 'Pod', metadata: {name: 'p', namespace: 'team-a', annotations: {'k8s.v1.cni.cncf.io/networks': 'default/bridge-conf, openshift-multus/shared'}}};
	const result = await runCli(['lint', `--host-prefix=${root}`, '--output=json', '-'], {stdin: JSON.stringify(pod)});
	const report = JSON.parse(redactRoot(result.stdout, root)) as {findings: Array<{message: string}>; notes: string[]};
	t.is(result.code, 10);
	t.deepEqual(report.findings.map(finding => finding.message), ['namespace isolation enabled, annotation violates permission, pod is in namespace team-a but refers to target namespace default', 'cannot find a network-attachment-definition (shared) in namespace (openshift-multus) among the linted inputs']);
	t.true(report.notes.includes('namespace isolation on (global namespaces: openshift-multus), as <root>/etc/cni/net.d/00-multus.conf says'));
	const flags = await runCli(['lint', '--namespace-isolation=false', `--host-prefix=${root}`, '--output=json', '-'], {stdin: JSON.stringify(pod)});
	t.is(flags.code, 0, 'explicit flags win over the node\'s config');
});

const realTest = realBinariesMissing() === undefined ? test : test.skip;
if (realBinariesMissing() !== undefined) {
	console.log(`skipping lint against the real plugins: ${realBinariesMissing()}`);
}

realTest('against the real plugins (containernetworking/plugins v1.10.0): every MicroShift example is clean', async t => {
	const examples = [
		{cniVersion: '0.4.0', type: 'bridge', bridge: 'br-test', isGateway: true, ipam: {type: 'host-local', ranges: [[{subnet: '10.10.0.0/24', rangeStart: '10.10.0.20', rangeEnd: '10.10.0.50'}]]}},
		{cniVersion: '1.0.0', type: 'macvlan', master: 'eth0', mode: 'bridge', ipam: {type: 'dhcp'}},
		{cniVersion: '1.1.0', type: 'ipvlan', master: 'eth1', mode: 'l2', ipam: {type: 'static', addresses: [{address: '192.168.112.2/24'}]}},
	].map((config, index) => ({apiVersion: 'k8s.cni.cncf.io/v1', kind: 'NetworkAttachmentDefinition', metadata: {name: `net${index}`}, spec: {config: JSON.stringify(config)}}));
	const result = await runCli(['lint', `--cni-bin-dir=${REAL_BIN_DIR}`, '-'], {stdin: JSON.stringify(examples)});
	t.is(result.stdout, `note: plugin binaries and their versions checked in ${REAL_BIN_DIR}\n\nlint: 3 objects checked, no problems\n`);
	t.is(result.code, 0);
});
