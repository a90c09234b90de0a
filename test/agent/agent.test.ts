// The whole agent as a process on a temporary host root, synchronised on its log events (never on sleeps).
import fs from 'node:fs/promises';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {startAgent, type AgentProcess} from '../helpers/agent-process.ts';
import {createHostRoot, OVN_PRIMARY, PLUGINS, snapshot, TEST_CA, writePrimary, type HostRoot} from '../helpers/host-root.ts';
import {writeProjectedVolume} from '../helpers/kubelet.ts';

async function node(t: ExecutionContext): Promise<HostRoot> {
	const created = await createHostRoot();
	t.teardown(async () => created.cleanup());
	return created;
}

function run(t: ExecutionContext, host: HostRoot, extra: string[] = []): AgentProcess {
	const agent = startAgent([...host.args, ...extra], host.env);
	t.teardown(async () => {
		await agent.stop('SIGKILL');
	});
	return agent;
}

const modeOf = async (file: string): Promise<number> => (await fs.stat(file)).mode & 0o777;
const readJson = async (file: string): Promise<Record<string, unknown>> => JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;

test('installs everything, writes a 0600 kubeconfig and config, then exits 0 on SIGTERM', async t => {
	const host = await node(t);
	await writePrimary(host);
	const agent = run(t, host);
	await agent.waitFor('ready');
	t.is(await modeOf(host.kubeconfig), 0o600);
	t.is(await modeOf(path.dirname(host.kubeconfig)), 0o700);
	const kubeconfig = await fs.readFile(host.kubeconfig, 'utf8');
	t.true(kubeconfig.includes('token: "token-1"'));
	t.true(kubeconfig.includes('server: "https://127.0.0.1:1"'));
	t.true(kubeconfig.includes(Buffer.from(TEST_CA).toString('base64')));
	for (const name of ['multus', ...PLUGINS]) {
		t.is(await modeOf(path.join(host.binDir, name)), 0o755);
	}

	const config = await readJson(path.join(host.confDir, '00-multus.conf'));
	t.is(await modeOf(path.join(host.confDir, '00-multus.conf')), 0o600);
	t.deepEqual(config['delegates'], [OVN_PRIMARY]);
	t.is(config['kubeconfig'], '/etc/cni/net.d/multus.d/multus.kubeconfig');
	const started = Date.now();
	t.is(await agent.stop('SIGTERM'), 0);
	t.true(Date.now() - started < 1000);
	t.true(agent.lines.some(line => line.event === 'stopped'));
	t.true((await fs.readdir(host.confDir)).includes('00-multus.conf'), 'the config stays without --cleanup-config-on-exit');
});

test('waits for the readiness indicator before writing (multus-cni #1306, #1387)', async t => {
	const host = await node(t);
	await writePrimary(host, {cniVersion: '0.3.1', name: 'crio', type: 'bridge'}, '100-crio-bridge.conflist'.replace('.conflist', '.conf'));
	const agent = run(t, host, ['--readiness-indicator-file=/etc/cni/net.d/10-ovn-kubernetes.conf']);
	const waiting = await agent.waitFor('waiting');
	t.regex(String(waiting['reason']), /readiness indicator/);
	t.false((await fs.readdir(host.confDir)).includes('00-multus.conf'));
	await writePrimary(host);
	await agent.waitFor('ready');
	const config = await readJson(path.join(host.confDir, '00-multus.conf'));
	t.is((config['delegates'] as Array<{name: string}>)[0]!.name, 'ovn-kubernetes');
	t.is(config['readinessindicatorfile'], '/etc/cni/net.d/10-ovn-kubernetes.conf');
});

test('in auto mode waits for a primary config to exist', async t => {
	const host = await node(t);
	const agent = run(t, host);
	await agent.waitFor(line => line.event === 'waiting' && /no primary/.test(String(line['reason'])));
	t.false((await fs.readdir(host.confDir)).includes('00-multus.conf'));
	await writePrimary(host);
	const written = await agent.waitFor('config-written');
	t.is(written['path'], path.join(host.confDir, '00-multus.conf'));
});

test('a primary that is not valid JSON yet is waited for, not skipped for the next file', async t => {
	const host = await node(t);
	await fs.writeFile(path.join(host.confDir, '10-ovn-kubernetes.conf'), '{"cniVersion": "0.4.0", "na');
	await writePrimary(host, {cniVersion: '0.3.1', name: 'crio', type: 'bridge'}, '100-crio-bridge.conf');
	const agent = run(t, host);
	await agent.waitFor(line => line.event === 'waiting' && /not complete/.test(String(line['reason'])));
	await writePrimary(host);
	await agent.waitFor('ready');
	t.is((((await readJson(path.join(host.confDir, '00-multus.conf')))['delegates']) as Array<{name: string}>)[0]!.name, 'ovn-kubernetes');
});

test('a kubelet-style token rotation rewrites the kubeconfig within a second', async t => {
	const host = await node(t);
	await writePrimary(host);
	const agent = run(t, host);
	await agent.waitFor('ready');
	const rotated = Date.now();
	await writeProjectedVolume(host.serviceAccount, {token: 'token-2', 'ca.crt': TEST_CA});
	await agent.waitFor('kubeconfig-written');
	t.true(Date.now() - rotated < 1000);
	t.true((await fs.readFile(host.kubeconfig, 'utf8')).includes('token: "token-2"'));
	t.is(await modeOf(host.kubeconfig), 0o600);
	const newCa = TEST_CA.replace('TUlJQnRlc3RDQQ==', 'TmV3Q0E=');
	await writeProjectedVolume(host.serviceAccount, {token: 'token-2', 'ca.crt': newCa});
	await agent.waitFor('kubeconfig-written');
	t.true((await fs.readFile(host.kubeconfig, 'utf8')).includes(Buffer.from(newCa).toString('base64')));
});

test('a primary change regenerates; a cniVersion change moves .conf to .conflist', async t => {
	const host = await node(t);
	await writePrimary(host);
	const agent = run(t, host);
	await agent.waitFor('ready');
	await writePrimary(host, {...OVN_PRIMARY, cniVersion: '1.0.0'});
	const written = await agent.waitFor('config-written');
	t.is(written['path'], path.join(host.confDir, '00-multus.conflist'));
	t.false((await fs.readdir(host.confDir)).includes('00-multus.conf'));
	const config = await readJson(path.join(host.confDir, '00-multus.conflist'));
	t.is(config['cniVersion'], '1.0.0');
});

test('our config is restored when someone deletes or renames it (multus-cni #972)', async t => {
	const host = await node(t);
	await writePrimary(host);
	const agent = run(t, host);
	await agent.waitFor('ready');
	const file = path.join(host.confDir, '00-multus.conf');
	const original = await fs.readFile(file, 'utf8');
	await fs.rm(file);
	await agent.waitFor('config-written');
	t.is(await fs.readFile(file, 'utf8'), original);
	await fs.rename(file, `${file}.cilium_bak`);
	await agent.waitFor('config-written');
	t.is(await fs.readFile(file, 'utf8'), original);
});

test('a primary rewritten in place (truncate, then write) keeps the last good config', async t => {
	const host = await node(t);
	const primary = await writePrimary(host);
	const agent = run(t, host);
	await agent.waitFor('ready');
	const file = path.join(host.confDir, '00-multus.conf');
	const good = await fs.readFile(file, 'utf8');
	await fs.writeFile(primary, '');
	await agent.waitFor('kept');
	t.is(await fs.readFile(file, 'utf8'), good);
	await fs.writeFile(primary, JSON.stringify({...OVN_PRIMARY, mtu: 1400}));
	await agent.waitFor('config-written');
	t.is(((await readJson(file))['delegates'] as Array<{mtu: number}>)[0]!.mtu, 1400);
});

test('a primary that becomes invalid while idle is logged and the last good config kept', async t => {
	const host = await node(t);
	const primary = await writePrimary(host);
	const agent = run(t, host);
	await agent.waitFor('ready');
	await fs.writeFile(primary, JSON.stringify({name: 'ovn-kubernetes', type: 'x'}));
	const invalid = await agent.waitFor('config-invalid');
	t.is(invalid['jsonPath'], '$.cniVersion');
	t.true((await fs.readdir(host.confDir)).includes('00-multus.conf'));
	t.is(agent.child.exitCode, null);
});

test('deleted binaries are put back while idle', async t => {
	const host = await node(t);
	await writePrimary(host);
	const agent = run(t, host);
	await agent.waitFor('ready');
	await fs.rm(path.join(host.binDir, 'bridge'));
	const installed = await agent.waitFor('binary-installed');
	t.is(installed['path'], path.join(host.binDir, 'bridge'));
	t.is(await modeOf(path.join(host.binDir, 'bridge')), 0o755);
});

test('--cleanup-config-on-exit removes the config this process wrote', async t => {
	const host = await node(t);
	await writePrimary(host);
	const agent = run(t, host, ['--cleanup-config-on-exit']);
	await agent.waitFor('ready');
	t.is(await agent.stop(), 0);
	t.false((await fs.readdir(host.confDir)).includes('00-multus.conf'));
	t.true(agent.lines.some(line => line.event === 'config-removed'));
});

test('rolling update with maxSurge: the old agent stands by and its exit leaves the new config (multus-cni #1527)', async t => {
	const host = await node(t);
	await writePrimary(host);
	const old = run(t, host, ['--cleanup-config-on-exit']);
	await old.waitFor('ready');
	const file = path.join(host.confDir, '00-multus.conf');
	const newer = run(t, host, ['--cleanup-config-on-exit', '--multus-log-level=debug']);
	await newer.waitFor('ready');
	await old.waitFor('standby');
	await writeProjectedVolume(host.serviceAccount, {token: 'token-2', 'ca.crt': TEST_CA});
	await newer.waitFor('kubeconfig-written');
	t.is(await old.stop(), 0);
	t.true(old.lines.some(line => line.event === 'config-left'));
	t.is((await readJson(file))['logLevel'], 'debug');
	t.false(old.lines.some(line => line.event === 'kubeconfig-written' && old.lines.indexOf(line) > old.lines.findIndex(l => l.event === 'standby')));
});

test('non-auto mode installs the given file 0600 and follows changes to it', async t => {
	const host = await node(t);
	const source = path.join(host.root, 'multus-conf/70-multus.conf');
	await fs.mkdir(path.dirname(source));
	const config = {cniVersion: '0.3.1', name: 'multus-cni-network', type: 'multus', kubeconfig: '/etc/cni/net.d/multus.d/multus.kubeconfig', delegates: [OVN_PRIMARY]};
	await fs.writeFile(source, JSON.stringify(config), {mode: 0o644});
	const agent = run(t, host, [`--multus-conf-file=${source}`]);
	await agent.waitFor('ready');
	const installed = path.join(host.confDir, '70-multus.conf');
	t.is(await modeOf(installed), 0o600);
	t.deepEqual(await readJson(installed), config);
	t.true((await fs.readdir(path.dirname(host.kubeconfig))).includes('multus.kubeconfig'));
	await fs.writeFile(source, JSON.stringify({...config, logLevel: 'debug'}));
	await agent.waitFor('config-written');
	t.is((await readJson(installed))['logLevel'], 'debug');
});

test('a config shadowed by an earlier file is reported', async t => {
	const host = await node(t);
	await writePrimary(host);
	await fs.writeFile(path.join(host.confDir, '00-aaa.conflist'), '{}');
	const agent = run(t, host, ['--multus-master-cni-file-name=10-ovn-kubernetes.conf']);
	const warning = await agent.waitFor('config-shadowed');
	t.deepEqual(warning['files'], ['00-aaa.conflist']);
});

test('temp files of a killed agent are removed at the next start', async t => {
	const host = await node(t);
	await writePrimary(host);
	const stale = path.join(host.confDir, '.00-multus.conf.tmp-1-99999999-abcd');
	await fs.writeFile(stale, '{"torn');
	const old = new Date(Date.now() - 3_600_000);
	await fs.utimes(stale, old, old);
	const agent = run(t, host);
	const removed = await agent.waitFor('temp-removed');
	t.is(removed['path'], stale);
	await agent.waitFor('ready');
	t.false((await fs.readdir(host.confDir)).some(name => name.includes('.tmp-')));
});

test('multus.d with loose permissions is tightened to 0700', async t => {
	const host = await node(t);
	await writePrimary(host);
	await fs.mkdir(path.dirname(host.kubeconfig), {mode: 0o777});
	await fs.chmod(path.dirname(host.kubeconfig), 0o777);
	const agent = run(t, host);
	await agent.waitFor('ready');
	t.is(await modeOf(path.dirname(host.kubeconfig)), 0o700);
});

// Each bad input: a clear error naming the file or flag, a distinct exit code, and the host left as it was.
const refuses = test.macro(async (t, setup: (host: HostRoot) => Promise<string[]>, code: number, pattern: RegExp) => {
	const host = await node(t);
	const extra = await setup(host);
	const before = await snapshot(host.host);
	const agent = run(t, host, extra);
	t.is(await agent.exited, code);
	const output = agent.lines.map(line => String(line.msg)).join('\n') + agent.stderr();
	t.regex(output, pattern);
	t.regex(output, /Fix: /);
	t.deepEqual(await snapshot(host.host), before);
});

test('unknown flag: exit 2', refuses, async () => ['--multus-conf'], 2, /Unknown flag --multus-conf/);
test('bad boolean: exit 2', refuses, async () => ['--cleanup-config-on-exit=maybe'], 2, /--cleanup-config-on-exit takes true or false/);
test('missing token: exit 3', refuses, async host => {
	await fs.rm(path.join(host.serviceAccount, 'token'));
	return [];
}, 3, /Cannot read the service-account token: .*serviceaccount\/token/);
test('empty token: exit 3', refuses, async host => {
	await writeProjectedVolume(host.serviceAccount, {token: '', 'ca.crt': TEST_CA});
	return [];
}, 3, /token is empty/);
test('unreadable CA: exit 3', refuses, async host => {
	await fs.rm(path.join(host.serviceAccount, 'ca.crt'));
	return [];
}, 3, /CA bundle: .*ca\.crt/);
test('missing source binary: exit 3', refuses, async host => {
	await fs.rm(path.join(host.sources, 'static'));
	return [];
}, 3, /The static binary to install is missing/);
test('missing multus binary: exit 3', refuses, async () => ['--multus-bin-file=/nonexistent/multus'], 3, /The multus binary to install is missing: \/nonexistent\/multus.*--multus-bin-file/);
test('missing conf dir: exit 3', refuses, async host => [`--cni-conf-dir=${host.host}/nope`], 3, /The directory for --cni-conf-dir does not exist/);
test('no API server in the environment: exit 3', refuses, async host => {
	host.env['KUBERNETES_SERVICE_HOST'] = '';
	return [];
}, 3, /KUBERNETES_SERVICE_HOST is empty/);
test('primary without cniVersion: exit 5, nothing written', refuses, async host => {
	await writePrimary(host, {name: 'ovn-kubernetes', type: 'ovn-k8s-cni-overlay'});
	return ['--cni-plugins=', '--skip-multus-binary-copy'];
}, 5, /10-ovn-kubernetes\.conf: \$\.cniVersion: is missing/);
test('primary with a non-string cniVersion: exit 5', refuses, async host => {
	await writePrimary(host, {...OVN_PRIMARY, cniVersion: 1});
	return ['--cni-plugins=', '--skip-multus-binary-copy'];
}, 5, /\$\.cniVersion: must be a non-empty string, found 1/);
test('--cni-version mismatch: exit 5', refuses, async host => {
	await writePrimary(host);
	return ['--cni-version=1.0.0', '--cni-plugins=', '--skip-multus-binary-copy'];
}, 5, /has cniVersion "0\.4\.0" but --cni-version is "1\.0\.0"/);
test('a symlink planted as multus.d is refused: exit 4', refuses, async host => {
	await fs.mkdir(path.join(host.root, 'elsewhere'));
	await fs.symlink(path.join(host.root, 'elsewhere'), path.dirname(host.kubeconfig));
	return [];
}, 4, /multus\.d is a symlink/);
test('an invalid --multus-conf-file: exit 5', refuses, async host => {
	await fs.writeFile(path.join(host.root, 'bad.conf'), '{"name":"x"}');
	return [`--multus-conf-file=${path.join(host.root, 'bad.conf')}`];
}, 5, /--multus-conf-file is not a valid CNI config/);

test('keeps a 0600 status file and serves readiness that is true only once everything is in place', async t => {
	const {findFreePorts} = await import('../helpers/free-ports.ts');
	const [port] = await findFreePorts(1);
	const host = await node(t);
	const agent = run(t, host, [`--health-address=127.0.0.1:${port}`, '--readiness-indicator-file=/etc/cni/net.d/10-ovn-kubernetes.conf']);
	await agent.waitFor('waiting');
	const statusFile = path.join(path.dirname(host.kubeconfig), 'agent-status.json');
	const notReady = await fetch(`http://127.0.0.1:${port}/readyz`);
	t.is(notReady.status, 503);
	t.regex(await notReady.text(), /readiness indicator/);
	await writePrimary(host);
	await agent.waitFor('ready');
	const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
	t.is(ready.status, 200);
	t.is(await modeOf(statusFile), 0o600);
	const status = await readJson(statusFile) as {phase: string; ready: boolean; config: {sha256: string}; binaries: unknown[]};
	t.is(status.phase, 'ready');
	t.true(status.ready);
	t.is(status.binaries.length, 7);
	const {createHash} = await import('node:crypto');
	t.is(status.config.sha256, createHash('sha256').update(await fs.readFile(path.join(host.confDir, '00-multus.conf'))).digest('hex'));
	t.is(await agent.stop(), 0);
	t.is((await readJson(statusFile) as {phase: string})['phase'], 'stopped');
});
