// The measurements: each starts or pokes a subject on a node and times the file-system effect.
import fs from 'node:fs/promises';
import path from 'node:path';
import {performance} from 'node:perf_hooks';
import {setTimeout as sleep} from 'node:timers/promises';
import {exists, includes, matches, watchFile} from './files.ts';
import {listFiles, PLUGINS, rotateToken, writePrimary, type BenchNode} from './host.ts';
import {inotifyWatches, sample, type ProcSample} from './proc.ts';
import type {Running, Subject} from './subjects.ts';

// How long the idle window waits after the last event: past V8's memory-reducer GCs (one or two full GCs about 8 s
// after activity stops, 10-20 ms of CPU once), which belong to the event, not to idling.
export const IDLE_SETTLE_SECONDS = 20;

// Every process the harness started and has not stopped yet (stopped on exit or Ctrl-C).
export const live = new Set<Running>();

export interface Timeouts {
	/** Start-up, readiness and reactions that must happen. */
	readonly eventMs: number;
	/** How long to wait for a deleted config to come back (upstream never restores it). */
	readonly restoreMs: number;
}

// Starts subject on node and times start → config written. The process keeps running.
export async function coldStart(subject: Subject, node: BenchNode, timeouts: Timeouts): Promise<{ms: number | null; running: Running; startHwmKb: number | null; binariesOk: boolean}> {
	const wait = watchFile(node.config, exists, timeouts.eventMs);
	const t0 = performance.now();
	const running = start(subject, node);
	const t1 = await wait.done;
	const ready = await running.waitForLine(subject.isReady, timeouts.eventMs);
	const startHwmKb = ready ? safeSample(running.pid)?.hwmKb ?? null : null;
	return {ms: t1 === undefined ? null : t1 - t0, running, startHwmKb, binariesOk: await binariesInstalled(node, subject)};
}

// Restarts with everything in place (the previous instance stopped cleanly) and times start → start-up done:
// the config written (upstream: its clean-up deleted it) or, for ours, the status file saying ready for this pid.
export async function warmRestart(subject: Subject, node: BenchNode, timeouts: Timeouts): Promise<number | null> {
	// The end mark may name the pid, known only once spawned; the watcher's first check runs after that.
	let done: ReturnType<Subject['warmDone']> | undefined;
	let running: Running | undefined;
	const wait = watchFile(subject.warmDone(node, 0).file, content => {
		if (running === undefined) {
			return false;
		}

		done ??= subject.warmDone(node, running.pid);
		return done.accept(content);
	}, timeouts.eventMs);
	const t0 = performance.now();
	running = start(subject, node);
	const t1 = await wait.done;
	await running.waitForLine(subject.isReady, timeouts.eventMs);
	await stop(running);
	return t1 === undefined ? null : t1 - t0;
}

// Starts with no primary (= no readiness file), waits until the subject waits for it, pauses, creates it and
// times creation → config written.
export async function readiness(subject: Subject, node: BenchNode, timeouts: Timeouts, pauseMs: number): Promise<number | null> {
	await fs.rm(node.primary, {force: true});
	await fs.rm(node.config, {force: true});
	const running = start(subject, node);
	try {
		if (!await running.waitForLine(subject.isWaiting, timeouts.eventMs)) {
			throw new Error(`${subject.id} never said it was waiting for the readiness file:\n${running.lines.slice(-20).join('\n')}\n${running.stderr()}`);
		}

		await sleep(pauseMs);
		const wait = watchFile(node.config, exists, timeouts.eventMs);
		const t0 = performance.now();
		await writePrimary(node);
		const t1 = await wait.done;
		await running.waitForLine(subject.isReady, timeouts.eventMs);
		return t1 === undefined ? null : t1 - t0;
	} finally {
		await stop(running);
	}
}

// Rewrites the primary with a new mtu and times it → the config holds it.
export async function primaryChanged(node: BenchNode, mtu: number, timeouts: Timeouts): Promise<number | null> {
	const wait = watchFile(node.config, matches(new RegExp(`"mtu":\\s*${mtu}\\b`)), timeouts.eventMs);
	const t0 = performance.now();
	await writePrimary(node, {mtu});
	const t1 = await wait.done;
	return t1 === undefined ? null : t1 - t0;
}

// Rotates the token (kubelet's ..data swap) and times it → the kubeconfig holds the new token.
export async function tokenRotated(node: BenchNode, token: string, timeouts: Timeouts): Promise<number | null> {
	const wait = watchFile(node.kubeconfig, includes(token), timeouts.eventMs);
	const t0 = performance.now();
	await rotateToken(node, token);
	const t1 = await wait.done;
	return t1 === undefined ? null : t1 - t0;
}

// Deletes the config and times deletion → it is back (null: not within timeouts.restoreMs).
export async function configRestored(node: BenchNode, timeouts: Timeouts): Promise<number | null> {
	const t0 = performance.now();
	await fs.rm(node.config);
	const t1 = await watchFile(node.config, exists, timeouts.restoreMs).done;
	return t1 === undefined ? null : t1 - t0;
}

// Idle figures of one process over a window.
export interface IdleFigures {
	readonly cpuMsPerMin: number;
	readonly schedMsPerMin: number;
	readonly wakeupsPerMin: number;
	readonly rssMb: number;
	readonly anonMb: number;
	readonly fileMb: number;
	readonly hwmMb: number;
	readonly threads: number;
	readonly inotifyWatches: number;
}

// Samples every process at the start and the end of one window of seconds (all measured over the same window).
export async function idle(processes: readonly Running[], seconds: number): Promise<IdleFigures[]> {
	const before = processes.map(running => sample(running.pid));
	const t0 = performance.now();
	await sleep(seconds * 1000);
	const minutes = (performance.now() - t0) / 60_000;
	return processes.map((running, index) => {
		const after = sample(running.pid);
		return figures(before[index]!, after, minutes, inotifyWatches(running.pid));
	});
}

function figures(before: ProcSample, after: ProcSample, minutes: number, watches: number): IdleFigures {
	const mb = (kb: number): number => Math.round(kb / 1024 * 10) / 10;
	return {
		cpuMsPerMin: (after.cpuMs - before.cpuMs) / minutes,
		schedMsPerMin: Math.max(0, after.schedNs - before.schedNs) / 1e6 / minutes,
		wakeupsPerMin: Math.max(0, after.switches - before.switches) / minutes,
		rssMb: mb(after.rssKb),
		anonMb: mb(after.anonKb),
		fileMb: mb(after.fileKb),
		hwmMb: mb(after.hwmKb),
		threads: after.threads,
		inotifyWatches: watches,
	};
}

export function start(subject: Subject, node: BenchNode): Running {
	const running = subject.start(node);
	live.add(running);
	void running.exited.then(() => live.delete(running));
	return running;
}

export async function stop(running: Running): Promise<number> {
	const code = await running.stop();
	live.delete(running);
	return code;
}

// Stops everything still running (on exit or Ctrl-C).
export async function stopAll(): Promise<void> {
	await Promise.all([...live].map(async running => stop(running)));
}

function safeSample(pid: number): ProcSample | undefined {
	try {
		return sample(pid);
	} catch {
		return undefined;
	}
}

async function binariesInstalled(node: BenchNode, subject: Subject): Promise<boolean> {
	const files = await listFiles(node.binDir);
	const ok = ['multus', ...PLUGINS].every(name => (files.get(name) ?? 0) > 0);
	if (!ok) {
		process.stderr.write(`${subject.id}: bin dir ${path.basename(node.binDir)} holds only ${[...files.keys()].join(', ')}\n`);
	}

	return ok;
}
