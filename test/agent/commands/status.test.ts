// multus-agent status: the status file of a real agent, and the exit code for each state.
import test from 'ava';
import {startAgent} from '../../helpers/agent-process.ts';
import {runCli} from './helpers.ts';
import {createTestNode, installWithAgent} from './node-fixture.ts';

test('no status file: exit 12 and what to check', async t => {
	const node = await createTestNode(t);
	const result = await runCli(['status', ...node.flags], {env: node.env});
	t.is(result.code, 12);
	t.is(result.stdout.replaceAll(node.root, '<root>'), 'multus-agent status: unknown: there is no status file at <root>/host/etc/cni/net.d/multus.d/agent-status.json\nFix: the agent has not run on this node, or --host-prefix/--multus-kubeconfig-file-host differ from the DaemonSet\'s.\n');
});

test('a running, ready agent: exit 0, with what it installed', async t => {
	const node = await createTestNode(t);
	const agent = startAgent(node.flags, node.env);
	t.teardown(async () => agent.stop('SIGKILL'));
	await agent.waitFor('ready');
	const result = await runCli(['status', ...node.flags], {env: node.env});
	t.is(result.code, 0, result.stdout);
	const lines = result.stdout.replaceAll(node.root, '<root>').split('\n');
	t.regex(lines[0]!, new RegExp(`^multus-agent status: ready \\(phase ready\\), agent 0\\.1\\.0 pid ${agent.child.pid} \\(running here\\), updated \\S+$`));
	t.regex(lines.find(line => line.includes('config  '))!, /^ {2}config {6}<root>\/host\/etc\/cni\/net\.d\/00-multus\.conf \(primary <root>\/host\/etc\/cni\/net\.d\/10-ovn-kubernetes\.conf, cniVersion 0\.4\.0, written \S+\)$/);
	t.is(lines.find(line => line.includes('binaries')), '  binaries    multus, bridge, macvlan, ipvlan, host-local, dhcp, static in <root>/host/opt/cni/bin');
	const json = JSON.parse((await runCli(['status', ...node.flags, '--output=json'], {env: node.env})).stdout) as {verdict: string; process: string; status: {phase: string}};
	t.like(json, {verdict: 'ready', process: 'running here', status: {phase: 'ready'}});
});

test('an agent still waiting for the primary: exit 13 with the reason', async t => {
	const node = await createTestNode(t);
	const agent = startAgent([...node.flags, '--readiness-indicator-file=/etc/cni/net.d/20-not-yet.conf'], node.env);
	t.teardown(async () => agent.stop('SIGKILL'));
	await agent.waitFor('waiting');
	const result = await runCli(['status', ...node.flags], {env: node.env});
	t.is(result.code, 13);
	t.true(result.stdout.replaceAll(node.root, '<root>').includes('  waiting     the readiness indicator file does not exist yet: <root>/host/etc/cni/net.d/20-not-yet.conf\n'), result.stdout);
});

test('a stopped agent: exit 14', async t => {
	const node = await createTestNode(t);
	await installWithAgent(node);
	const result = await runCli(['status', ...node.flags, '--output=json'], {env: node.env});
	t.is(result.code, 14);
	t.like(JSON.parse(result.stdout) as object, {verdict: 'stopped', process: 'not running in this PID namespace', status: {phase: 'stopped'}});
});
