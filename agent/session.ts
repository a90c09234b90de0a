// The running phase: waits for the network, writes the config, then keeps kubeconfig, binaries and config right.
import {createHash} from 'node:crypto';
import type {Server} from 'node:http';
import path from 'node:path';
import {install, logKubeconfig} from './agent.ts';
import {removeOwnConfig, syncConfig, type ConfigMemory, type ConfigOutcome} from './config-sync.ts';
import {ApiSelfCheck} from './commands/self-check.ts';
import {AgentError} from './errors.ts';
import {serveHealth} from './health.ts';
import type {BinaryPlan, InstalledBinary} from './install.ts';
import {kubeconfigWriterFor, type KubeconfigSync, type KubeconfigWriter} from './kubeconfig-sync.ts';
import type {Logger} from './log.ts';
import type {Options} from './options.ts';
import {ownsNode} from './ownership.ts';
import {configError} from './preflight.ts';
import {findShadowingConfigs} from './primary-reader.ts';
import {Reconciler, type Task} from './reconciler.ts';
import type {StatusRecorder} from './status.ts';
import {planWatches} from './watch-plan.ts';
import {watchDirectories, type DirectoryWatch} from './watch.ts';

const COALESCE_MS = 5;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5000;
const PROGRESS_EVERY_MS = 30_000;
const SELF_CHECK_SETTLE_MS = 2000;
const SETTLE_MS = 250;
const TASK_ORDER: readonly Task[] = ['kubeconfig', 'binaries', 'config'];
const MAX_TIMER_MS = 2_147_483_647;

// What a session starts from: the options and what start-up already did.
export interface SessionContext {
	readonly options: Options;
	readonly log: Logger;
	readonly plan: BinaryPlan;
	readonly status: StatusRecorder;
	readonly installed: InstalledBinary[];
}

// One agent run after start-up; run() resolves when the signal aborts and rejects on a fatal error.
export class Session {
	readonly #options: Options;
	readonly #log: Logger;
	readonly #plan: BinaryPlan;
	readonly #status: StatusRecorder;
	readonly #memory: ConfigMemory = {};
	readonly #reconciler: Reconciler;
	readonly #retryDelay = new Map<Task, number>();
	readonly #timers = new Set<NodeJS.Timeout>();
	readonly #retryTimers = new Map<Task, NodeJS.Timeout>();
	readonly #kubeconfig: KubeconfigWriter;
	#tokenTimer: NodeJS.Timeout | undefined;
	readonly #privateDir: string;
	readonly #selfCheck: ApiSelfCheck | undefined;
	#selfCheckTimer: NodeJS.Timeout | undefined;
	#installed: InstalledBinary[];
	#ready = false;
	#standingBy = false;
	#lastNote = '';
	#shadowing = '';
	#waitingSince = Date.now();
	#fail: (error: unknown) => void = () => undefined;
	#progress: NodeJS.Timeout | undefined;
	readonly #settleTimers = new Map<Task, NodeJS.Timeout>();

	constructor(context: SessionContext) {
		this.#options = context.options;
		this.#log = context.log;
		this.#plan = context.plan;
		this.#status = context.status;
		this.#installed = context.installed;
		this.#privateDir = path.dirname(context.options.paths.kubeconfig);
		this.#kubeconfig = kubeconfigWriterFor(context.options);
		this.#reconciler = new Reconciler(async tasks => this.#runTasks(tasks), COALESCE_MS);
		this.#selfCheck = context.options.apiSelfCheck ? new ApiSelfCheck(context.options, context.log) : undefined;
		// The ownership check at the start of a sync can be stale by the time it writes (a frozen old pod wakes up).
		this.#memory.mayWrite = async () => ownsNode(this.#privateDir);
	}

	async run(signal: AbortSignal): Promise<void> {
		const stopped = new Promise<void>((resolve, reject) => {
			this.#fail = reject;
			signal.addEventListener('abort', () => {
				resolve();
			}, {once: true});
		});
		let watch: DirectoryWatch | undefined;
		let health: Server | undefined;
		try {
			await this.#record(status => {
				status.kubeconfig = {path: this.#options.paths.kubeconfig, writtenAt: new Date().toISOString()};
			});
			if (this.#kubeconfig.last) {
				await this.#onToken(this.#kubeconfig.last);
			}

			await this.#recordBinaries();
			this.#scheduleSelfCheck(0);
			if (this.#options.healthAddress !== '') {
				health = await serveHealth(this.#options.healthAddress, () => this.#readiness());
			}

			watch = await this.#watch();
			this.#reconciler.request('config', 0);
			// Only until the first config is written: once ready, the idle agent has no timer but the re-check.
			this.#progress = setInterval(() => {
				this.#logProgress();
			}, PROGRESS_EVERY_MS);
			if (this.#options.recheckIntervalMs > 0) {
				this.#every(this.#options.recheckIntervalMs, () => {
					watch?.verify();
					for (const task of TASK_ORDER) {
						this.#reconciler.request(task);
					}
				});
			}

			await (signal.aborted ? Promise.resolve() : stopped);
		} catch (error) {
			await this.#record(status => {
				status.phase = 'failed';
				status.ready = false;
			});
			throw error;
		} finally {
			for (const timer of this.#timers) {
				clearInterval(timer);
			}

			for (const timer of this.#retryTimers.values()) {
				clearTimeout(timer);
			}

			clearTimeout(this.#tokenTimer);

			clearInterval(this.#progress);
			for (const timer of this.#settleTimers.values()) {
				clearTimeout(timer);
			}

			health?.close();
			await watch?.close();
			await this.#reconciler.close();
			clearTimeout(this.#selfCheckTimer);
			await this.#selfCheck?.close();
		}

		await this.#cleanUp();
		await this.#record(status => {
			status.phase = 'stopped';
			status.ready = false;
		});
	}

	#readiness(): {ok: boolean; reason: string} {
		const status = this.#status.current;
		const errors = Object.entries(status.errors).map(([task, error]) => `${task}: ${error.message}`);
		if (status.ready) {
			return {ok: true, reason: 'ready'};
		}

		return {ok: false, reason: errors[0] ?? status.waiting?.reason ?? status.phase};
	}

	async #watch(): Promise<DirectoryWatch> {
		const tasks = planWatches(this.#options, this.#plan.binaries.length > 0);
		return watchDirectories([...tasks.keys()], {
			onChange: directory => {
				for (const task of tasks.get(directory) ?? []) {
					this.#reconciler.request(task);
					this.#settleLater(task);
				}
			},
			onFallback: error => {
				this.#log.warn({event: 'watch-fallback', code: (error as {code?: string}).code}, `inotify is exhausted (${error.message}); polling every 2s instead. Raise fs.inotify.max_user_watches on the host`);
			},
		});
	}

	async #runTasks(tasks: ReadonlySet<Task>): Promise<void> {
		if (!await this.#stillOwner()) {
			return;
		}

		for (const task of TASK_ORDER) {
			if (!tasks.has(task)) {
				continue;
			}

			try {
				await this.#runTask(task);
				await this.#record(status => {
					delete status.errors[task];
				});
			} catch (error) {
				await this.#onTaskError(task, error);
			}
		}
	}

	async #runTask(task: Task): Promise<void> {
		switch (task) {
			case 'kubeconfig': {
				const sync = await this.#kubeconfig.sync();
				logKubeconfig(this.#log, this.#options, sync.outcome);
				if (sync.outcome === 'written') {
					await this.#record(status => {
						status.kubeconfig = {path: this.#options.paths.kubeconfig, writtenAt: new Date().toISOString()};
					});
					this.#scheduleSelfCheck(SELF_CHECK_SETTLE_MS);
				}

				await this.#onToken(sync);
				break;
			}

			case 'binaries': {
				this.#installed = await install(this.#plan, this.#options, this.#log, this.#installed);
				await this.#recordBinaries();
				break;
			}

			case 'config': {
				await this.#onConfig(await syncConfig(this.#options, this.#memory));
				return;
			}
		}

		this.#retryDelay.delete(task);
	}

	async #onConfig(outcome: ConfigOutcome): Promise<void> {
		switch (outcome.kind) {
			case 'written':
			case 'unchanged': {
				this.#retryDelay.delete('config');
				if (outcome.kind === 'written' || !this.#ready) {
					this.#log.info({event: `config-${outcome.kind}`, path: outcome.file, primary: outcome.source, cniVersion: outcome.cniVersion}, outcome.kind === 'written' ? 'wrote the Multus config' : 'the Multus config is already current');
				}

				this.#lastNote = '';
				await this.#warnIfShadowed(path.basename(outcome.file));
				const bytes = this.#memory.written?.bytes ?? Buffer.alloc(0);
				const becameReady = !this.#ready;
				this.#ready = true;
				await this.#record(status => {
					const writtenAt = outcome.kind === 'written' || !status.config ? new Date().toISOString() : status.config.writtenAt;
					status.config = {path: outcome.file, sha256: createHash('sha256').update(bytes).digest('hex'), primary: outcome.source, cniVersion: outcome.cniVersion, writtenAt};
					delete status.waiting;
				});
				if (becameReady) {
					clearInterval(this.#progress);
					this.#progress = undefined;
					this.#log.info({event: 'ready', waitedMs: Date.now() - this.#waitingSince}, 'Multus is installed; watching for changes');
				}

				break;
			}

			case 'waiting':
			case 'kept': {
				this.#note(outcome.kind === 'waiting' ? 'info' : 'warn', {event: outcome.kind, reason: outcome.reason, path: outcome.path}, outcome.kind === 'waiting' ? `waiting: ${outcome.reason}` : `keeping the last good config: ${outcome.reason}`);
				await this.#record(status => {
					status.waiting = {reason: outcome.reason, path: outcome.path};
				});
				if (outcome.reason.includes('not complete')) {
					this.#retry('config');
				}

				break;
			}

			case 'invalid': {
				if (!this.#ready) {
					this.#fail(configError(outcome.path, outcome.error));
					return;
				}

				this.#note('error', {event: 'config-invalid', path: outcome.path, jsonPath: outcome.error.jsonPath, reason: outcome.error.message}, 'the primary config is not usable; keeping the last good Multus config');
				await this.#record(status => {
					status.waiting = {reason: outcome.error.message, path: outcome.path};
				});
				break;
			}
		}
	}

	// Token mode: reports what the last kubeconfig sync did with the token (never the token) and schedules the next mint.
	async #onToken(sync: KubeconfigSync): Promise<void> {
		const request = this.#options.tokenRequest;
		if (!request) {
			return;
		}

		const account = sync.minted ? `${sync.minted.namespace}/${sync.minted.serviceAccount}` : request.serviceAccount;
		if (sync.minted) {
			const expiresAt = new Date(sync.minted.mintedAt + sync.minted.lifetimeMs).toISOString();
			this.#log.info({event: 'token-minted', serviceAccount: account, expiresAt, refreshInMs: sync.nextInMs}, `the kubeconfig holds a token minted for ${account}, valid until ${expiresAt}`);
		}

		if (sync.mintError && sync.token === 'pod') {
			this.#log.warn({event: 'token-fallback', serviceAccount: account, retryInMs: sync.nextInMs}, `LEAST PRIVILEGE IS OFF: the kubeconfig holds the pod's own token until a token for ${account} can be minted. ${sync.mintError.message}`);
		} else if (sync.mintError) {
			this.#log.warn({event: 'token-refresh-failed', serviceAccount: account, retryInMs: sync.nextInMs}, `keeping the minted token while it is valid. ${sync.mintError.message}`);
		}

		// While the pod's own token stands in, the status shows why (and /readyz fails): least privilege is off.
		await this.#record(status => {
			const message = `the kubeconfig holds the pod's own token: ${sync.mintError?.message ?? ''}`;
			if (sync.token === 'minted') {
				delete status.errors['token'];
			} else if (sync.mintError && status.errors['token']?.message !== message) {
				status.errors['token'] = {message, at: new Date().toISOString()};
			}
		});
		clearTimeout(this.#tokenTimer);
		if (sync.nextInMs !== undefined) {
			this.#tokenTimer = setTimeout(() => {
				this.#reconciler.request('kubeconfig');
			}, Math.min(sync.nextInMs, MAX_TIMER_MS));
		}
	}

	async #onTaskError(task: Task, error: unknown): Promise<void> {
		if (!this.#ready && task === 'config' && error instanceof AgentError) {
			this.#fail(error);
			return;
		}

		const message = error instanceof Error ? error.message : String(error);
		this.#log.error({event: 'sync-failed', task, path: (error as AgentError).path}, message);
		await this.#record(status => {
			// The same error keeps its first time: rewriting the status file (in the watched multus.d) for a new
			// timestamp would wake the kubeconfig task at once, a hot loop that bypasses the retry back-off.
			if (status.errors[task]?.message !== message) {
				status.errors[task] = {message, at: new Date().toISOString()};
			}
		});
		this.#retry(task);
	}

	async #stillOwner(): Promise<boolean> {
		const owner = await ownsNode(this.#privateDir);
		if (!owner && !this.#standingBy) {
			this.#standingBy = true;
			this.#log.warn({event: 'standby'}, 'a newer agent has claimed this node; standing by without writing (rolling update)');
		}

		return owner;
	}

	// Updates the status file, only while this process owns the node: the file is shared with a newer agent, and
	// an old agent stopped before it noticed the handover must not overwrite the new one's status with "stopped".
	async #record(change: Parameters<StatusRecorder['update']>[0]): Promise<void> {
		if (!await this.#stillOwner()) {
			return;
		}

		await this.#status.update(status => {
			change(status);
			if (status.phase === 'stopped' || status.phase === 'failed') {
				status.ready = false;
				return;
			}

			const healthy = Object.keys(status.errors).length === 0;
			status.ready = this.#ready && healthy && status.config !== undefined;
			status.phase = status.ready ? 'ready' : (this.#ready ? 'degraded' : 'waiting');
		}, error => {
			this.#log.warn({event: 'status-write-failed', path: this.#status.file}, error instanceof Error ? error.message : String(error));
		});
	}

	async #recordBinaries(): Promise<void> {
		await this.#record(status => {
			status.binaries = this.#installed.map(binary => ({name: binary.name, path: path.join(this.#options.cniBinDir, binary.name), sha256: binary.sha256}));
		});
	}

	// Runs the task again after a doubling delay. The timer is the session's own: a request made while a task runs
	// is drained at once by the reconciler, so handing it the delay would retry in a hot loop.
	#retry(task: Task): void {
		const delay = Math.min((this.#retryDelay.get(task) ?? RETRY_MIN_MS / 2) * 2, RETRY_MAX_MS);
		this.#retryDelay.set(task, delay);
		if (this.#retryTimers.has(task)) {
			return;
		}

		this.#retryTimers.set(task, setTimeout(() => {
			this.#retryTimers.delete(task);
			this.#reconciler.request(task);
		}, delay));
	}

	#note(level: 'info' | 'warn' | 'error', fields: Record<string, unknown>, message: string): void {
		const key = JSON.stringify(fields);
		if (key !== this.#lastNote) {
			this.#lastNote = key;
			this.#log[level](fields, message);
		}
	}

	#logProgress(): void {
		if (!this.#ready && this.#lastNote !== '') {
			const {reason, path: where} = JSON.parse(this.#lastNote) as {reason?: string; path?: string};
			this.#log.info({event: 'still-waiting', waitedMs: Date.now() - this.#waitingSince, reason, path: where}, `still waiting: ${reason ?? ''}`);
		}
	}

	async #warnIfShadowed(ownFileName: string): Promise<void> {
		const before = await findShadowingConfigs(this.#options.cniConfDir, ownFileName);
		const key = before.join('\n');
		if (key !== this.#shadowing) {
			this.#shadowing = key;
			if (before.length > 0) {
				this.#log.warn({event: 'config-shadowed', files: before}, `${before.join(', ')} sort before ${ownFileName}: the container runtime loads them instead of Multus. Rename them to sort after ${ownFileName}`);
			}
		}
	}

	// One more sync of task once a burst of events has been quiet for SETTLE_MS: chokidar throttles changes of one
	// path to one per 50 ms and drops the trailing one, so the last write of a burst may bring no event of its own.
	#settleLater(task: Task): void {
		clearTimeout(this.#settleTimers.get(task));
		this.#settleTimers.set(task, setTimeout(() => {
			this.#settleTimers.delete(task);
			this.#reconciler.request(task);
		}, SETTLE_MS));
	}

	// Starts the API self-check once a burst of kubeconfig rewrites (a token storm) has settled.
	#scheduleSelfCheck(delayMs: number): void {
		if (this.#selfCheck === undefined) {
			return;
		}

		clearTimeout(this.#selfCheckTimer);
		this.#selfCheckTimer = setTimeout(() => {
			this.#selfCheck?.start();
		}, delayMs);
	}

	#every(intervalMs: number, tick: () => void): void {
		this.#timers.add(setInterval(tick, intervalMs));
	}

	async #cleanUp(): Promise<void> {
		if (!this.#options.cleanupConfigOnExit) {
			return;
		}

		const file = this.#memory.written?.file;
		if (this.#standingBy || !await ownsNode(this.#privateDir)) {
			this.#log.info({event: 'config-left', path: file}, 'left the config in place: a newer agent owns this node');
			return;
		}

		const removed = await removeOwnConfig(this.#memory).catch((error: unknown) => {
			this.#log.error({event: 'cleanup-failed', path: file}, error instanceof Error ? error.message : String(error));
			return false;
		});
		this.#log.info({event: removed ? 'config-removed' : 'config-left', path: file}, removed ? 'removed the config this process wrote' : 'left the config in place: it no longer holds what this process wrote');
	}
}
