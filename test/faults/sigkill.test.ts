// SIGKILL at random points of start-up and of a regeneration: every host file is whole (the old or the new bytes),
// the kubeconfig is never readable by others, and the next start leaves no temp file.
import fs from 'node:fs/promises';
import path from 'node:path';
import {setTimeout as sleep} from 'node:timers/promises';
import test, {type ExecutionContext} from 'ava';
import {LEDGER_FILE_NAME} from '../../agent/options.ts';
import {OVN_PRIMARY, writePrimary} from '../helpers/host-root.ts';
import type {FaultAgent} from './helpers/agent.ts';
import {BINARIES, faultNode, sha256Of, tempsIn, type FaultNode, type Version} from './helpers/node.ts';
import {seededRandom, type Random} from './helpers/random.ts';

const TRIALS = Number(process.env['FAULT_TRIALS'] || 40);

// Two primaries: a gives a .conf (0.4.0) and b a .conflist (1.0.0), so each trial also switches the file name.
const PRIMARY: Readonly<Record<Version, string>> = {
	a: JSON.stringify({...OVN_PRIMARY, mtu: 1400}),
	b: JSON.stringify({...OVN_PRIMARY, cniVersion: '1.0.0', mtu: 1500}),
};

const other = (version: Version): Version => (version === 'a' ? 'b' : 'a');

// What a file may hold at the moment of a kill: the state before the fault or the state the agent is moving to.
interface Allowed {
	readonly binaries: readonly Version[];
	readonly primaries: readonly Version[];
	readonly tokens: readonly string[];
}

// Where the kills landed (the last event the agent logged before it died) and what they left behind.
class KillStats {
	readonly after = new Map<string, number>();
	trials = 0;
	tempsLeft = 0;
	killsLeavingTemps = 0;

	record(agent: FaultAgent, temps: number): void {
		this.trials++;
		const last = agent.lines.at(-1)?.event ?? 'nothing';
		this.after.set(last, (this.after.get(last) ?? 0) + 1);
		this.tempsLeft += temps;
		this.killsLeavingTemps += temps > 0 ? 1 : 0;
	}

	summary(): string {
		const where = [...this.after].map(([event, count]) => `${event} ${count}`).join(', ');
		return `${this.trials} kills; last event before the kill: ${where}; ${this.killsLeavingTemps} kills left ${this.tempsLeft} temp files, all removed by the next start`;
	}
}

test('SIGKILL at random points of start-up', async t => {
	const random = seededRandom(t);
	const node = await faultNode(t);
	await writePrimary(node, JSON.parse(PRIMARY.a) as object);
	const first = node.start();
	await first.waitFor('starting');
	const began = Date.now();
	await first.waitFor('ready');
	const windowMs = Date.now() - began;
	t.is(await first.stop(), 0);
	t.log(`start-up takes ${windowMs} ms from "starting" to "ready"; kills land in 0–${Math.round(windowMs * 1.25)} ms`);

	const stats = new KillStats();
	let current: Version = 'a';
	for (let trial = 0; trial < TRIALS; trial++) {
		const next = other(current);
		const oldToken = node.token;
		await node.useSources(next);
		await writePrimary(node, JSON.parse(PRIMARY[next]) as object);
		await node.rotateToken();
		const agent = node.start();
		await agent.waitFor('starting');
		await killAtRandom(agent, random, windowMs, ['kubeconfig-written', 'binaries-installed', 'config-written']);
		await checkTrial(t, node, stats, agent, {binaries: [current, next], primaries: [current, next], tokens: [oldToken, node.token]}, `start-up trial ${trial}`);
		await restartAndConverge(t, node, {binaries: next, primary: next});
		current = next;
	}

	t.log(stats.summary());
	await node.assertNoSecrets(t);
});

test('SIGKILL at random points of a regeneration', async t => {
	const random = seededRandom(t);
	const node = await faultNode(t);
	await writePrimary(node, JSON.parse(PRIMARY.a) as object);
	let agent = node.start();
	await agent.waitFor('ready');
	// One undisturbed regeneration sets the window kills are drawn from.
	const began = Date.now();
	await regenerate(node, 'b');
	await waitForRegeneration(agent);
	const windowMs = Date.now() - began;
	t.log(`a regeneration (7 binaries, config, kubeconfig) takes ${windowMs} ms; kills land in 0–${Math.round(windowMs * 1.25)} ms`);

	const stats = new KillStats();
	let current: Version = 'b';
	for (let trial = 0; trial < TRIALS; trial++) {
		const next = other(current);
		const oldToken = node.token;
		await regenerate(node, next);
		await killAtRandom(agent, random, windowMs, ['kubeconfig-written', 'binary-installed', 'config-written']);
		// The agent's sources are version a throughout; the bin dir was just planted with b.
		await checkTrial(t, node, stats, agent, {binaries: ['a', 'b'], primaries: [current, next], tokens: [oldToken, node.token]}, `regeneration trial ${trial}`);
		agent = await restartAndConverge(t, node, {binaries: 'a', primary: next}, true);
		current = next;
	}

	await agent.stop();
	t.log(stats.summary());
	await node.assertNoSecrets(t);
});

// Kills at a random time in the window, or (half the trials) a few milliseconds after a random write event,
// so that kills land in every phase, not only in the longest one (the binary copy).
async function killAtRandom(agent: FaultAgent, random: Random, windowMs: number, anchors: readonly string[]): Promise<void> {
	if (random.next() < 0.5) {
		await sleep(random.next() * windowMs * 1.25);
	} else {
		const anchor = random.pick(anchors);
		await agent.waitFor(line => line.event === anchor || line.event === 'ready', 5000).catch(() => undefined);
		await sleep(random.int(0, 3));
	}

	await agent.stop('SIGKILL');
}

// What a package upgrade, the primary's owner and kubelet do at once: old binaries, a new primary, a new token.
async function regenerate(node: FaultNode, primary: Version): Promise<void> {
	await node.plant('b');
	await writePrimary(node, JSON.parse(PRIMARY[primary]) as object);
	await node.rotateToken();
}

async function waitForRegeneration(agent: FaultAgent): Promise<void> {
	const seen = new Set<string>();
	await agent.waitFor(line => {
		if (line.event === 'binary-installed' || line.event === 'config-written' || line.event === 'kubeconfig-written') {
			seen.add(`${line.event} ${String(line['path'])}`);
		}

		return seen.size >= BINARIES.length + 2;
	});
}

async function checkTrial(t: ExecutionContext, node: FaultNode, stats: KillStats, agent: FaultAgent, allowed: Allowed, trial: string): Promise<void> {
	const privateDir = path.dirname(node.kubeconfig);
	const temps = await tempsIn(node.confDir, privateDir, node.binDir);
	stats.record(agent, temps.length);
	const problems = await torn(node, allowed);
	if (problems.length > 0) {
		t.fail(`${trial}: ${problems.join('; ')}\n${agent.describe()}`);
	}
}

// Everything on the host that is neither the state before the fault nor the state after it.
async function torn(node: FaultNode, allowed: Allowed): Promise<string[]> {
	const problems: string[] = [];
	const names = await fs.readdir(node.binDir);
	for (const name of names) {
		const file = path.join(node.binDir, name);
		if (name.includes('.tmp-')) {
			continue;
		}

		if (name === LEDGER_FILE_NAME) {
			const text = await fs.readFile(file, 'utf8');
			if (!allowed.binaries.some(version => node.builds.ledger[version] === text)) {
				problems.push(`the ledger is neither version's: ${JSON.stringify(text.slice(0, 200))}`);
			}
		} else if ((BINARIES as readonly string[]).includes(name)) {
			const hash = await sha256Of(file);
			if (!allowed.binaries.some(version => node.builds.sha256[name]![version] === hash)) {
				problems.push(`${name} is torn (sha256 ${hash} is neither version's; size ${(await fs.stat(file)).size})`);
			}
		} else {
			problems.push(`unexpected file in the bin dir: ${name}`);
		}
	}

	for (const name of BINARIES) {
		if (!names.includes(name)) {
			problems.push(`${name} is missing from the bin dir`);
		}
	}

	const configs = new Map(allowed.primaries.map(version => node.configFor(PRIMARY[version])).map(config => [`${config.fileName}\n${config.text}`, config]));
	let present = 0;
	for (const name of ['00-multus.conf', '00-multus.conflist']) {
		const text = await fs.readFile(path.join(node.confDir, name), 'utf8').catch(() => undefined);
		if (text === undefined) {
			continue;
		}

		present++;
		if (!configs.has(`${name}\n${text}`)) {
			problems.push(`${name} holds neither config: ${JSON.stringify(text.slice(0, 300))}`);
		}

		if (((await fs.stat(path.join(node.confDir, name))).mode & 0o777) !== 0o600) {
			problems.push(`${name} is not 0600`);
		}
	}

	if (present === 0) {
		problems.push('no Multus config at all');
	}

	problems.push(...await privateDirProblems(node, allowed.tokens));
	return problems;
}

async function privateDirProblems(node: FaultNode, tokens: readonly string[]): Promise<string[]> {
	const problems: string[] = [];
	const privateDir = path.dirname(node.kubeconfig);
	if (((await fs.stat(privateDir)).mode & 0o777) !== 0o700) {
		problems.push('multus.d is not 0700');
	}

	for (const name of await fs.readdir(privateDir)) {
		const file = path.join(privateDir, name);
		const stat = await fs.lstat(file);
		if ((stat.mode & 0o077) !== 0) {
			problems.push(`${name} in multus.d is readable by others (mode ${(stat.mode & 0o777).toString(8)})`);
		}

		if (name.includes('.tmp-')) {
			continue;
		}

		const text = await fs.readFile(file, 'utf8');
		if (file === node.kubeconfig) {
			if (!tokens.some(token => node.kubeconfigFor(token) === text)) {
				problems.push(`the kubeconfig holds neither token's kubeconfig (${text.length} bytes)`);
			}
		} else if (!isJson(text)) {
			problems.push(`${name} is not valid JSON: ${JSON.stringify(text.slice(0, 200))}`);
		}
	}

	return problems;
}

// Starts the agent again: it must sweep every temp, converge to the expected state, and report ready.
async function restartAndConverge(t: ExecutionContext, node: FaultNode, expected: {binaries: Version; primary: Version}, keepRunning = false): Promise<FaultAgent> {
	const agent = node.start();
	await agent.waitFor('ready', 20_000);
	const privateDir = path.dirname(node.kubeconfig);
	t.deepEqual(await tempsIn(node.confDir, privateDir, node.binDir), [], 'no temp file survives the next start');
	const problems = await torn(node, {binaries: [expected.binaries], primaries: [expected.primary], tokens: [node.token]});
	const stale = node.configFor(PRIMARY[other(expected.primary)]).fileName;
	if (stale !== node.configFor(PRIMARY[expected.primary]).fileName && await fs.stat(path.join(node.confDir, stale)).catch(() => undefined)) {
		problems.push(`the other extension's ${stale} was not removed`);
	}

	t.deepEqual(problems, [], 'the next start converges');
	if (!keepRunning) {
		t.is(await agent.stop(), 0);
	}

	return agent;
}

function isJson(text: string): boolean {
	try {
		JSON.parse(text);
		return true;
	} catch {
		return false;
	}
}

