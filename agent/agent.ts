// The agent's lifecycle: check, kubeconfig, binaries, wait for the network, write the config, then keep it all right.
import fs from 'node:fs/promises';
import path from 'node:path';
import {AgentError, hostWriteError} from './errors.ts';
import {removeOwnConfig, syncConfig, type ConfigMemory, type ConfigOutcome} from './config-sync.ts';
import {installBinaries, planBinaries, type BinaryPlan, type InstalledBinary} from './install.ts';
import {ensurePrivateDirectory, syncKubeconfig} from './kubeconfig-sync.ts';
import type {Logger} from './log.ts';
import type {Options} from './options.ts';
import {claimNode, ownsNode} from './ownership.ts';
import {configError, preflight} from './preflight.ts';
import {findShadowingConfigs} from './primary-reader.ts';
import {Reconciler, type Task} from './reconciler.ts';
import {sweepStaleTemps} from './temp-sweep.ts';
import {watchDirectories, type DirectoryWatch} from './watch.ts';

const COALESCE_MS = 5;
const RETRY_MIN_MS = 100;
const RETRY_MAX_MS = 5000;
const PROGRESS_EVERY_MS = 30_000;
const TASK_ORDER: readonly Task[] = ['kubeconfig', 'binaries', 'config'];

// Runs until signal aborts (resolves) or a fatal error (rejects with an AgentError).
export async function runAgent(options: Options, log: Logger, signal: AbortSignal): Promise<void> {
	const plan = await planBinaries(options);
	try {
		await preflight(options, plan);
		if (signal.aborted) {
			return;
		}

		for (const file of await sweepStaleTemps([options.cniConfDir, path.dirname(options.paths.kubeconfig), options.cniBinDir])) {
			log.info({event: 'temp-removed', path: file}, 'removed a temp file left by an earlier agent');
		}

		await createMultusCniConfDir(options);
		await ensurePrivateDirectory(path.dirname(options.paths.kubeconfig));
		await claimNode(path.dirname(options.paths.kubeconfig));
		logKubeconfig(log, options, await syncKubeconfig(options));
		const installed = await install(plan, options, log, []);
		if (!signal.aborted) {
			await new Session(options, log, plan, installed).run(signal);
		}
	} finally {
		await plan.dispose();
	}
}

class Session {
	readonly #options: Options;
	readonly #log: Logger;
	readonly #plan: BinaryPlan;
	readonly #memory: ConfigMemory = {};
	readonly #reconciler: Reconciler;
	readonly #retryDelay = new Map<Task, number>();
	readonly #timers = new Set<NodeJS.Timeout>();
	#installed: InstalledBinary[];
	#ready = false;
	#lastNote = '';
	#shadowing = '';
	#standingBy = false;
	#waitingSince = Date.now();
	#fail: (error: unknown) => void = () => undefined;

	constructor(options: Options, log: Logger, plan: BinaryPlan, installed: InstalledBinary[]) {
		this.#options = options;
		this.#log = log;
		this.#plan = plan;
		this.#installed = installed;
		this.#reconciler = new Reconciler(async tasks => this.#runTasks(tasks), COALESCE_MS);
	}

	async run(signal: AbortSignal): Promise<void> {
		const stopped = new Promise<void>((resolve, reject) => {
			this.#fail = reject;
			signal.addEventListener('abort', () => {
				resolve();
			}, {once: true});
		});
		let watch: DirectoryWatch | undefined;
		try {
			watch = await this.#watch();
			this.#reconciler.request('config', 0);
			this.#every(PROGRESS_EVERY_MS, () => {
				this.#logProgress();
			});
			if (this.#options.recheckIntervalMs > 0) {
				this.#every(this.#options.recheckIntervalMs, () => {
					for (const task of TASK_ORDER) {
						this.#reconciler.request(task);
					}
				});
			}

			await (signal.aborted ? Promise.resolve() : stopped);
		} finally {
			for (const timer of this.#timers) {
				clearTimeout(timer);
			}

			await watch?.close();
			await this.#reconciler.close();
		}

		await this.#cleanUp();
	}

	async #watch(): Promise<DirectoryWatch> {
		const options = this.#options;
		const tasks = new Map<string, Set<Task>>();
		const on = (directory: string, task: Task): void => {
			const key = path.resolve(directory);
			tasks.set(key, (tasks.get(key) ?? new Set<Task>()).add(task));
		};

		on(options.serviceAccountDir, 'kubeconfig');
		on(path.dirname(options.paths.kubeconfig), 'kubeconfig');
		on(options.cniConfDir, 'config');
		if (options.multusConfFile === 'auto') {
			on(options.multusAutoconfigDir, 'config');
		} else {
			on(path.dirname(options.multusConfFile), 'config');
		}

		if (options.paths.readinessIndicator !== undefined) {
			on(path.dirname(options.paths.readinessIndicator), 'config');
		}

		if (this.#plan.binaries.length > 0) {
			on(options.cniBinDir, 'binaries');
		}

		return watchDirectories([...tasks.keys()], {
			onChange: directory => {
				for (const task of tasks.get(directory) ?? []) {
					this.#reconciler.request(task);
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
			} catch (error) {
				this.#onTaskError(task, error);
			}
		}
	}

	async #runTask(task: Task): Promise<void> {
		switch (task) {
			case 'kubeconfig': {
				logKubeconfig(this.#log, this.#options, await syncKubeconfig(this.#options));
				break;
			}

			case 'binaries': {
				this.#installed = await install(this.#plan, this.#options, this.#log, this.#installed);
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
				if (!this.#ready) {
					this.#ready = true;
					this.#log.info({event: 'ready', waitedMs: Date.now() - this.#waitingSince}, 'Multus is installed; watching for changes');
				}

				break;
			}

			case 'waiting':
			case 'kept': {
				this.#note(outcome.kind === 'waiting' ? 'info' : 'warn', {event: outcome.kind, reason: outcome.reason, path: outcome.path}, outcome.kind === 'waiting' ? `waiting: ${outcome.reason}` : `keeping the last good config: ${outcome.reason}`);
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
				break;
			}
		}
	}

	#onTaskError(task: Task, error: unknown): void {
		if (!this.#ready && task === 'config' && error instanceof AgentError) {
			this.#fail(error);
			return;
		}

		const message = error instanceof Error ? error.message : String(error);
		this.#log.error({event: 'sync-failed', task, path: (error as AgentError).path}, message);
		this.#retry(task);
	}

	async #stillOwner(): Promise<boolean> {
		const owner = await ownsNode(path.dirname(this.#options.paths.kubeconfig));
		if (!owner && !this.#standingBy) {
			this.#standingBy = true;
			this.#log.warn({event: 'standby'}, 'a newer agent has claimed this node; standing by without writing (rolling update)');
		}

		return owner;
	}

	#retry(task: Task): void {
		const delay = Math.min((this.#retryDelay.get(task) ?? RETRY_MIN_MS / 2) * 2, RETRY_MAX_MS);
		this.#retryDelay.set(task, delay);
		this.#reconciler.request(task, delay);
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

	#every(intervalMs: number, tick: () => void): void {
		const timer = setInterval(tick, intervalMs);
		this.#timers.add(timer);
	}

	async #cleanUp(): Promise<void> {
		if (!this.#options.cleanupConfigOnExit) {
			return;
		}

		if (this.#standingBy || !await ownsNode(path.dirname(this.#options.paths.kubeconfig))) {
			this.#log.info({event: 'config-left', path: this.#memory.written?.file}, 'left the config in place: a newer agent owns this node');
			return;
		}

		const file = this.#memory.written?.file;
		const removed = await removeOwnConfig(this.#memory).catch((error: unknown) => {
			this.#log.error({event: 'cleanup-failed', path: file}, error instanceof Error ? error.message : String(error));
			return false;
		});
		this.#log.info({event: removed ? 'config-removed' : 'config-left', path: file}, removed ? 'removed the config this process wrote' : 'left the config in place: it no longer holds what this process wrote');
	}
}

async function install(plan: BinaryPlan, options: Options, log: Logger, previous: InstalledBinary[]): Promise<InstalledBinary[]> {
	if (plan.binaries.length === 0) {
		return [];
	}

	const installed = await installBinaries(plan, options.cniBinDir, options.paths.ledger, previous);
	const written = installed.filter(binary => binary.outcome === 'written');
	for (const binary of written) {
		log.info({event: 'binary-installed', path: path.join(options.cniBinDir, binary.name), sha256: binary.sha256}, `installed ${binary.name}`);
	}

	if (written.length > 0 || previous.length === 0) {
		log.info({event: 'binaries-installed', written: written.length, unchanged: installed.length - written.length, dir: options.cniBinDir}, 'CNI binaries are in place');
	}

	return installed;
}

function logKubeconfig(log: Logger, options: Options, outcome: 'written' | 'unchanged'): void {
	if (outcome === 'written') {
		log.info({event: 'kubeconfig-written', path: options.paths.kubeconfig}, 'wrote the kubeconfig for the multus binary');
	}
}

async function createMultusCniConfDir(options: Options): Promise<void> {
	if (options.multusCniConfDir !== undefined) {
		await fs.mkdir(options.multusCniConfDir, {recursive: true, mode: 0o755}).catch((error: unknown) => {
			throw hostWriteError(options.multusCniConfDir!, error);
		});
	}
}
