// multus-agent doctor as a process on a node without a reachable API: the order of checks, the text, the exit code.
import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import {runCli, writeFile} from './helpers.ts';
import {createTestNode, installWithAgent} from './node-fixture.ts';

test('a broken node: each failing check with its fix, exit 11 (the file that shadows our config is also taken as the primary)', async t => {
	const node = await createTestNode(t);
	await installWithAgent(node);
	await writeFile(path.join(node.host, 'etc/crio/crio.conf.d/99-local.conf'), '[crio.network]\ncni_default_network = "ovn-kubernetes"\n');
	await writeFile(path.join(node.confDir, '00-aaa.conflist'), '{}');
	await fs.rm(path.join(node.binDir, 'macvlan'));
	await fs.chmod(node.kubeconfig, 0o644);
	const result = await runCli(['doctor', ...node.flags], {env: node.env});
	t.is(result.code, 11);
	const port = node.env['KUBERNETES_SERVICE_PORT']!;
	const text = result.stdout.replaceAll(node.root, '<root>').replaceAll(port, '<port>').split('\n').map(line => line.replaceAll(/ {2,}/g, '  ').trimEnd());
	t.deepEqual(text.filter(line => /^(?:FAIL|warn)\b/.test(line) || line.startsWith('  Fix:')), [
		'FAIL  crio-default-network  cni_default_network is "ovn-kubernetes" (last set by <root>/host/etc/crio/crio.conf.d/99-local.conf), so CRI-O calls that network directly and pods get no additional interfaces',
		'  Fix: Set cni_default_network = "multus-cni-network" in a drop-in that sorts after 99-local.conf (MicroShift: /etc/crio/crio.conf.d/12-microshift-multus.conf from the microshift-multus RPM), then systemctl restart crio.',
		'FAIL  config-first  00-aaa.conflist sorts before 00-multus.conf in <root>/host/etc/cni/net.d: a runtime that takes the first config loads it instead of Multus',
		'  Fix: Rename 00-aaa.conflist to sort after 00-multus.conf (e.g. 10-aaa.conflist), or remove it.',
		'FAIL  primary  <root>/host/etc/cni/net.d/00-aaa.conflist is not a valid CNI config: $.cniVersion: is missing. Add "cniVersion", e.g. "1.0.0", as the network plugin documents.',
		'  Fix: Add "cniVersion", e.g. "1.0.0", as the network plugin documents.',
		'FAIL  binary macvlan  macvlan is not in <root>/host/opt/cni/bin: every pod fails with "failed to find plugin \\"macvlan\\""',
		'  Fix: Add macvlan to the agent\'s --cni-plugins (or install the primary network\'s binary), then restart the agent pod.',
		'FAIL  kubeconfig  <root>/host/etc/cni/net.d/multus.d/multus.kubeconfig is mode 0644; it holds a token, so only root may read it',
		'  Fix: chmod 600 <root>/host/etc/cni/net.d/multus.d/multus.kubeconfig (the agent writes it 0600; something else changed it).',
		'warn  token  the token is not a JWT with an expiry; cannot tell when it expires',
		'  Fix: Use a service-account token (the agent copies the pod\'s projected token).',
		'FAIL  api-server  cannot reach the API server at https://127.0.0.1:<port>: connect ECONNREFUSED 127.0.0.1:<port>',
		'  Fix: The kubeconfig names the in-cluster service address; from the host it may not route. Run doctor in the agent\'s pod, or pass --server=https://<node-ip>:6443.',
	]);
	t.is(text.at(-2), 'doctor: 6 failed (11 ok, 1 warning, 2 skipped): Multus does not work on this node until the failures are fixed');
	t.is(text.find(line => line.startsWith('skip  dhcp-daemon')), 'skip  dhcp-daemon  cannot tell whether any NAD uses dhcp (the API server is not usable (connect ECONNREFUSED 127.0.0.1:<port>)); <root>/host/run/cni/dhcp.sock: does not exist');
});

test('--output json has every check and the API report; --api-only runs only the kubeconfig and API checks', async t => {
	const node = await createTestNode(t);
	await installWithAgent(node);
	const full = JSON.parse((await runCli(['doctor', ...node.flags, '--output=json'], {env: node.env})).stdout) as {checks: Array<{check: string}>; summary: Record<string, number>; api: {failure: {kind: string}}};
	t.is(full.checks[0]?.check, 'crio-default-network');
	t.is(full.api.failure.kind, 'unreachable');
	const apiOnly = await runCli(['doctor', ...node.flags, '--api-only', '--output=json'], {env: node.env});
	t.is(apiOnly.code, 11);
	t.deepEqual((JSON.parse(apiOnly.stdout) as {checks: Array<{check: string}>}).checks.map(check => check.check), ['kubeconfig', 'token', 'api-server']);
});

test('--help names the checks and the exit codes; unknown flags are usage errors', async t => {
	const help = await runCli(['doctor', '--help']);
	t.is(help.code, 0);
	t.regex(help.stdout, /Exit codes: 0 nothing failed \(warnings allowed\), 11 a check failed, 2 usage\./);
	t.regex(help.stdout, /--api-only\n/);
	const bad = await runCli(['doctor', '--outptu=json']);
	t.is(bad.code, 2);
	t.is(bad.stderr, 'multus-agent: Unknown flag --outptu. Fix: Run with --help for the list of flags.\n');
	const format = await runCli(['doctor', '--output=yaml']);
	t.is(format.stderr, 'multus-agent: Flag --output does not accept "yaml". Fix: Use --output=text or --output=json.\n');
});
