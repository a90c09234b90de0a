// npm run bench [-- --quick]: our agent against upstream thin_entrypoint (as MicroShift runs it), on identical
// temporary host roots, interleaved A B A B. Prints min/median/max per figure and writes JSON. See bench/README.md.
import {execFileSync, spawnSync} from 'node:child_process';
import {existsSync, readFileSync} from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import {performance} from 'node:perf_hooks';
import {setTimeout as sleep} from 'node:timers/promises';
import {binBase, createNode, type BenchNode} from './lib/host.ts';
import {measureImage, type ImageReport} from './lib/image.ts';
import {enterPrivateNamespace, mountServiceAccount} from './lib/namespace.ts';
import {coldStart, configRestored, idle, IDLE_SETTLE_SECONDS, primaryChanged, readiness, stop, stopAll, tokenRotated, warmRestart, type IdleFigures, type Timeouts} from './lib/scenarios.ts';
import {formatSummary, ratio, summarize, table, type Summary} from './lib/stats.ts';
import {oursSubject, REPO, upstreamSubject, type Running, type Subject} from './lib/subjects.ts';

// Command-line options.
interface BenchOptions {
	readonly quick: boolean;
	readonly runs: number;
	readonly idleSeconds: number;
	readonly settleSeconds: number;
	readonly restoreSeconds: number;
	readonly json: string;
	readonly build: boolean;
	readonly image: boolean;
	readonly rootfs: string | undefined;
	readonly binOnDisk: boolean;
	readonly nodeFlags: string[];
	readonly agentFlags: string[];
	readonly bundle: string;
	readonly upstream: boolean;
	readonly seed: number;
}

const FIGURES = [
	{key: 'coldStartMs', label: 'cold start -> config (empty bin dir; multus + 6 plugins)', unit: 'ms', goal: 'ours <= 1.5x upstream'},
	{key: 'warmRestartMs', label: 'warm restart -> start-up done (all in place)', unit: 'ms', goal: 'ours <= 1.0x upstream'},
	{key: 'readinessMs', label: 'readiness file created -> config', unit: 'ms', goal: 'med <= 50, max <= 200, >= 5x faster'},
	{key: 'primaryMs', label: 'primary changed -> config rewritten', unit: 'ms', goal: 'med <= 50, max <= 200, >= 5x faster'},
	{key: 'tokenMs', label: 'token rotated (..data swap) -> kubeconfig', unit: 'ms', goal: 'med <= 50, max <= 200, >= 5x faster'},
	{key: 'restoreMs', label: 'config deleted -> restored', unit: 'ms', goal: 'med <= 50, max <= 200'},
	{key: 'idleCpuMsPerMin', label: 'idle CPU, utime+stime (/proc/pid/stat)', unit: 'ms/min', goal: '<= 10 and <= 1/3 upstream'},
	{key: 'idleSchedMsPerMin', label: 'idle CPU, schedstat (ns clock, live threads)', unit: 'ms/min', goal: ''},
	{key: 'idleWakeupsPerMin', label: 'idle context switches (wake-ups)', unit: '/min', goal: '~0: no poll loop'},
	{key: 'idleRssMb', label: 'idle RSS (after the idle window)', unit: 'MB', goal: '<= 50'},
	{key: 'idleAnonMb', label: 'idle anonymous memory (RssAnon)', unit: 'MB', goal: '<= 15'},
	{key: 'idleFileMb', label: 'idle file-backed memory (RssFile)', unit: 'MB', goal: ''},
	{key: 'startPeakRssMb', label: 'peak RSS during start (VmHWM)', unit: 'MB', goal: ''},
	{key: 'threads', label: 'threads', unit: '', goal: ''},
	{key: 'inotifyWatches', label: 'inotify watches', unit: '', goal: ''},
] as const;

type FigureKey = typeof FIGURES[number]['key'];
type Samples = Record<FigureKey, Array<number | null>>;

// npm run bench -- --experiments [--variants=a,b --runs=N --idle=S --quick]: our agent's variants instead.
if (process.argv.includes('--experiments')) {
	process.argv = process.argv.filter(arg => arg !== '--experiments');
	await import('./experiments.ts');
	process.exit(process.exitCode ?? 0);
}

const options = parseOptions(process.argv.slice(2));
const noNamespace = await enterPrivateNamespace();
const began = performance.now();
const temporary: Array<() => Promise<void>> = [];
let interrupted = false;
process.on('SIGINT', () => {
	interrupted = true;
	void cleanUp().then(() => process.exit(130));
});

try {
	await main();
} finally {
	await cleanUp();
}

async function main(): Promise<void> {
	const binaries = path.join(REPO, '.cache/bin/current');
	const nodeBinary = path.join(REPO, 'node_modules/node/bin/node');
	if (!existsSync(path.join(binaries, 'multus')) || !existsSync(path.join(binaries, 'thin_entrypoint'))) {
		fail('the upstream binaries are missing: run `bash image/build-binaries.sh` first (it caches .cache/bin/current)');
	}

	if (!existsSync(nodeBinary)) {
		fail('node_modules/node/bin/node (the pinned Node 24) is missing: run `npm ci`');
	}

	if (options.build) {
		const built = spawnSync(nodeBinary, ['scripts/bundle.mjs'], {cwd: REPO, stdio: 'inherit'});
		if (built.status !== 0) {
			fail('bundling failed (node scripts/bundle.mjs)');
		}
	}

	const upstreamReason = !options.upstream ? 'disabled with --no-upstream' : noNamespace;
	if (upstreamReason) {
		note(`upstream is not measured: ${upstreamReason}`);
	}

	const serviceAccount = upstreamReason ? undefined : await mountServiceAccount();
	if (serviceAccount) {
		temporary.push(serviceAccount.release);
	}

	const bins = binBase(options.binOnDisk);
	const ours = oursSubject({node: nodeBinary, bundle: options.bundle, nodeFlags: options.nodeFlags, agentFlags: options.agentFlags, env: {}, sources: binaries, healthPort: () => 0});
	const upstream = upstreamSubject(binaries);
	const subjects: Subject[] = serviceAccount ? [ours, upstream] : [ours];
	const timeouts: Timeouts = {eventMs: 20_000, restoreMs: options.restoreSeconds * 1000};
	const samples = new Map<Subject['id'], Samples>(subjects.map(subject => [subject.id, emptySamples()]));
	const random = mulberry32(options.seed);
	note(`${options.quick ? 'quick' : 'full'} run: ${options.runs} runs per subject, ${options.idleSeconds} s idle window ${options.settleSeconds} s after the last event, bin dir on ${bins.tmpfs ? 'tmpfs' : 'disk'}; load average ${os.loadavg().map(value => value.toFixed(2)).join(' ')}`);
	const loadBefore = os.loadavg();
	const pressureBefore = cpuPressure();

	for (let run = 0; run < options.runs && !interrupted; run++) {
		const nodes = new Map<Subject['id'], BenchNode>();
		for (const subject of subjects) {
			const node = await createNode(subject.id, {binParent: bins.dir, serviceAccount: subject.id === 'upstream' ? serviceAccount?.directory : undefined});
			nodes.set(subject.id, node);
			temporary.push(node.cleanup);
		}

		const record = (subject: Subject, key: FigureKey, value: number | null): void => {
			samples.get(subject.id)![key][run] = value;
		};

		const line: string[] = [];
		// Cold start; each keeps running for the reactions and the idle window.
		const running = new Map<Subject['id'], Running>();
		for (const subject of subjects) {
			const cold = await coldStart(subject, nodes.get(subject.id)!, timeouts);
			running.set(subject.id, cold.running);
			if (cold.ms === null || !cold.binariesOk) {
				throw new Error(`${subject.id}: cold start did not produce the config and all binaries:\n${cold.running.lines.slice(-20).join('\n')}\n${cold.running.stderr()}`);
			}

			record(subject, 'coldStartMs', cold.ms);
			record(subject, 'startPeakRssMb', cold.startHwmKb === null ? null : cold.startHwmKb / 1024);
			line.push(`cold ${subject.id} ${cold.ms.toFixed(0)}`);
		}

		// Reactions, interleaved; a random pause first, so upstream's 1 s poll is met at a random phase.
		for (const [key, act] of [
			['primaryMs', async (node: BenchNode) => primaryChanged(node, 1400 + run, timeouts)],
			['tokenMs', async (node: BenchNode) => tokenRotated(node, `bench-token-${run}-${Math.floor(random() * 1e9).toString(36)}`, timeouts)],
		] as const) {
			for (const subject of subjects) {
				await sleep(300 + random() * 1000);
				const ms = await act(nodes.get(subject.id)!);
				record(subject, key, ms);
				line.push(`${key.replace('Ms', '')} ${subject.id} ${format(ms)}`);
			}
		}

		// Idle: every process over the same window. It starts --settle seconds (20 s; --quick 5 s) after the last event: V8's memory reducer
		// runs one or two full GCs about 8 s after activity stops (10-20 ms of CPU, once), which is start-up cost, not idle.
		await sleep(options.settleSeconds * 1000);
		const idleFigures = await idle(subjects.map(subject => running.get(subject.id)!), options.idleSeconds);
		subjects.forEach((subject, index) => {
			const figures: IdleFigures = idleFigures[index]!;
			record(subject, 'idleCpuMsPerMin', figures.cpuMsPerMin);
			record(subject, 'idleSchedMsPerMin', figures.schedMsPerMin);
			record(subject, 'idleWakeupsPerMin', figures.wakeupsPerMin);
			record(subject, 'idleRssMb', figures.rssMb);
			record(subject, 'idleAnonMb', figures.anonMb);
			record(subject, 'idleFileMb', figures.fileMb);
			record(subject, 'threads', figures.threads);
			record(subject, 'inotifyWatches', figures.inotifyWatches);
			line.push(`idle ${subject.id} ${figures.cpuMsPerMin.toFixed(1)} ms/min ${figures.rssMb}/${figures.anonMb} MB`);
		});

		// Deleted config: ours restores it; upstream never does (timeout).
		for (const subject of subjects) {
			await sleep(300 + random() * 1000);
			const ms = await configRestored(nodes.get(subject.id)!, timeouts);
			record(subject, 'restoreMs', ms);
			line.push(`restore ${subject.id} ${format(ms)}`);
		}

		for (const subject of subjects) {
			await stop(running.get(subject.id)!);
		}

		// Warm restart: binaries, kubeconfig (and for ours the config) left in place by a clean stop.
		for (const subject of subjects) {
			const ms = await warmRestart(subject, nodes.get(subject.id)!, timeouts);
			record(subject, 'warmRestartMs', ms);
			line.push(`warm ${subject.id} ${format(ms)}`);
		}

		// Readiness: no primary yet; it appears after a random pause (upstream's wait loop sleeps 2 s).
		const pause = 200 + random() * 2000;
		for (const subject of subjects) {
			const ms = await readiness(subject, nodes.get(subject.id)!, timeouts, pause);
			record(subject, 'readinessMs', ms);
			line.push(`ready ${subject.id} ${format(ms)}`);
		}

		for (const node of nodes.values()) {
			await node.cleanup();
		}

		note(`run ${run + 1}/${options.runs}: ${line.join(', ')}`);
	}

	const modules = await loadedModules(bins.dir, timeouts);
	const image = options.image ? await measureImage(REPO, binaries, nodeBinary, options.bundle, options.rootfs).catch((error: unknown) => ({skipped: `failed: ${(error as Error).message}`}) as ImageReport) : undefined;
	await report({subjects, samples, modules, image, loadBefore, pressureBefore, nodeBinary, binaries, binTmpfs: bins.tmpfs});
}

// Runs ours once with a module-resolution hook; lists every module it resolved outside node: built-ins.
async function loadedModules(binParent: string, timeouts: Timeouts): Promise<{resolved: string[]; clientNodeLoaded: boolean; clientNodeInBundle: boolean; clientNodeLazy: boolean}> {
	const hook = [
		"import {registerHooks} from 'node:module';",
		"import {writeSync} from 'node:fs';",
		'registerHooks({resolve(specifier, context, next) { const result = next(specifier, context); if (!result.url.startsWith("node:")) { writeSync(2, "bench-resolved " + result.url + "\\n"); } return result; }});',
	].join('\n');
	const probe = oursSubject({node: path.join(REPO, 'node_modules/node/bin/node'), bundle: options.bundle, nodeFlags: [...options.nodeFlags, `--import=data:text/javascript,${encodeURIComponent(hook)}`], agentFlags: options.agentFlags, env: {}, sources: path.join(REPO, '.cache/bin/current'), healthPort: () => 0});
	const node = await createNode('modules', {binParent});
	temporary.push(node.cleanup);
	const cold = await coldStart(probe, node, timeouts);
	await sleep(1000);
	await stop(cold.running);
	await node.cleanup();
	const resolved = cold.running.stderr().split('\n')
		.filter(line => line.startsWith('bench-resolved '))
		.map(line => line.slice('bench-resolved '.length))
		.filter(url => !url.startsWith('data:'))
		.map(url => (url.startsWith('file://') ? path.relative(REPO, new URL(url).pathname) : url));
	const bundleText = readFileSync(options.bundle, 'utf8');
	return {
		resolved: [...new Set(resolved)],
		clientNodeLoaded: resolved.some(url => url.includes('@kubernetes/client-node')),
		// A static import would load it in every process; a dynamic import() (a subcommand's) loads it only there.
		clientNodeInBundle: /(?:from\s*|^\s*import\s*)["']@kubernetes\/client-node/m.test(bundleText),
		clientNodeLazy: /import\s*\(\s*["']@kubernetes\/client-node/.test(bundleText),
	};
}

interface ReportInput {
	readonly subjects: readonly Subject[];
	readonly samples: Map<Subject['id'], Samples>;
	readonly modules: Awaited<ReturnType<typeof loadedModules>>;
	readonly image: ImageReport | undefined;
	readonly loadBefore: number[];
	readonly pressureBefore: number | undefined;
	readonly nodeBinary: string;
	readonly binaries: string;
	readonly binTmpfs: boolean;
}

async function report(input: ReportInput): Promise<void> {
	const {subjects, samples} = input;
	const summaries = new Map<Subject['id'], Record<string, Summary>>();
	for (const subject of subjects) {
		const own = samples.get(subject.id)!;
		summaries.set(subject.id, Object.fromEntries(FIGURES.map(figure => [figure.key, summarize(own[figure.key])])));
	}

	const ours = summaries.get('ours')!;
	const upstream = summaries.get('upstream');
	const restoreLabel = ` in ${options.restoreSeconds} s`;
	const rows = FIGURES.map(figure => [
		figure.label,
		figure.unit,
		formatSummary(ours[figure.key], figure.key === 'restoreMs' ? restoreLabel : ''),
		upstream ? formatSummary(upstream[figure.key], figure.key === 'restoreMs' ? restoreLabel : '') : 'n/a',
		upstream ? String(ratio(ours[figure.key], upstream[figure.key]) ?? (figure.key === 'restoreMs' ? 'n/a (never)' : 'n/a')) : 'n/a',
	]);
	const goals = evaluateGoals(ours, upstream, input.modules.clientNodeLoaded || input.modules.clientNodeInBundle);
	const elapsedMin = (performance.now() - began) / 60_000;
	const out: string[] = [];
	out.push('');
	out.push(`multus-agent vs upstream thin_entrypoint: ${options.runs} runs each (min / median / max), idle window ${options.idleSeconds} s`);
	out.push(table(['figure', 'unit', 'ours', 'upstream', 'ours/upstream (medians)'], rows));
	out.push('');
	out.push(table(['goal', 'target', 'measured', 'met'], goals.map(goal => [goal.goal, goal.target, goal.measured, goal.met === null ? 'n/a' : (goal.met ? 'yes' : 'NO')])));
	out.push('');
	out.push(`modules the running agent resolved besides node: built-ins: ${input.modules.resolved.join(', ') || 'none'}; @kubernetes/client-node loaded: ${input.modules.clientNodeLoaded ? 'YES' : 'no'}, imported statically by the bundle: ${input.modules.clientNodeInBundle ? 'YES' : 'no'}${input.modules.clientNodeLazy ? ' (a dynamic import() for subcommands only)' : ''}`);
	if (input.image) {
		out.push('');
		out.push(imageText(input.image));
	}

	out.push('');
	out.push(`ours:     ${subjects[0]!.describe}`);
	if (subjects[1]) {
		out.push(`upstream: ${subjects[1].describe}`);
	}

	out.push(`machine: ${os.cpus().length} CPUs (${os.cpus()[0]?.model ?? '?'}), load average before ${input.loadBefore.map(value => value.toFixed(2)).join(' ')}, after ${os.loadavg().map(value => value.toFixed(2)).join(' ')}; cpu pressure (some avg60) before ${input.pressureBefore ?? '?'}%, after ${cpuPressure() ?? '?'}%; took ${elapsedMin.toFixed(1)} min`);
	process.stdout.write(`${out.join('\n')}\n`);

	const json = {
		schema: 1,
		date: new Date().toISOString(),
		mode: options.quick ? 'quick' : 'full',
		runs: options.runs,
		idleSeconds: options.idleSeconds,
		idleSettleSeconds: options.settleSeconds,
		restoreTimeoutSeconds: options.restoreSeconds,
		durationMinutes: Math.round(elapsedMin * 10) / 10,
		machine: {cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model, kernel: os.release(), loadBefore: input.loadBefore, loadAfter: os.loadavg(), cpuPressureBefore: input.pressureBefore, cpuPressureAfter: cpuPressure(), binDirOnTmpfs: input.binTmpfs},
		versions: {node: execFileSync(input.nodeBinary, ['--version'], {encoding: 'utf8'}).trim(), binaries: readJson(path.join(input.binaries, 'versions.json')), commit: gitDescribe()},
		subjects: Object.fromEntries(subjects.map(subject => [subject.id, subject.describe])),
		figures: Object.fromEntries(FIGURES.map(figure => [figure.key, {
			label: figure.label,
			unit: figure.unit,
			goal: figure.goal,
			ours: ours[figure.key],
			upstream: upstream?.[figure.key],
			ratio: ratio(ours[figure.key], upstream?.[figure.key]),
		}])),
		goals,
		modules: input.modules,
		image: input.image,
	};
	const file = path.resolve(REPO, options.json);
	await fs.mkdir(path.dirname(file), {recursive: true});
	await fs.writeFile(file, `${JSON.stringify(json, null, '\t')}\n`);
	process.stdout.write(`\nJSON: ${path.relative(REPO, file)}\n`);
}

interface Goal {
	goal: string;
	target: string;
	measured: string;
	met: boolean | null;
}

function evaluateGoals(ours: Record<string, Summary>, upstream: Record<string, Summary> | undefined, clientNode: boolean): Goal[] {
	const goals: Goal[] = [];
	const reactions = [['tokenMs', 'token'], ['primaryMs', 'primary'], ['readinessMs', 'readiness'], ['restoreMs', 'restore']] as const;
	for (const [key, name] of reactions) {
		const own = ours[key]!;
		const theirs = upstream?.[key];
		const speedup = theirs?.median !== null && theirs?.median !== undefined && own.median ? theirs.median / own.median : null;
		const upstreamNever = theirs !== undefined && theirs.median === null;
		const fastEnough = own.median !== null && own.max !== null && own.median <= 50 && own.max <= 200;
		const faster = theirs === undefined ? null : (upstreamNever || (speedup !== null && speedup >= 5));
		goals.push({
			goal: `reaction: ${name}`,
			target: 'median <= 50 ms, max <= 200 ms, >= 5x faster than upstream',
			measured: `median ${own.median ?? 'never'} ms, max ${own.max ?? 'never'} ms; upstream ${upstreamNever ? 'never' : (theirs ? `${speedup?.toFixed(1)}x slower` : 'n/a')}`,
			met: faster === null ? (fastEnough ? null : false) : fastEnough && faster,
		});
	}

	const cpu = ours['idleCpuMsPerMin']!;
	const theirCpu = upstream?.['idleCpuMsPerMin'];
	goals.push({
		goal: 'idle CPU, all watches on',
		target: '<= 10 ms/min and <= 1/3 of upstream',
		measured: `median ${cpu.median} ms/min (max ${cpu.max}); upstream ${theirCpu?.median ?? 'n/a'}`,
		met: cpu.median !== null && cpu.median <= 10 && (theirCpu?.median === undefined || theirCpu.median === null ? true : cpu.median <= theirCpu.median / 3),
	});
	goals.push({goal: 'idle RSS', target: '<= 50 MB', measured: `median ${ours['idleRssMb']!.median} MB (max ${ours['idleRssMb']!.max})`, met: (ours['idleRssMb']!.median ?? Infinity) <= 50});
	goals.push({goal: 'idle anonymous memory', target: '<= 15 MB', measured: `median ${ours['idleAnonMb']!.median} MB (max ${ours['idleAnonMb']!.max})`, met: (ours['idleAnonMb']!.median ?? Infinity) <= 15});
	goals.push({goal: '@kubernetes/client-node not loaded', target: 'not resolved at run time, no static import in the bundle', measured: clientNode ? 'loaded' : 'not loaded', met: !clientNode});
	for (const [key, name, limit] of [['coldStartMs', 'cold start', 1.5], ['warmRestartMs', 'warm restart', 1.0]] as const) {
		const value = ratio(ours[key], upstream?.[key]);
		goals.push({goal: name, target: `<= ${limit.toFixed(1)}x upstream`, measured: value === null ? 'n/a' : `${value}x (${ours[key]!.median} vs ${upstream?.[key]?.median} ms)`, met: value === null ? null : value <= limit});
	}

	return goals;
}

function imageText(image: ImageReport): string {
	const mb = (bytes: number): string => (bytes / 1e6).toFixed(1);
	const rows = [
		['binaries it must carry (multus + 6 plugins)', String(image.requiredBinaries.files), mb(image.requiredBinaries.bytes), mb(image.requiredBinaries.gzipLayer)],
		['upstream payload (thin_entrypoint + multus + 6 plugins; 2 images, base layers not counted)', String(image.upstreamPayload.files), mb(image.upstreamPayload.bytes), mb(image.upstreamPayload.gzipLayer)],
		['node runtime (pinned node binary)', '1', mb(image.nodeRuntime), ''],
		['agent bundle (dist/multus-agent.mjs)', '1', mb(image.bundle), ''],
	];
	if (image.rootfs) {
		rows.push(['assembled rootfs', String(image.rootfs.files), mb(image.rootfs.bytes), mb(image.rootfs.gzipLayer)]);
	}

	const lines = [table(['image', 'files', 'MB', 'gzip layer MB'], rows)];
	if (image.rootfs) {
		lines.push(`rootfs / required binaries: ${(image.rootfs.bytes / image.requiredBinaries.bytes).toFixed(2)}x raw, ${(image.rootfs.gzipLayer / image.requiredBinaries.gzipLayer).toFixed(2)}x gzip; rootfs / upstream payload: ${(image.rootfs.bytes / image.upstreamPayload.bytes).toFixed(2)}x raw, ${(image.rootfs.gzipLayer / image.upstreamPayload.gzipLayer).toFixed(2)}x gzip`);
		lines.push(`rootfs by part (MB): ${Object.entries(image.rootfs.parts ?? {}).map(([part, bytes]) => `${part} ${mb(bytes)}`).join(', ')}`);
	}

	if (image.skipped) {
		lines.push(`rootfs: skipped (${image.skipped})`);
	}

	return lines.join('\n');
}

function parseOptions(argv: readonly string[]): BenchOptions {
	const flags = new Map<string, string>();
	for (const arg of argv) {
		const match = /^--([\w-]+)(?:=(.*))?$/.exec(arg);
		if (!match) {
			fail(`unexpected argument ${arg}; see bench/README.md`);
		}

		flags.set(match[1]!, match[2] ?? 'true');
	}

	const known = new Set(['quick', 'runs', 'idle', 'settle', 'restore-timeout', 'json', 'no-build', 'no-image', 'rootfs', 'bin-on-disk', 'node-flags', 'agent-flags', 'bundle', 'no-upstream', 'seed', 'help']);
	for (const name of flags.keys()) {
		if (!known.has(name)) {
			fail(`unknown option --${name}; known: ${[...known].map(option => `--${option}`).join(' ')}`);
		}
	}

	if (flags.has('help')) {
		process.stdout.write(readFileSync(path.join(REPO, 'bench/README.md'), 'utf8'));
		process.exit(0);
	}

	const quick = flags.has('quick');
	const number = (name: string, fallback: number): number => {
		const value = Number(flags.get(name) ?? fallback);
		if (!Number.isFinite(value) || value <= 0) {
			fail(`--${name} must be a positive number`);
		}

		return value;
	};

	const words = (name: string): string[] => (flags.get(name) ?? '').split(/\s+/).filter(Boolean);
	return {
		quick,
		runs: Math.round(number('runs', quick ? 3 : 5)),
		idleSeconds: number('idle', quick ? 10 : 60),
		settleSeconds: number('settle', quick ? 5 : IDLE_SETTLE_SECONDS),
		restoreSeconds: number('restore-timeout', quick ? 3 : 5),
		json: flags.get('json') ?? (quick ? 'bench/results/quick.json' : 'bench/results/latest.json'),
		build: !flags.has('no-build') && !flags.has('bundle'),
		image: !flags.has('no-image'),
		rootfs: flags.get('rootfs'),
		binOnDisk: flags.has('bin-on-disk'),
		nodeFlags: words('node-flags'),
		agentFlags: words('agent-flags'),
		bundle: path.resolve(flags.get('bundle') ?? path.join(REPO, 'dist/multus-agent.mjs')),
		upstream: !flags.has('no-upstream'),
		seed: number('seed', 1),
	};
}

function emptySamples(): Samples {
	return Object.fromEntries(FIGURES.map(figure => [figure.key, []])) as unknown as Samples;
}

// A small seeded generator, so the pauses (and with them upstream's poll phases) repeat from run to run.
function mulberry32(seed: number): () => number {
	let state = seed >>> 0;
	return () => {
		state = (state + 0x6D_2B_79_F5) >>> 0;
		let value = state;
		value = Math.imul(value ^ (value >>> 15), value | 1);
		value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
		return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
	};
}

function cpuPressure(): number | undefined {
	try {
		return Number(/avg60=([\d.]+)/.exec(readFileSync('/proc/pressure/cpu', 'utf8'))?.[1]);
	} catch {
		return undefined;
	}
}

function readJson(file: string): unknown {
	try {
		return JSON.parse(readFileSync(file, 'utf8')) as unknown;
	} catch {
		return undefined;
	}
}

function gitDescribe(): string | undefined {
	try {
		return execFileSync('git', ['describe', '--always', '--dirty'], {cwd: REPO, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore']}).trim();
	} catch {
		return undefined;
	}
}

function format(ms: number | null): string {
	return ms === null ? 'never' : ms.toFixed(0);
}

function note(text: string): void {
	process.stderr.write(`bench: ${text}\n`);
}

function fail(text: string): never {
	process.stderr.write(`bench: ${text}\n`);
	process.exit(2);
}

async function cleanUp(): Promise<void> {
	await stopAll();
	for (const undo of temporary.splice(0).reverse()) {
		await undo().catch(() => undefined);
	}
}
