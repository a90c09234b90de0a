// Tells whether the pid a status file records is a running agent here (the file may come from the pod's PID namespace).
import fs from 'node:fs/promises';
import path from 'node:path';

// How the recorded pid looks from here.
export type Liveness = 'running here' | 'not running in this PID namespace' | 'another process here: the agent runs in another PID namespace';

// Reads /proc/<pid>/cmdline: an agent is node (or anything running multus-agent).
export async function agentLiveness(pid: number): Promise<Liveness> {
	const argv = await fs.readFile(`/proc/${pid}/cmdline`, 'utf8').then(text => text.split('\0'), () => undefined);
	if (argv === undefined) {
		return 'not running in this PID namespace';
	}

	return path.basename(argv[0] ?? '') === 'node' || argv.some(arg => arg.includes('multus-agent')) ? 'running here' : 'another process here: the agent runs in another PID namespace';
}
