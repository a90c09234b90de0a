// Bursts of events the way real nodes produce them: a primary rewritten in place by its owner, kubelet token
// rotation storms, a flapping readiness file. Our files, sampled concurrently, are never invalid; the final state is
// right (no event lost); the agent's CPU time stays bounded.
import fs from 'node:fs/promises';
import path from 'node:path';
import {setImmediate as nextTurn} from 'node:timers/promises';
import test from 'ava';
import {OVN_PRIMARY, writePrimary} from '../helpers/host-root.ts';
import {writeProjectedVolume} from '../helpers/kubelet.ts';
import type {FaultAgent} from './helpers/agent.ts';
import {faultNode, type FaultNode} from './helpers/node.ts';
import {seededRandom} from './helpers/random.ts';

const BURST = Number(process.env['FAULT_BURST'] || 150);
const smallBinaries = {multusMb: 1, pluginMb: 1};

// Reads a file over and over until stopped, and records every sample that fails `check`.
class Sampler {
	samples = 0;
	readonly problems: string[] = [];
	#running = true;
	readonly #done: Promise<void>;

	constructor(read: () => Promise<string | undefined>, check: (text: string) => string | undefined) {
		this.#done = (async () => {
			while (this.#running) {
				const text = await read();
				if (text !== undefined) {
					this.samples++;
					const problem = check(text);
					if (problem !== undefined && this.problems.length < 5) {
						this.problems.push(problem);
					}
				}

				await nextTurn();
			}
		})();
	}

	async stop(): Promise<void> {
		this.#running = false;
		await this.#done;
	}
}

const readOrUndefined = async (file: string): Promise<string | undefined> => fs.readFile(file, 'utf8').catch(() => undefined);

async function eventually(what: string, probe: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
	const deadline = Date.now() + timeoutMs;
	while (!await probe()) {
		if (Date.now() > deadline) {
			throw new Error(`not reached within ${timeoutMs} ms: ${what}`);
		}

		await new Promise(resolve => {
			setTimeout(resolve, 20);
		});
	}
}

const count = (agent: FaultAgent, event: string): number => agent.lines.filter(line => line.event === event).length;

async function readyNode(t: Parameters<typeof faultNode>[0], extra: string[] = []): Promise<{node: FaultNode; agent: FaultAgent}> {
	const node = await faultNode(t, smallBinaries);
	await writePrimary(node);
	const agent = node.start(extra);
	await agent.waitFor('ready');
	return {node, agent};
}

test(`the primary rewritten in place (truncate, then write in two parts) ${BURST} times: our config is never invalid`, async t => {
	const random = seededRandom(t);
	const {node, agent} = await readyNode(t);
	const primaryFile = path.join(node.confDir, '10-ovn-kubernetes.conf');
	const configFile = path.join(node.confDir, '00-multus.conf');
	const allowed = new Set([node.configFor(JSON.stringify(OVN_PRIMARY)).text]);
	const sampler = new Sampler(async () => readOrUndefined(configFile), text => {
		if (!allowed.has(text)) {
			return `a sample is no config rendered from a complete primary: ${JSON.stringify(text.slice(0, 200))}`;
		}

		return undefined;
	});
	const cpuBefore = agent.cpuMs();
	let last = '';
	for (let write = 0; write < BURST; write++) {
		last = JSON.stringify({...OVN_PRIMARY, mtu: random.int(1200, 9000), name: random.pick(['ovn-kubernetes', 'ovn "k8s"', 'ovn-kubernetes\u00e9'])});
		allowed.add(node.configFor(last).text);
		const cut = random.int(1, last.length - 1);
		const handle = await fs.open(primaryFile, 'w');
		await handle.write(last.slice(0, cut));
		if (random.next() < 0.5) {
			await nextTurn();
		}

		await handle.write(last.slice(cut));
		await handle.close();
	}

	const expected = node.configFor(last).text;
	await eventually('the config matches the final primary', async () => await readOrUndefined(configFile) === expected);
	await sampler.stop();
	const cpuMs = agent.cpuMs() - cpuBefore;
	t.deepEqual(sampler.problems, []);
	t.log(`${BURST} non-atomic writes; ${sampler.samples} samples of our config, all valid; ${count(agent, 'config-written')} config writes, ${count(agent, 'kept')} "kept" notes; agent CPU ${cpuMs} ms`);
	t.true(sampler.samples >= 20, `the sampler really ran alongside the burst (${sampler.samples} samples)`);
	t.true(cpuMs < 5000, `bounded CPU (${cpuMs} ms for ${BURST} writes)`);
	t.is(agent.child.exitCode, null, 'the agent is still running');
	t.is(await agent.stop(), 0);
	await node.assertNoSecrets(t);
});

test(`a token rotation storm (${BURST} kubelet ..data swaps): always a whole 0600 kubeconfig, ending with the last token`, async t => {
	const {node, agent} = await readyNode(t);
	const allowed = new Set([node.kubeconfigFor(node.token)]);
	const sampler = new Sampler(async () => {
		const stat = await fs.stat(node.kubeconfig).catch(() => undefined);
		const text = await readOrUndefined(node.kubeconfig);
		return text === undefined || stat === undefined ? undefined : `${(stat.mode & 0o777).toString(8)}\n${text}`;
	}, sample => {
		const [mode, ...rest] = sample.split('\n');
		if (mode !== '600') {
			return `the kubeconfig had mode ${mode}`;
		}

		return allowed.has(rest.join('\n')) ? undefined : 'a sample is no whole kubeconfig of a published token';
	});
	const cpuBefore = agent.cpuMs();
	const started = Date.now();
	for (let rotation = 0; rotation < BURST; rotation++) {
		const token = `storm-${rotation}-${node.token}`;
		node.secrets.push(token);
		allowed.add(node.kubeconfigFor(token));
		await writeProjectedVolume(node.serviceAccount, {token, 'ca.crt': node.caPem, namespace: 'openshift-multus'});
		node.token = token;
	}

	const stormMs = Date.now() - started;
	const expected = node.kubeconfigFor(node.token);
	await eventually('the kubeconfig holds the last token', async () => await readOrUndefined(node.kubeconfig) === expected);
	await sampler.stop();
	const cpuMs = agent.cpuMs() - cpuBefore;
	t.deepEqual(sampler.problems, []);
	t.log(`${BURST} rotations in ${stormMs} ms; ${count(agent, 'kubeconfig-written')} kubeconfig writes (coalesced); ${sampler.samples} samples; agent CPU ${cpuMs} ms`);
	t.true(cpuMs < 5000, `bounded CPU (${cpuMs} ms for ${BURST} rotations)`);
	t.is(await agent.stop(), 0);
	await node.assertNoSecrets(t);
});

test(`a readiness file flapping ${BURST} times: the config is kept throughout and current at the end`, async t => {
	const random = seededRandom(t);
	const node = await faultNode(t, smallBinaries);
	const readiness = path.join(node.confDir, 'ovn-ready');
	await fs.writeFile(readiness, '');
	await writePrimary(node);
	const agent = node.start(['--readiness-indicator-file=/etc/cni/net.d/ovn-ready']);
	await agent.waitFor('ready');
	const configFile = path.join(node.confDir, '00-multus.conf');
	const sampler = new Sampler(async () => readOrUndefined(configFile), text => (text.includes('"readinessindicatorfile"') ? undefined : 'a sample is not our config'));
	const missing: string[] = [];
	const presence = setInterval(() => {
		fs.access(configFile).catch(() => missing.push(new Date().toISOString()));
	}, 1);
	const cpuBefore = agent.cpuMs();
	let last = '';
	for (let flap = 0; flap < BURST; flap++) {
		await fs.rm(readiness, {force: true});
		if (random.next() < 0.3) {
			await nextTurn();
		}

		await fs.writeFile(readiness, '');
		if (flap % 10 === 0) {
			last = JSON.stringify({...OVN_PRIMARY, mtu: 1400 + flap});
			await writePrimary(node, JSON.parse(last) as object);
		}
	}

	const expected = node.configFor(last, ['--readiness-indicator-file=/etc/cni/net.d/ovn-ready']).text;
	await eventually('the config follows the last primary', async () => await readOrUndefined(configFile) === expected);
	clearInterval(presence);
	await sampler.stop();
	const cpuMs = agent.cpuMs() - cpuBefore;
	t.deepEqual(sampler.problems, []);
	t.deepEqual(missing, [], 'the config never disappeared while the readiness file flapped');
	t.log(`${BURST} flaps; ${count(agent, 'kept')} "kept" notes, ${count(agent, 'config-written')} config writes; ${sampler.samples} samples; agent CPU ${cpuMs} ms`);
	t.true(cpuMs < 5000, `bounded CPU (${cpuMs} ms)`);
	t.is(await agent.stop(), 0);
	await node.assertNoSecrets(t);
});
