// Hostile host paths: symlinks planted where the agent writes (before it starts or while it runs), a multus.d made
// by someone else, and error paths that must not echo secrets. The agent never writes through a link it did not
// create: it replaces the link, or refuses with a clear error.
import fs from 'node:fs/promises';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {LEDGER_FILE_NAME} from '../../agent/options.ts';
import {OWNER_FILE_NAME} from '../../agent/ownership.ts';
import {STATUS_FILE_NAME} from '../../agent/status.ts';
import {OVN_PRIMARY, writePrimary} from '../helpers/host-root.ts';
import {writeProjectedVolume} from '../helpers/kubelet.ts';
import {faultNode, type FaultNode} from './helpers/node.ts';

const smallBinaries = {multusMb: 1, pluginMb: 1};

// A file outside the host root that a planted link points at; it must keep its bytes and mode.
async function victim(node: FaultNode, name: string): Promise<{file: string; intact(): Promise<boolean>}> {
	const file = path.join(node.root, `victim-${name}`);
	const bytes = `do not overwrite: ${name}\n`;
	await fs.writeFile(file, bytes, {mode: 0o644});
	return {file, intact: async () => await fs.readFile(file, 'utf8') === bytes && ((await fs.stat(file)).mode & 0o777) === 0o644};
}

const planted = test.macro(async (t, where: (node: FaultNode) => string, mode: number) => {
	const node = await faultNode(t, smallBinaries);
	await writePrimary(node);
	const link = where(node);
	await fs.mkdir(path.dirname(link), {recursive: true, mode: 0o700});
	const target = await victim(node, path.basename(link));
	await fs.symlink(target.file, link);
	const agent = node.start();
	await agent.waitFor('ready');
	t.true(await target.intact(), 'the link target is untouched');
	const stat = await fs.lstat(link).catch(() => undefined);
	if (stat) {
		t.true(stat.isFile(), 'the link was replaced by a regular file');
		t.is(stat.mode & 0o777, mode);
	}

	t.is(await agent.stop(), 0);
	t.true(await target.intact());
	await node.assertNoSecrets(t);
});

test('a symlink planted as the kubeconfig is replaced, never written through', planted, node => node.kubeconfig, 0o600);
test('a symlink planted as 00-multus.conf is replaced', planted, node => path.join(node.confDir, '00-multus.conf'), 0o600);
test('a symlink planted as the stale 00-multus.conflist is removed, its target kept', planted, node => path.join(node.confDir, '00-multus.conflist'), 0o600);
test('a symlink planted as a binary is replaced', planted, node => path.join(node.binDir, 'bridge'), 0o755);
test('a symlink planted as the ledger is replaced', planted, node => path.join(node.binDir, LEDGER_FILE_NAME), 0o644);
test('a symlink planted as the status file is replaced', planted, node => path.join(path.dirname(node.kubeconfig), STATUS_FILE_NAME), 0o600);
test('a symlink planted as the ownership claim is replaced', planted, node => path.join(path.dirname(node.kubeconfig), OWNER_FILE_NAME), 0o600);

test('symlinks planted while the agent runs are replaced at the next write, never written through', async t => {
	const node = await faultNode(t, smallBinaries);
	await writePrimary(node);
	const agent = node.start();
	await agent.waitFor('ready');
	const kubeconfigVictim = await victim(node, 'kubeconfig');
	const configVictim = await victim(node, 'config');
	const binaryVictim = await victim(node, 'macvlan');
	const swap = async (link: string, target: string): Promise<void> => {
		await fs.symlink(target, `${link}.planted`);
		await fs.rename(`${link}.planted`, link);
	};

	await swap(node.kubeconfig, kubeconfigVictim.file);
	await node.rotateToken();
	await agent.waitFor('kubeconfig-written');
	await swap(path.join(node.confDir, '00-multus.conf'), configVictim.file);
	await agent.waitFor('config-written');
	await swap(path.join(node.binDir, 'macvlan'), binaryVictim.file);
	await agent.waitFor(line => line.event === 'binary-installed' && line['path'] === path.join(node.binDir, 'macvlan'));
	for (const target of [kubeconfigVictim, configVictim, binaryVictim]) {
		t.true(await target.intact());
	}

	t.true((await fs.lstat(node.kubeconfig)).isFile());
	t.is(await fs.readFile(node.kubeconfig, 'utf8'), node.kubeconfigFor(node.token));
	t.is(await agent.stop(), 0);
	await node.assertNoSecrets(t);
});

test('a symlink planted as multus.d is refused with exit 4, and the directory it points at is untouched', async t => {
	const node = await faultNode(t, smallBinaries);
	await writePrimary(node);
	const elsewhere = path.join(node.root, 'elsewhere');
	await fs.mkdir(elsewhere, {mode: 0o755});
	await fs.symlink(elsewhere, path.dirname(node.kubeconfig));
	const agent = node.start();
	t.is(await agent.exited, 4);
	const fatal = agent.lines.find(line => line.event === 'fatal');
	t.is(fatal?.['path'], path.dirname(node.kubeconfig));
	t.regex(String(fatal?.msg), /Refusing to write the kubeconfig: .*multus\.d is a symlink.*Fix: Remove/);
	t.deepEqual(await fs.readdir(elsewhere), []);
	t.is((await fs.stat(elsewhere)).mode & 0o777, 0o755);
});

test('a multus.d made by someone else (0777, with a 0644 kubeconfig and status file) is tightened', async t => {
	const node = await faultNode(t, smallBinaries);
	await writePrimary(node);
	const privateDir = path.dirname(node.kubeconfig);
	await fs.mkdir(privateDir, {mode: 0o777});
	await fs.chmod(privateDir, 0o777);
	// What an older installer left: the very bytes the agent would write, but readable by all.
	await fs.writeFile(node.kubeconfig, node.kubeconfigFor(node.token), {mode: 0o644});
	await fs.writeFile(path.join(privateDir, STATUS_FILE_NAME), '{}', {mode: 0o644});
	const agent = node.start();
	await agent.waitFor('ready');
	t.is((await fs.stat(privateDir)).mode & 0o777, 0o700);
	t.is((await fs.stat(node.kubeconfig)).mode & 0o777, 0o600, 'same bytes, wrong mode: rewritten 0600');
	t.is((await fs.stat(path.join(privateDir, STATUS_FILE_NAME))).mode & 0o777, 0o600);
	t.is(await agent.stop(), 0);
});

// Bad credentials and broken paths: every message names the file and the fix, and none carries secret material.
const failsWithoutLeaking = test.macro(async (t: ExecutionContext, setup: (node: FaultNode) => Promise<string[]>, code: number, message: RegExp) => {
	const node = await faultNode(t, smallBinaries);
	await writePrimary(node);
	const extra = await setup(node);
	const agent = node.start(extra);
	t.is(await agent.exited, code, agent.describe());
	t.regex(String(agent.lines.find(line => line.event === 'fatal')?.msg ?? agent.describe()), message);
	await node.assertNoSecrets(t);
});

test('a token with a space in it: exit 3, the token is not echoed', failsWithoutLeaking, async node => {
	const token = `secret-half ${node.token}`;
	node.secrets.push(token, 'secret-half');
	await writeProjectedVolume(node.serviceAccount, {token, 'ca.crt': node.caPem});
	return [];
}, 3, /token contains whitespace: .*serviceaccount\/token/);

test('a CA bundle that is no PEM: exit 3, its content is not echoed', failsWithoutLeaking, async node => {
	const notPem = `${node.secrets[0]!}${node.secrets[0]!}`;
	node.secrets.push(notPem);
	await writeProjectedVolume(node.serviceAccount, {token: node.token, 'ca.crt': notPem});
	return [];
}, 3, /CA bundle holds no PEM certificate: .*ca\.crt/);

test('a directory standing where the kubeconfig goes: exit 4 naming it, no secret in the message', failsWithoutLeaking, async node => {
	await fs.mkdir(node.kubeconfig, {recursive: true});
	return [];
}, 4, /Cannot write .*multus\.kubeconfig; the previous file is intact \(EISDIR.*Fix: Remove the directory/);

test('a primary config that is not valid while idle: the log shows no secret', async t => {
	const node = await faultNode(t, smallBinaries);
	const primary = await writePrimary(node);
	const agent = node.start(['--log-level=debug']);
	await agent.waitFor('ready');
	await fs.writeFile(primary, JSON.stringify({...OVN_PRIMARY, cniVersion: 1}));
	await agent.waitFor('config-invalid');
	await node.rotateToken();
	await agent.waitFor('kubeconfig-written');
	t.is(await agent.stop(), 0);
	await node.assertNoSecrets(t);
});
