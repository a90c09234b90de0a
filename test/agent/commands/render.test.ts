// multus-agent render: what the agent would write, with the token redacted, touching nothing.
import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import {snapshot, TEST_CA} from '../../helpers/host-root.ts';
import {writeProjectedVolume} from '../../helpers/kubelet.ts';
import {runCli} from './helpers.ts';
import {createTestNode, installWithAgent} from './node-fixture.ts';

test('prints the config and kubeconfig the agent writes, token redacted, and changes nothing', async t => {
	const node = await createTestNode(t);
	const jwt = ['e30', Buffer.from(JSON.stringify({exp: 1_900_000_000})).toString('base64url'), 'c2ln'].join('.');
	await writeProjectedVolume(node.serviceAccount, {token: jwt, 'ca.crt': TEST_CA});
	const before = await snapshot(node.root);
	const result = await runCli(['render', ...node.flags], {env: node.env});
	t.is(result.code, 0, result.stderr);
	t.deepEqual(await snapshot(node.root), before, 'render touched the host');
	await installWithAgent(node);
	const config = await fs.readFile(path.join(node.confDir, '00-multus.conf'), 'utf8');
	const kubeconfig = await fs.readFile(node.kubeconfig, 'utf8');
	const redacted = kubeconfig.replace(JSON.stringify(jwt), JSON.stringify(`<redacted: ${jwt.length} characters, expires 2030-03-17T17:46:40.000Z>`));
	t.not(redacted, kubeconfig);
	t.is(result.stdout, `# ${path.join(node.confDir, '00-multus.conf')} (host path /etc/cni/net.d/00-multus.conf), mode 0600\n${config.trimEnd()}\n\n# ${node.kubeconfig} (host path /etc/cni/net.d/multus.d/multus.kubeconfig), mode 0600\n${redacted.trimEnd()}\n`);
	t.false(result.stdout.includes(jwt));
});

test('without a primary it says the agent would wait (exit 3), and still renders the kubeconfig', async t => {
	const node = await createTestNode(t);
	await fs.rm(path.join(node.confDir, '10-ovn-kubernetes.conf'));
	const result = await runCli(['render', ...node.flags, '--readiness-indicator-file=', '--output=json'], {env: node.env});
	t.is(result.code, 3);
	const report = JSON.parse(result.stdout.replaceAll(node.root, '<root>')) as {config: unknown; kubeconfig: {path: string}; problems: unknown[]};
	t.is(report.config, null);
	t.is(report.kubeconfig.path, '<root>/host/etc/cni/net.d/multus.d/multus.kubeconfig');
	t.deepEqual(report.problems, [{message: 'The agent would wait: there is no primary CNI config: <root>/host/etc/cni/net.d. Fix: Start the primary network (on MicroShift ovn-kubernetes writes 10-ovn-kubernetes.conf).', path: '<root>/host/etc/cni/net.d', exitCode: 3}]);
});

test('a primary at odds with --cni-version is exit 5 with the fix', async t => {
	const node = await createTestNode(t);
	const result = await runCli(['render', ...node.flags, '--cni-version=1.0.0'], {env: node.env});
	t.is(result.code, 5);
	t.true(result.stdout.replaceAll(node.root, '<root>').includes('# not rendered: The Multus config cannot be rendered from <root>/host/etc/cni/net.d/10-ovn-kubernetes.conf: $.cniVersion: the primary 10-ovn-kubernetes.conf has cniVersion "0.4.0" but --cni-version is "1.0.0". Fix: Drop --cni-version to follow the primary, or set it to the primary\'s version.'));
});
