// The agent's lifecycle: check, claim, kubeconfig, binaries, then a session that waits and keeps the host right.
import fs from 'node:fs/promises';
import path from 'node:path';
import {hostWriteError} from './errors.ts';
import {INSTALL_RECORD_NAME, installBinaries, planBinaries, readInstallRecord, type BinaryPlan, type InstalledBinary} from './install.ts';
import {ensurePrivateDirectory, syncKubeconfig} from './kubeconfig-sync.ts';
import type {Logger} from './log.ts';
import type {Options} from './options.ts';
import {claimNode} from './ownership.ts';
import {preflight} from './preflight.ts';
import {Session} from './session.ts';
import {StatusRecorder} from './status.ts';
import {sweepStaleTemps} from './temp-sweep.ts';

// Runs until signal aborts (resolves) or a fatal error (rejects with an AgentError).
export async function runAgent(options: Options, log: Logger, signal: AbortSignal): Promise<void> {
	const plan = await planBinaries(options);
	try {
		await preflight(options, plan);
		if (signal.aborted) {
			return;
		}

		const privateDir = path.dirname(options.paths.kubeconfig);
		for (const file of await sweepStaleTemps([options.cniConfDir, privateDir, options.cniBinDir])) {
			log.info({event: 'temp-removed', path: file}, 'removed a temp file left by an earlier agent');
		}

		await createMultusCniConfDir(options);
		await ensurePrivateDirectory(privateDir);
		await claimNode(privateDir);
		const status = new StatusRecorder(privateDir);
		logKubeconfig(log, options, await syncKubeconfig(options));
		const installed = await install(plan, options, log, [], await readInstallRecord(path.join(privateDir, INSTALL_RECORD_NAME)));
		if (!signal.aborted) {
			await new Session({options, log, plan, status, installed}).run(signal);
		}
	} finally {
		await plan.dispose();
	}
}

// Installs the planned binaries and logs what changed.
// known (by default previous) lets unchanged files skip hashing; the record lets the next agent do the same.
export async function install(plan: BinaryPlan, options: Options, log: Logger, previous: InstalledBinary[], known: InstalledBinary[] = previous): Promise<InstalledBinary[]> {
	if (plan.binaries.length === 0) {
		return [];
	}

	const installed = await installBinaries(plan, options.cniBinDir, options.paths.ledger, known, path.join(path.dirname(options.paths.kubeconfig), INSTALL_RECORD_NAME));
	const written = installed.filter(binary => binary.outcome === 'written');
	for (const binary of written) {
		log.info({event: 'binary-installed', path: path.join(options.cniBinDir, binary.name), sha256: binary.sha256}, `installed ${binary.name}`);
	}

	if (written.length > 0 || previous.length === 0) {
		log.info({event: 'binaries-installed', written: written.length, unchanged: installed.length - written.length, dir: options.cniBinDir}, 'CNI binaries are in place');
	}

	return installed;
}

// Logs a kubeconfig write (never its content).
export function logKubeconfig(log: Logger, options: Options, outcome: 'written' | 'unchanged'): void {
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
