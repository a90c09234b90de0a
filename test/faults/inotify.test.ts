// inotify exhausted: the agent falls back to polling, says so (watch-fallback), and still converges.
// Nothing machine-wide is changed: the limits hit are a dedicated uid's or those of a private user namespace.
import {execFileSync, spawn} from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import test, {type ExecutionContext} from 'ava';
import {OVN_PRIMARY, writePrimary} from '../helpers/host-root.ts';
import type {SpawnOptions} from './helpers/agent.ts';
import {whyNotRoot} from './helpers/mount-namespace.ts';
import {faultNode, type FaultNode} from './helpers/node.ts';
import {seededRandom} from './helpers/random.ts';

// The system python (apt package python3): a version manager's shim in root's home is not usable by another uid.
const PYTHON = '/usr/bin/python3';
const notRoot = whyNotRoot(['setpriv', 'unshare', PYTHON]);
const userNamespaces = notRoot ?? canUnshareUser();
for (const [what, why] of [['inotify fault tests', notRoot], ['the user-namespace inotify test', userNamespaces]]) {
	if (why !== undefined) {
		console.log(`skipping ${what}: ${why}`);
	}
}

// Opens inotify instances until the uid's limit (fs.inotify.max_user_instances) refuses one, then holds them.
const EXHAUST_INSTANCES = `
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
held = []
while True:
    fd = libc.inotify_init1(0)
    if fd < 0:
        break
    held.append(fd)
print(len(held), os.strerror(ctypes.get_errno()), flush=True)
sys.stdin.read()
`;

(notRoot ? test.skip : test)('inotify instances exhausted by another process of the same uid (EMFILE)', async t => {
	const node = await faultNode(t, {multusMb: 1, pluginMb: 1});
	const uid = 200_000 + seededRandom(t).int(0, 99_999);
	await fs.chmod(node.root, 0o755);
	execFileSync('chown', ['-R', `${uid}:${uid}`, node.root]);
	const asUid = ['setpriv', `--reuid=${uid}`, `--regid=${uid}`, '--clear-groups', '--'];
	const hog = spawn(asUid[0]!, [...asUid.slice(1), PYTHON, '-c', EXHAUST_INSTANCES], {stdio: ['pipe', 'pipe', 'inherit']});
	t.teardown(() => {
		hog.kill('SIGKILL');
	});
	const held = await new Promise<string>((resolve, reject) => {
		readline.createInterface({input: hog.stdout!}).once('line', resolve);
		hog.once('exit', code => {
			reject(new Error(`the inotify hog exited with ${code}`));
		});
	});
	t.log(`uid ${uid}: another process holds ${held}`);
	t.regex(held, /Too many open files/);
	await converges(t, node, {prefix: asUid}, 'EMFILE', () => {
		execFileSync('chown', ['-R', `${uid}:${uid}`, node.serviceAccount]);
	});
});

(userNamespaces ? test.skip : test)('inotify watches exhausted (ENOSPC) in a user namespace limited to 3 watches', async t => {
	const node = await faultNode(t, {multusMb: 1, pluginMb: 1});
	// /proc/sys/user/max_inotify_watches belongs to the new user namespace: the machine's limit is untouched.
	const limited = ['unshare', '--user', '--map-root-user', 'sh', '-c', 'echo 3 > /proc/sys/user/max_inotify_watches && exec "$@"', 'sh'];
	await converges(t, node, {prefix: limited}, 'ENOSPC');
});

// The agent says it polls, then follows the primary, the token and the binaries anyway.
async function converges(t: ExecutionContext, node: FaultNode, options: SpawnOptions, code: string, afterRotation = (): void => undefined): Promise<void> {
	await writePrimary(node);
	const agent = node.start([], options);
	const fallback = await agent.waitFor('watch-fallback');
	t.is(fallback['code'], code);
	t.regex(String(fallback.msg), /polling/);
	await agent.waitFor('ready');
	const idleFrom = agent.cpuMs();

	await writePrimary(node, {...OVN_PRIMARY, mtu: 1234});
	await agent.waitFor(line => line.event === 'config-written', 8000);
	const config = JSON.parse(await fs.readFile(path.join(node.confDir, '00-multus.conf'), 'utf8')) as {delegates: Array<{mtu?: number}>};
	t.is(config.delegates[0]?.mtu, 1234);
	const token = await node.rotateToken();
	afterRotation();
	await agent.waitFor('kubeconfig-written', 8000);
	t.is(await fs.readFile(node.kubeconfig, 'utf8'), node.kubeconfigFor(token));
	await fs.rm(path.join(node.binDir, 'macvlan'));
	await agent.waitFor(line => line.event === 'binary-installed' && line['path'] === path.join(node.binDir, 'macvlan'), 8000);
	const pollingCpuMs = agent.cpuMs() - idleFrom;
	t.log(`converged by polling (${code}); CPU while polling and syncing: ${pollingCpuMs} ms`);
	t.true(pollingCpuMs < 3000, `polling costs ${pollingCpuMs} ms of CPU`);
	t.is(await agent.stop(), 0);
	await node.assertNoSecrets(t);
}

function canUnshareUser(): string | undefined {
	try {
		execFileSync('unshare', ['--user', '--map-root-user', 'true'], {stdio: 'ignore'});
		return undefined;
	} catch {
		return 'unshare --user is not permitted here';
	}
}
