// The agent's API self-check: doctor's API part in a short-lived child process, so the agent never loads client-node.
import {spawn} from 'node:child_process';
import {setTimeout as sleep} from 'node:timers/promises';
import type {Logger} from '../log.ts';
import type {Options} from '../options.ts';
import {describePermission, type ApiAccessReport} from './api-access.ts';
import type {CheckResult} from './check-result.ts';

// How a self-check ended.
export type SelfCheckOutcome = 'ok' | 'missing-permissions' | 'rejected' | 'failed' | 'aborted';

// Knobs for tests: the command that runs the agent, backoff bounds and the child's time limit.
export interface SelfCheckSettings {
	readonly command?: readonly string[];
	readonly retryMinMs?: number;
	readonly retryMaxMs?: number;
	readonly maxAttempts?: number;
	readonly childTimeoutMs?: number;
}

const CLUSTER_ROLE = 'deploy/base/03-cluster-role.yaml';

// Retries while the API is unreachable (1 s doubling to 60 s: about 5 minutes), then waits for the next rewrite,
// so an API that never answers costs no idle CPU.
const MAX_ATTEMPTS = 10;

// Runs `multus-agent doctor --api-only` until the API answers, then logs one line per missing permission.
export async function runApiSelfCheck(options: Options, log: Logger, signal: AbortSignal, settings: SelfCheckSettings = {}): Promise<SelfCheckOutcome> {
	const command = settings.command ?? [process.execPath, process.argv[1] ?? ''];
	const args = [...command.slice(1), 'doctor', '--api-only', '--output=json', `--kubeconfig=${options.paths.kubeconfig}`];
	let delay = settings.retryMinMs ?? 1000;
	let announced = false;
	for (let attempt = 1; !signal.aborted; attempt++) {
		const output = await runChild(command[0]!, args, settings.childTimeoutMs ?? 60_000, signal);
		if (signal.aborted) {
			break;
		}

		const parsed = parseOutput(output.stdout);
		if (parsed === undefined) {
			log.warn({event: 'api-self-check-failed', exitCode: output.code, stderr: output.stderr.slice(0, 500)}, 'the API self-check (multus-agent doctor --api-only) did not report; run it by hand to see why');
			return 'failed';
		}

		const {api, checks} = parsed;
		if (api?.failure?.kind === 'unreachable' && api.permissions.length === 0) {
			if (!announced) {
				announced = true;
				log.info({event: 'api-unreachable', server: api.server, reason: api.failure.message}, `the API server ${api.server} is not reachable yet; the API self-check retries`);
			}

			if (attempt >= (settings.maxAttempts ?? MAX_ATTEMPTS)) {
				log.warn({event: 'api-self-check-gave-up', server: api.server, attempts: attempt}, `the API server ${api.server} stayed unreachable; the self-check runs again after the next kubeconfig rewrite (or run multus-agent doctor)`);
				return 'failed';
			}

			await sleep(delay, undefined, {signal}).catch(() => undefined);
			delay = Math.min(delay * 2, settings.retryMaxMs ?? 60_000);
			continue;
		}

		return report(checks, api, log);
	}

	return 'aborted';
}

// Keeps one self-check running: start() replaces a running one (after a kubeconfig rewrite); close() stops it.
export class ApiSelfCheck {
	readonly #options: Options;
	readonly #log: Logger;
	readonly #settings: SelfCheckSettings;
	#controller: AbortController | undefined;
	#running: Promise<SelfCheckOutcome> = Promise.resolve('aborted');

	constructor(options: Options, log: Logger, settings: SelfCheckSettings = {}) {
		this.#options = options;
		this.#log = log;
		this.#settings = settings;
	}

	// Starts a check in the background, cancelling the previous one; never throws.
	start(): void {
		this.#controller?.abort();
		const controller = new AbortController();
		this.#controller = controller;
		this.#running = runApiSelfCheck(this.#options, this.#log, controller.signal, this.#settings).catch((error: unknown) => {
			this.#log.warn({event: 'api-self-check-failed'}, error instanceof Error ? error.message : String(error));
			return 'failed' as const;
		});
	}

	// The outcome of the latest check (for tests).
	async settled(): Promise<SelfCheckOutcome> {
		return this.#running;
	}

	// Stops the running check and waits for its child to exit.
	async close(): Promise<void> {
		this.#controller?.abort();
		await this.#running;
	}
}

function report(checks: readonly CheckResult[], api: ApiAccessReport | undefined, log: Logger): SelfCheckOutcome {
	for (const check of checks.filter(item => item.verdict === 'fail' && (item.check === 'kubeconfig' || item.check === 'token'))) {
		log.warn({event: 'kubeconfig-problem', check: check.check}, `${check.message}. Fix: ${check.fix ?? ''}`);
	}

	if (api === undefined || (api.failure && api.permissions.length === 0)) {
		const failed = checks.find(item => item.verdict === 'fail' && item.check.startsWith('api-'));
		log.error({event: 'api-access-failed', server: api?.server, kind: api?.failure?.kind}, `the multus binary's kubeconfig does not work: ${failed?.message ?? api?.failure?.message ?? 'no API report'}. Fix: ${failed?.fix ?? 'run multus-agent doctor'}`);
		return 'rejected';
	}

	const missing = api.permissions.filter(permission => !permission.allowed);
	for (const permission of missing) {
		const rule = `{apiGroups: ["${permission.group}"], resources: ["${permission.subresource ? `${permission.resource}/${permission.subresource}` : permission.resource}"], verbs: ["${permission.verb}"]}`;
		log.error({event: 'api-permission-missing', user: api.user, permission: describePermission(permission)}, `the multus binary (${api.user ?? 'its service account'}) may not ${describePermission(permission)}, so it cannot ${permission.why}. Fix: add ${rule} to the ClusterRole bound to it (${CLUSTER_ROLE})`);
	}

	if (missing.length === 0) {
		log.info({event: 'api-access-ok', user: api.user, server: api.server}, `the multus binary's kubeconfig authenticates${api.user ? ` as ${api.user}` : ''} and has every permission Multus needs`);
	}

	return missing.length === 0 ? 'ok' : 'missing-permissions';
}

function parseOutput(stdout: string): {checks: CheckResult[]; api: ApiAccessReport | undefined} | undefined {
	try {
		const parsed = JSON.parse(stdout) as {checks?: CheckResult[]; api?: ApiAccessReport};
		return Array.isArray(parsed.checks) ? {checks: parsed.checks, api: parsed.api} : undefined;
	} catch {
		return undefined;
	}
}

async function runChild(file: string, args: readonly string[], timeoutMs: number, signal: AbortSignal): Promise<{code: number | null; stdout: string; stderr: string}> {
	return new Promise(resolve => {
		const child = spawn(file, args, {stdio: ['ignore', 'pipe', 'pipe'], signal, killSignal: 'SIGKILL', timeout: timeoutMs});
		let stdout = '';
		let stderr = '';
		child.stdout.on('data', (chunk: Buffer) => {
			stdout += chunk.toString();
		});
		child.stderr.on('data', (chunk: Buffer) => {
			stderr += chunk.toString();
		});
		child.on('error', error => {
			stderr += error.message;
		});
		child.on('close', code => {
			resolve({code, stdout, stderr});
		});
	});
}
