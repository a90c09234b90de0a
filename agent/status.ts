// The status file: what the running agent last did, for `multus-agent status`, doctor and health checks.
import path from 'node:path';
import packageJson from '../package.json' with {type: 'json'};
import {writeFileAtomic} from './fs-atomic.ts';
import {instanceId} from './ownership.ts';

// The status file's name, beside the kubeconfig in the root-only multus.d.
export const STATUS_FILE_NAME = 'agent-status.json';

// What the agent is doing.
export type Phase = 'starting' | 'waiting' | 'ready' | 'degraded' | 'standby' | 'stopped' | 'failed';

// The recorded state; every path is a container path of the agent.
export interface AgentStatus {
	version: string;
	instance: string;
	pid: number;
	phase: Phase;
	/** True when config, kubeconfig and binaries are in place and the last sync of each succeeded. */
	ready: boolean;
	updatedAt: string;
	waiting?: {reason: string; path: string};
	config?: {path: string; sha256: string; primary: string; cniVersion: string; writtenAt: string};
	kubeconfig?: {path: string; writtenAt: string};
	binaries: Array<{name: string; path: string; sha256: string}>;
	errors: Record<string, {message: string; at: string}>;
}

// Keeps the status file current: atomic, 0600, written only when something besides the time changed.
export class StatusRecorder {
	readonly file: string;
	readonly #status: AgentStatus;
	#lastWritten = '';
	#writing: Promise<void> = Promise.resolve();

	constructor(directory: string) {
		this.file = path.join(directory, STATUS_FILE_NAME);
		this.#status = {version: packageJson.version, instance: instanceId, pid: process.pid, phase: 'starting', ready: false, updatedAt: '', binaries: [], errors: {}};
	}

	// The current status (a copy).
	get current(): AgentStatus {
		return structuredClone(this.#status);
	}

	// Applies a change and writes the file if it differs; a failed write is reported to onError.
	async update(change: (status: AgentStatus) => void, onError: (error: unknown) => void = () => undefined): Promise<void> {
		change(this.#status);
		const {updatedAt: _, ...comparable} = this.#status;
		const key = JSON.stringify(comparable);
		if (key === this.#lastWritten) {
			return;
		}

		this.#lastWritten = key;
		this.#status.updatedAt = new Date().toISOString();
		const text = `${JSON.stringify(this.#status, null, 2)}\n`;
		this.#writing = this.#writing.then(async () => {
			await writeFileAtomic(this.file, text, 0o600);
		}).catch(onError);
		await this.#writing;
	}
}
