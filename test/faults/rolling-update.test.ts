// Two agents on one node at once (a DaemonSet rollout with maxSurge): every file stays whole, the newer agent owns
// the node and wins, and the old agent's shutdown never removes or overwrites what the new one wrote.
import fs from 'node:fs/promises';
import path from 'node:path';
import {setImmediate as nextTurn} from 'node:timers/promises';
import test from 'ava';
import {OWNER_FILE_NAME} from '../../agent/ownership.ts';
import {STATUS_FILE_NAME} from '../../agent/status.ts';
import {OVN_PRIMARY, writePrimary} from '../helpers/host-root.ts';
import {BINARIES, faultNode, leakedTemps, sha256Of, type FaultNode, type Version} from './helpers/node.ts';
import {seededRandom} from './helpers/random.ts';

const NEW_FLAGS = ['--cleanup-config-on-exit', '--multus-log-level=debug'];
const OLD_FLAGS = ['--cleanup-config-on-exit'];

// The new pod's image: its own source dir holding version b of every binary.
async function newImage(node: FaultNode): Promise<string[]> {
	const sources = path.join(node.root, 'new-image');
	await fs.mkdir(path.join(sources, 'plugins'), {recursive: true});
	for (const name of BINARIES) {
		await fs.link(node.builds.file(name, 'b'), name === 'multus' ? path.join(sources, 'multus') : path.join(sources, 'plugins', name));
	}

	return [`--multus-bin-file=${path.join(sources, 'multus')}`, `--cni-plugins-source-dir=${path.join(sources, 'plugins')}`];
}

const readJson = async (file: string): Promise<Record<string, unknown>> => JSON.parse(await fs.readFile(file, 'utf8')) as Record<string, unknown>;

test('a surge pod starts while the old one installs: binaries stay whole, the new image wins, nothing leaks', async t => {
	const random = seededRandom(t);
	const node = await faultNode(t);
	await writePrimary(node);
	const image = await newImage(node);
	const privateDir = path.dirname(node.kubeconfig);
	const old = node.start(OLD_FLAGS);
	// The new pod starts at a random moment of the old one's start-up (most of which is the binary copy).
	await old.waitFor('starting');
	await new Promise(resolve => {
		setTimeout(resolve, random.int(0, 120));
	});
	const torn: string[] = [];
	let sampling = true;
	const sampler = (async () => {
		while (sampling) {
			for (const name of BINARIES) {
				const hash = await sha256Of(path.join(node.binDir, name));
				const build = node.builds.sha256[name]!;
				if (hash !== undefined && hash !== build.a && hash !== build.b) {
					torn.push(name);
				}
			}

			await nextTurn();
		}
	})();
	const newer = node.start([...NEW_FLAGS, ...image]);
	await newer.waitFor('ready', 20_000);
	await old.waitFor(line => line.event === 'standby' || line.event === 'ready', 20_000);
	// The old agent may finish its own copies after the new one's; the new one puts its version back.
	const expected: Record<string, Version> = Object.fromEntries(BINARIES.map(name => [name, 'b']));
	const deadline = Date.now() + 10_000;
	let versions: Record<string, string> = {};
	do {
		versions = Object.fromEntries(await Promise.all(BINARIES.map(async name => {
			const hash = await sha256Of(path.join(node.binDir, name));
			return [name, hash === node.builds.sha256[name]!.b ? 'b' : (hash === node.builds.sha256[name]!.a ? 'a' : String(hash))];
		})));
		await new Promise(resolve => {
			setTimeout(resolve, 50);
		});
	} while (JSON.stringify(versions) !== JSON.stringify(expected) && Date.now() < deadline);
	sampling = false;
	await sampler;
	t.deepEqual(torn, [], 'no sample of any binary was torn');
	t.deepEqual(versions, expected, 'the new image\'s binaries are installed');
	t.is(await fs.readFile(path.join(node.binDir, '.multus-agent.sha256'), 'utf8'), node.builds.ledger.b);
	t.is(await old.stop(), 0);
	t.is((await readJson(path.join(node.confDir, '00-multus.conf')))['logLevel'], 'debug', 'the config is the new agent\'s');
	t.deepEqual(await leakedTemps(node.binDir, node.confDir, privateDir), []);
	t.is(await newer.stop(), 0);
	await node.assertNoSecrets(t);
});

test('both agents follow a churn of tokens and primaries: each sample is whole, the new agent ends up owning every file', async t => {
	const random = seededRandom(t);
	const node = await faultNode(t, {multusMb: 1, pluginMb: 1});
	await writePrimary(node);
	const old = node.start(OLD_FLAGS);
	await old.waitFor('ready');
	const configFile = path.join(node.confDir, '00-multus.conf');
	const primaries = [OVN_PRIMARY];
	const allowedConfig = (text: string): boolean => primaries.some(primary => [OLD_FLAGS, NEW_FLAGS].some(flags => node.configFor(JSON.stringify(primary), flags).text === text));
	const problems: string[] = [];
	let sampling = true;
	const sampler = (async () => {
		while (sampling) {
			const config = await fs.readFile(configFile, 'utf8').catch(() => 'missing');
			if (!allowedConfig(config)) {
				problems.push(`config: ${config.slice(0, 120)}`);
			}

			const mode = (await fs.stat(node.kubeconfig)).mode & 0o777;
			if (mode !== 0o600) {
				problems.push(`kubeconfig mode ${mode.toString(8)}`);
			}

			await nextTurn();
		}
	})();
	const newer = node.start(NEW_FLAGS);
	for (let round = 0; round < 30; round++) {
		if (random.next() < 0.5) {
			await node.rotateToken();
		} else {
			const primary = {...OVN_PRIMARY, mtu: random.int(1300, 1500)};
			primaries.push(primary);
			await writePrimary(node, primary);
		}

		await new Promise(resolve => {
			setTimeout(resolve, random.int(0, 15));
		});
	}

	await newer.waitFor('ready', 15_000);
	await old.waitFor('standby', 15_000);
	const final = node.configFor(JSON.stringify(primaries.at(-1)), NEW_FLAGS).text;
	const deadline = Date.now() + 5000;
	while ((await fs.readFile(configFile, 'utf8') !== final || await fs.readFile(node.kubeconfig, 'utf8') !== node.kubeconfigFor(node.token)) && Date.now() < deadline) {
		await new Promise(resolve => {
			setTimeout(resolve, 20);
		});
	}

	sampling = false;
	await sampler;
	t.deepEqual(problems.slice(0, 5), []);
	t.is(await fs.readFile(configFile, 'utf8'), final);
	t.is(await fs.readFile(node.kubeconfig, 'utf8'), node.kubeconfigFor(node.token));
	t.is(await old.stop(), 0);
	t.true(old.lines.some(line => line.event === 'config-left'), 'the old agent leaves the config');
	t.is(await fs.readFile(configFile, 'utf8'), final, 'and it is still the new agent\'s');
	const owner = await readJson(path.join(path.dirname(node.kubeconfig), OWNER_FILE_NAME));
	t.is((await readJson(path.join(path.dirname(node.kubeconfig), STATUS_FILE_NAME)))['instance'], owner['instance']);
	t.is(await newer.stop(), 0);
	await node.assertNoSecrets(t);
});

test('an old agent frozen through the handover (SIGSTOP) and stopped as it wakes never overwrites the new agent\'s files', async t => {
	const node = await faultNode(t, {multusMb: 1, pluginMb: 1});
	await writePrimary(node);
	const privateDir = path.dirname(node.kubeconfig);
	const old = node.start(OLD_FLAGS);
	await old.waitFor('ready');
	old.child.kill('SIGSTOP');
	const newer = node.start(NEW_FLAGS);
	await newer.waitFor('ready');
	const statusBefore = await fs.readFile(path.join(privateDir, STATUS_FILE_NAME), 'utf8');
	const config = await fs.readFile(path.join(node.confDir, '00-multus.conf'), 'utf8');
	// kubelet stops the old pod: it wakes with the SIGTERM already pending, before it has seen the new claim.
	old.child.kill('SIGTERM');
	old.child.kill('SIGCONT');
	t.is(await old.exited, 0);
	t.is(await fs.readFile(path.join(node.confDir, '00-multus.conf'), 'utf8'), config, 'the new agent\'s config is in place');
	const status = JSON.parse(await fs.readFile(path.join(privateDir, STATUS_FILE_NAME), 'utf8')) as {instance: string; phase: string};
	const owner = await readJson(path.join(privateDir, OWNER_FILE_NAME));
	t.is(status.instance, String(owner['instance']), `the status file is the new agent's (old exit wrote ${status.phase})`);
	t.is(status.phase, (JSON.parse(statusBefore) as {phase: string}).phase);
	t.is(await newer.stop(), 0);
	await node.assertNoSecrets(t);
});
