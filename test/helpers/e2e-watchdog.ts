// Started detached by e2e-guard.ts. Reads JSON lines {"op": "add" | "forget", "kind", "value"} on stdin.
// When stdin ends without a final "disarm" line, the test process is gone however it died (an ava timeout
// kills the worker without running 'exit' hooks), so this undoes what is still registered: kills processes
// and process groups, then deletes network namespaces, then removes directories.
import {execFileSync} from 'node:child_process';
import {rmSync} from 'node:fs';
import readline from 'node:readline';

type Entry = {kind: 'pgid' | 'pid' | 'netns' | 'dir'; value: string};

for (const signal of ['SIGHUP', 'SIGINT', 'SIGTERM'] as const) {
	process.on(signal, () => undefined); // outlive the test runner's signals; only stdin's end matters
}

const entries = new Map<string, Entry>();
let disarmed = false;
readline.createInterface({input: process.stdin}).on('line', line => {
	try {
		const message = JSON.parse(line) as Entry & {op: 'add' | 'forget' | 'disarm'};
		const key = `${message.kind}:${message.value}`;
		if (message.op === 'add') {
			entries.set(key, {kind: message.kind, value: message.value});
		} else if (message.op === 'forget') {
			entries.delete(key);
		} else {
			disarmed = true;
		}
	} catch {
		// Not ours.
	}
}).on('close', () => {
	if (!disarmed) {
		undoAll();
	}

	process.exit(0);
});

function undoAll(): void {
	const of = (kind: Entry['kind']): string[] => [...entries.values()].filter(entry => entry.kind === kind).map(entry => entry.value);
	for (const pgid of of('pgid')) {
		attempt(() => process.kill(-Number(pgid), 'SIGKILL'));
	}

	for (const pid of of('pid')) {
		attempt(() => process.kill(Number(pid), 'SIGKILL'));
	}

	for (const name of of('netns')) {
		attempt(() => execFileSync('ip', ['netns', 'delete', name], {stdio: 'ignore'}));
	}

	for (const directory of of('dir')) {
		attempt(() => {
			rmSync(directory, {recursive: true, force: true, maxRetries: 3});
		});
	}
}

function attempt(step: () => unknown): void {
	try {
		step();
	} catch {
		// Already gone.
	}
}
