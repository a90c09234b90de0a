// npm run bench -- --experiments [--variants=a,b --runs=N --idle=S --settle=S --no-build --quick]: our agent in variants (V8 flags, agent
// flags, proposed patches), interleaved, to measure each means one by one. Variants: bench/lib/variants.ts.
import {spawnSync} from 'node:child_process';
import {get} from 'node:http';
import {connect} from 'node:net';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {performance} from 'node:perf_hooks';
import {setTimeout as sleep} from 'node:timers/promises';
import {findFreePorts} from '../test/helpers/free-ports.ts';
import {binBase, createNode, type BenchNode} from './lib/host.ts';
import {coldStart, idle, IDLE_SETTLE_SECONDS, primaryChanged, stop, stopAll, tokenRotated, warmRestart, type Timeouts} from './lib/scenarios.ts';
import {round, summarize, table, type Summary} from './lib/stats.ts';
import {oursSubject, REPO, type Running, type Subject} from './lib/subjects.ts';
import {bundleFor, scratchParent, VARIANTS, type Variant} from './lib/variants.ts';

const KEYS = ['coldStartMs', 'warmRestartMs', 'tokenMs', 'primaryMs', 'idleCpuMsPerMin', 'idleSchedMsPerMin', 'idleWakeupsPerMin', 'idleRssMb', 'idleAnonMb', 'idleFileMb', 'startPeakRssMb', 'threads', 'inotifyWatches'] as const;
type Key = typeof KEYS[number];

const argv = new Map(process.argv.slice(2).map(arg => {
	const match = /^--([\w-]+)(?:=(.*))?$/.exec(arg);
	if (!match) {
		process.stderr.write(`experiments: unexpected argument ${arg}\n`);
		process.exit(2);
	}

	return [match[1]!, match[2] ?? 'true'] as const;
}));
const quick = argv.has('quick');
const runs = Number(argv.get('runs') ?? (quick ? 2 : 5));
const idleSeconds = Number(argv.get('idle') ?? (quick ? 10 : 60));
const settleSeconds = Number(argv.get('settle') ?? (quick ? 5 : IDLE_SETTLE_SECONDS));
const chosen = (argv.get('variants') ?? VARIANTS.map(variant => variant.name).join(',')).split(',');
const unknown = chosen.filter(name => !VARIANTS.some(variant => variant.name === name));
if (unknown.length > 0) {
	process.stderr.write(`experiments: unknown variants ${unknown.join(', ')}; known: ${VARIANTS.map(variant => variant.name).join(', ')}\n`);
	process.exit(2);
}

const variants = VARIANTS.filter(variant => chosen.includes(variant.name));
const nodeBinary = path.join(REPO, 'node_modules/node/bin/node');
const binaries = path.join(REPO, '.cache/bin/current');
const timeouts: Timeouts = {eventMs: 20_000, restoreMs: 3000};
const cleanups: Array<() => Promise<void>> = [];
const began = performance.now();
process.on('SIGINT', () => {
	void finish().then(() => process.exit(130));
});

try {
	await main();
} finally {
	await finish();
}

async function main(): Promise<void> {
	// The baseline is the checkout's bundle: build it from the current sources, as npm run bench does.
	if (!argv.has('no-build')) {
		const built = spawnSync(nodeBinary, ['scripts/bundle.mjs'], {cwd: REPO, stdio: 'inherit'});
		if (built.status !== 0) {
			throw new Error('bundling failed (node scripts/bundle.mjs)');
		}
	}

	const bins = binBase(false);
	const bundles = new Map<string, string>();
	const scratch = await fs.mkdtemp(path.join(scratchParent(), 'multus-bench-variants-'));
	cleanups.push(async () => fs.rm(scratch, {recursive: true, force: true}));
	const subjects = new Map<string, {subject: Subject; port?: number}>();
	for (const variant of variants) {
		const bundle = await bundleFor(variant, bundles, scratch);
		const port = variant.probes ? (await findFreePorts(1))[0]! : undefined;
		const agentFlags = [...variant.agentFlags ?? [], ...(port === undefined ? [] : [`--health-address=127.0.0.1:${port}`])];
		subjects.set(variant.name, {subject: oursSubject({node: nodeBinary, bundle, nodeFlags: variant.nodeFlags ?? [], agentFlags, env: variant.env ?? {}, sources: binaries, healthPort: () => 0}), port});
	}

	const samples = new Map<string, Record<Key, Array<number | null>>>(variants.map(variant => [variant.name, Object.fromEntries(KEYS.map(key => [key, []])) as unknown as Record<Key, Array<number | null>>]));
	process.stderr.write(`experiments: ${variants.length} variants x ${runs} runs, idle window ${idleSeconds} s; load average ${os.loadavg().map(value => value.toFixed(2)).join(' ')}\n`);
	for (let run = 0; run < runs; run++) {
		// Rotate the order each run, so no variant always goes first.
		const order = variants.map((_, index) => variants[(index + run) % variants.length]!);
		const nodes = new Map<string, BenchNode>();
		const running = new Map<string, Running>();
		for (const variant of order) {
			const node = await createNode('exp', {binParent: bins.dir});
			cleanups.push(node.cleanup);
			nodes.set(variant.name, node);
			const {subject} = subjects.get(variant.name)!;
			const cold = await coldStart(subject, node, timeouts);
			if (cold.ms === null) {
				throw new Error(`${variant.name}: no config:\n${cold.running.lines.slice(-10).join('\n')}\n${cold.running.stderr()}`);
			}

			running.set(variant.name, cold.running);
			put(variant, 'coldStartMs', cold.ms);
			put(variant, 'startPeakRssMb', cold.startHwmKb === null ? null : cold.startHwmKb / 1024);
		}

		for (const variant of order) {
			await sleep(200 + Math.random() * 300);
			put(variant, 'tokenMs', await tokenRotated(nodes.get(variant.name)!, `exp-${run}-${variant.name}`, timeouts));
			await sleep(200 + Math.random() * 300);
			put(variant, 'primaryMs', await primaryChanged(nodes.get(variant.name)!, 1500 + run, timeouts));
		}

		await sleep(settleSeconds * 1000);
		const probing = startProbes(order.filter(variant => variant.probes).map(variant => ({port: subjects.get(variant.name)!.port!, probes: variant.probes})));
		const figures = await idle(order.map(variant => running.get(variant.name)!), idleSeconds);
		probing();
		order.forEach((variant, index) => {
			const figure = figures[index]!;
			put(variant, 'idleCpuMsPerMin', figure.cpuMsPerMin);
			put(variant, 'idleSchedMsPerMin', figure.schedMsPerMin);
			put(variant, 'idleWakeupsPerMin', figure.wakeupsPerMin);
			put(variant, 'idleRssMb', figure.rssMb);
			put(variant, 'idleAnonMb', figure.anonMb);
			put(variant, 'idleFileMb', figure.fileMb);
			put(variant, 'threads', figure.threads);
			put(variant, 'inotifyWatches', figure.inotifyWatches);
		});
		for (const variant of order) {
			await stop(running.get(variant.name)!);
		}

		for (const variant of order) {
			put(variant, 'warmRestartMs', await warmRestart(subjects.get(variant.name)!.subject, nodes.get(variant.name)!, timeouts));
			await nodes.get(variant.name)!.cleanup();
		}

		process.stderr.write(`experiments: run ${run + 1}/${runs} done (${((performance.now() - began) / 60_000).toFixed(1)} min)\n`);

		function put(variant: Variant, key: Key, value: number | null): void {
			samples.get(variant.name)![key][run] = value;
		}
	}

	const summaries = new Map(variants.map(variant => [variant.name, Object.fromEntries(KEYS.map(key => [key, summarize(samples.get(variant.name)![key])])) as Record<Key, Summary>]));
	const base = summaries.get('baseline');
	const cell = (name: string, key: Key): string => {
		const median = summaries.get(name)![key].median;
		if (median === null) {
			return 'never';
		}

		const reference = base?.[key].median;
		return name === 'baseline' || reference === null || reference === undefined ? String(median) : `${median} (${signed(round(median - reference))})`;
	};

	const header = ['variant', 'cold ms', 'warm ms', 'token ms', 'primary ms', 'CPU ms/min', 'sched ms/min', 'wakeups/min', 'RSS MB', 'anon MB', 'file MB', 'peak MB', 'threads', 'inotify'];
	const rows = variants.map(variant => [variant.name, ...KEYS.map(key => cell(variant.name, key))]);
	process.stdout.write(`\nmedians of ${runs} runs (difference to baseline); idle window ${idleSeconds} s\n${table(header, rows)}\n\n`);
	process.stdout.write(`${variants.map(variant => `${variant.name}: ${variant.note}`).join('\n')}\n`);
	const file = path.join(REPO, quick ? 'bench/results/experiments-quick.json' : 'bench/results/experiments.json');
	await fs.mkdir(path.dirname(file), {recursive: true});
	await fs.writeFile(file, `${JSON.stringify({date: new Date().toISOString(), runs, idleSeconds, loadAfter: os.loadavg(), variants: Object.fromEntries(variants.map(variant => [variant.name, {note: variant.note, nodeFlags: variant.nodeFlags, agentFlags: variant.agentFlags, env: variant.env, patches: variant.patches, figures: summaries.get(variant.name)}]))}, null, '\t')}\n`);
	process.stdout.write(`\nJSON: ${path.relative(REPO, file)}; took ${((performance.now() - began) / 60_000).toFixed(1)} min\n`);
}

// kubelet's probes (a new connection each time, as kubelet's prober does); returns a stop function.
function startProbes(targets: ReadonlyArray<{port: number; probes: Variant['probes']}>): () => void {
	const timers: NodeJS.Timeout[] = [];
	const httpProbe = (port: number, target: string): void => {
		get({host: '127.0.0.1', port, path: target, agent: false}, response => {
			response.resume();
		}).on('error', () => undefined);
	};

	const tcpProbe = (port: number): void => {
		const socket = connect({host: '127.0.0.1', port}, () => {
			socket.destroy();
		});
		socket.on('error', () => undefined);
	};

	for (const {port, probes} of targets) {
		const periods = probes === true ? {readySeconds: 10, liveSeconds: 30, liveTcp: false} : probes;
		if (!periods) {
			continue;
		}

		timers.push(setInterval(() => {
			httpProbe(port, '/readyz');
		}, periods.readySeconds * 1000), setInterval(() => {
			if (periods.liveTcp) {
				tcpProbe(port);
			} else {
				httpProbe(port, '/healthz');
			}
		}, periods.liveSeconds * 1000));
	}

	return () => {
		for (const timer of timers) {
			clearInterval(timer);
		}
	};
}

function signed(value: number): string {
	return value > 0 ? `+${value}` : String(value);
}

async function finish(): Promise<void> {
	await stopAll();
	for (const cleanup of cleanups.splice(0).reverse()) {
		await cleanup().catch(() => undefined);
	}
}
