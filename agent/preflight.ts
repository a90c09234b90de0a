// Checks every input before the host is touched: environment, credentials, directories, sources.
import {constants} from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import {CniConfigError} from '../cni/errors.ts';
import {renderMultusConfig} from '../cni/multus-config.ts';
import {isPrimaryProblem, parsePrimary} from '../cni/primary.ts';
import {AgentError, ExitCode, inputError} from './errors.ts';
import {checkSources, type BinaryPlan} from './install.ts';
import {readCredentials, validateKubernetesService} from './kubeconfig.ts';
import type {Options} from './options.ts';
import {readPrimary} from './primary-reader.ts';

// Throws the first problem found, with the path and the fix; nothing has been written yet.
export async function preflight(options: Options, plan: BinaryPlan): Promise<void> {
	validateKubernetesService(options.kubernetes);
	await readCredentials(options);
	await requireWritableDirectory(options.cniConfDir, '--cni-conf-dir', 'Mount the host CNI conf dir (/etc/cni/net.d) read-write at this path.');
	await requireWritableDirectory(path.dirname(path.dirname(options.paths.kubeconfig)), '--multus-kubeconfig-file-host', 'The directory that holds multus.d must exist on the host and be mounted read-write.');
	if (plan.binaries.length > 0) {
		await requireWritableDirectory(options.cniBinDir, '--cni-bin-dir', 'Mount the host CNI bin dir read-write at this path (hostPath type DirectoryOrCreate).');
		await checkSources(plan);
	}

	if (options.multusConfFile !== 'auto') {
		await checkConfigFile(options.multusConfFile);
	} else {
		await checkPrimary(options);
	}
}

// A primary that is complete but wrong (or at odds with --cni-version) is fatal before any write.
async function checkPrimary(options: Options): Promise<void> {
	const readiness = options.paths.readinessIndicator;
	if (readiness !== undefined && !await fs.stat(readiness).then(() => true, () => false)) {
		return;
	}

	const state = await readPrimary(options.multusAutoconfigDir, options.multusMasterCniFileName);
	if (state.state === 'invalid') {
		throw configError(state.file, state.error);
	}

	if (state.state === 'ready') {
		try {
			renderMultusConfig(state.primary, options.multusConfig);
		} catch (error) {
			if (error instanceof CniConfigError) {
				throw configError(state.file, error);
			}

			throw error;
		}
	}
}

// The fatal error for a primary config that cannot be used.
export function configError(file: string, error: CniConfigError): AgentError {
	return new AgentError(ExitCode.config, `The primary CNI config is not usable: ${file}: ${error.message}`, {path: file, fix: error.fix});
}

async function requireWritableDirectory(directory: string, flag: string, fix: string): Promise<void> {
	let stat;
	try {
		stat = await fs.stat(directory);
	} catch (error) {
		throw inputError(directory, `The directory for ${flag} does not exist`, fix, error);
	}

	if (!stat.isDirectory()) {
		throw inputError(directory, `The path for ${flag} is not a directory`, fix);
	}

	try {
		await fs.access(directory, constants.W_OK);
	} catch (error) {
		throw inputError(directory, `The directory for ${flag} is not writable`, fix, error);
	}
}

async function checkConfigFile(file: string): Promise<void> {
	let text: string;
	try {
		text = await fs.readFile(file, 'utf8');
	} catch (error) {
		throw inputError(file, 'Cannot read --multus-conf-file', 'Mount the Multus config at that path, or use --multus-conf-file=auto.', error);
	}

	const parsed = parsePrimary(path.basename(file), text);
	if (isPrimaryProblem(parsed)) {
		const problem = parsed.kind === 'incomplete' ? parsed.reason : parsed.error.message;
		throw new AgentError(ExitCode.config, `The config given by --multus-conf-file is not a valid CNI config: ${file}: ${problem}`, {path: file, fix: 'Give a complete CNI config (JSON with cniVersion, name, and type or plugins).'});
	}
}
