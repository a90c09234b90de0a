// Reads what the kernel knows about a process: CPU time, scheduler time, wakeups, memory and inotify watches.
import {execFileSync} from 'node:child_process';
import {readdirSync, readFileSync, readlinkSync} from 'node:fs';
import path from 'node:path';

// Clock ticks per second for utime/stime in /proc/<pid>/stat (USER_HZ, almost always 100).
export const CLOCK_TICKS = clockTicks();

// One look at a process.
export interface ProcSample {
	/** utime + stime of every thread, living or exited, from /proc/<pid>/stat (USER_HZ resolution). */
	readonly cpuMs: number;
	/** Nanosecond run time summed over the living threads (/proc/<pid>/task/<tid>/schedstat). */
	readonly schedNs: number;
	/** Voluntary + involuntary context switches of the living threads: each is a wake-up or preemption. */
	readonly switches: number;
	readonly threads: number;
	readonly rssKb: number;
	readonly anonKb: number;
	readonly fileKb: number;
	readonly hwmKb: number;
}

// Samples pid; throws when it is gone.
export function sample(pid: number): ProcSample {
	const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
	// Fields after the command name, which may itself contain spaces and parentheses.
	const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
	const ticks = Number(fields[11]) + Number(fields[12]);
	const status = parseStatus(readFileSync(`/proc/${pid}/status`, 'utf8'));
	let schedNs = 0;
	let switches = 0;
	for (const tid of tasks(pid)) {
		try {
			schedNs += Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[0]);
			const taskStatus = parseStatus(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'));
			switches += (taskStatus.get('voluntary_ctxt_switches') ?? 0) + (taskStatus.get('nonvoluntary_ctxt_switches') ?? 0);
		} catch {
			// The thread exited between readdir and read.
		}
	}

	return {
		cpuMs: ticks * 1000 / CLOCK_TICKS,
		schedNs,
		switches,
		threads: status.get('Threads') ?? 0,
		rssKb: status.get('VmRSS') ?? 0,
		anonKb: status.get('RssAnon') ?? 0,
		fileKb: status.get('RssFile') ?? 0,
		hwmKb: status.get('VmHWM') ?? 0,
	};
}

// Number of inotify watches the process holds (one per watched inode, over all its inotify descriptors).
export function inotifyWatches(pid: number): number {
	let count = 0;
	for (const fd of safeReaddir(`/proc/${pid}/fd`)) {
		let target: string;
		try {
			target = readlinkSync(`/proc/${pid}/fd/${fd}`);
		} catch {
			continue;
		}

		if (target === 'anon_inode:inotify') {
			const info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
			count += info.split('\n').filter(line => line.startsWith('inotify wd:')).length;
		}
	}

	return count;
}

// True while pid exists and is not a zombie.
export function alive(pid: number): boolean {
	try {
		const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
		return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
	} catch {
		return false;
	}
}

// The executable a pid runs now (after any exec), as a base name.
export function executableName(pid: number): string {
	try {
		return path.basename(readlinkSync(`/proc/${pid}/exe`));
	} catch {
		return '';
	}
}

function tasks(pid: number): string[] {
	return safeReaddir(`/proc/${pid}/task`);
}

function safeReaddir(directory: string): string[] {
	try {
		return readdirSync(directory);
	} catch {
		return [];
	}
}

function parseStatus(text: string): Map<string, number> {
	const values = new Map<string, number>();
	for (const line of text.split('\n')) {
		const match = /^(\w+):\s+(\d+)/.exec(line);
		if (match) {
			values.set(match[1]!, Number(match[2]));
		}
	}

	return values;
}

function clockTicks(): number {
	try {
		const value = Number(execFileSync('getconf', ['CLK_TCK'], {encoding: 'utf8'}).trim());
		return Number.isFinite(value) && value > 0 ? value : 100;
	} catch {
		return 100;
	}
}
