// multus-agent uninstall: removes exactly what the agent installed, as the shell cleanup plugin does (same set of paths).
import fs from 'node:fs/promises';
import path from 'node:path';
import {hostWriteError} from '../errors.ts';
import {FLAGS} from '../flags.ts';
import {lstatOrUndefined, readRegularFile, sha256File} from '../fs-atomic.ts';
import {INSTALL_RECORD_NAME} from '../install.ts';
import {parseLedger} from '../ledger.ts';
import {LEDGER_FILE_NAME, resolveOptions, type Options} from '../options.ts';
import {OWNER_FILE_NAME} from '../ownership.ts';
import {STATUS_FILE_NAME, type AgentStatus} from '../status.ts';
import {agentLiveness} from './agent-liveness.ts';
import {boolFlag, COMMAND_FLAGS, parseCommandArgs, textFlag, writeJson, type Command} from './command.ts';
import {readOwnConfig} from './own-config.ts';

const USAGE = `Usage: multus-agent uninstall [--dry-run] [flags]

Removes what the agent installed on this node, and nothing else:
  00-multus.conf and 00-multus.conflist in the conf dir (only while they are Multus configs),
  the multus.d directory (kubeconfig, status, ownership claim),
  every binary the ledger (<cni-bin-dir>/${LEDGER_FILE_NAME}) lists whose sha256 still matches, then the ledger,
  temp files a killed agent left (.<name>.tmp-*) in the bin dir and conf dir,
  <host-prefix>/var/lib/cni/multus (the multus binary's cache).
Symlinks are left alone. The same set as deploy/cleanup/microshift-cleanup-plugin-multus, except that
00-multus.conf[list] is removed only while it holds a Multus config (type "multus").
Stop the agent first (delete the DaemonSet), or it writes everything again. Takes the agent's flags.

Exit codes: 0 done, 4 a removal failed, 2 usage.`;

const SPECS = [...FLAGS, COMMAND_FLAGS.dryRun, COMMAND_FLAGS.output];
const CONFIG_NAMES = ['00-multus.conf', '00-multus.conflist'];
const TEMP_NAME = /^\..+\.tmp-\d+-\d+-[\da-f]+$/;

// One thing uninstall removes or leaves, and why.
export interface UninstallAction {
	readonly path: string;
	readonly action: 'remove' | 'keep';
	readonly reason: string;
	readonly recursive?: boolean;
}

// Plans and (unless --dry-run) performs the removal.
export const runUninstall: Command = async (argv, context) => {
	const args = parseCommandArgs(argv, SPECS, USAGE, context);
	if (args === undefined) {
		return 0;
	}

	const options = resolveOptions(args, context.env);
	const dryRun = boolFlag(args, 'dry-run');
	const actions = await planUninstall(options);
	const warning = await runningAgentWarning(options);
	const failures: Array<{path: string; error: unknown}> = [];
	if (!dryRun) {
		for (const action of actions.filter(item => item.action === 'remove')) {
			await fs.rm(action.path, {recursive: action.recursive === true, force: true}).catch((error: unknown) => {
				failures.push({path: action.path, error});
			});
		}
	}

	if (textFlag(args, 'output') === 'json') {
		writeJson(context, {dryRun, warning, actions, failures: failures.map(failure => ({path: failure.path, message: (failure.error as Error).message}))});
	} else {
		const lines = [`multus-agent uninstall${dryRun ? ' --dry-run: nothing is removed' : ''}`];
		if (warning) {
			lines.push(`warning: ${warning}`);
		}

		const width = Math.max(...actions.map(action => action.path.length), 10);
		lines.push(...actions.map(action => `${(action.action === 'remove' ? (dryRun ? 'would remove' : 'removed') : 'kept').padEnd(12)} ${action.path.padEnd(width)}  ${action.reason}`));
		if (actions.length === 0) {
			lines.push('nothing of the agent\'s is left on this node');
		}

		context.stdout.write(`${lines.join('\n')}\n`);
	}

	if (failures.length > 0) {
		throw hostWriteError(failures[0]!.path, failures[0]!.error);
	}

	return 0;
};

// Lists what would be removed (in a safe order: config first, binaries last) and what is kept.
export async function planUninstall(options: Options): Promise<UninstallAction[]> {
	const actions: UninstallAction[] = [];
	for (const name of CONFIG_NAMES) {
		const file = path.join(options.cniConfDir, name);
		const stat = await lstatOrUndefined(file);
		if (stat === undefined) {
			continue;
		}

		const config = stat.isFile() ? await readOwnConfig(file) : undefined;
		actions.push(config?.plugin === undefined
			? {path: file, action: 'keep', reason: stat.isSymbolicLink() ? 'a symlink, not a file the agent wrote' : `not a Multus config (${config?.problem ?? 'not a regular file'})`}
			: {path: file, action: 'remove', reason: 'the Multus config'});
	}

	actions.push(...await planPrivateDirectory(path.dirname(options.paths.kubeconfig), options.paths.kubeconfig));
	actions.push(...await planBinaries(options));
	actions.push(...await planTemps(options.cniBinDir, () => true), ...await planTemps(options.cniConfDir, name => name.startsWith('.00-multus.conf')));
	const cache = path.join(options.hostPrefix, 'var/lib/cni/multus');
	const stat = await lstatOrUndefined(cache);
	if (stat?.isSymbolicLink()) {
		actions.push({path: cache, action: 'keep', reason: 'a symlink, not the directory the multus binary made'});
	} else if (stat) {
		actions.push({path: cache, action: 'remove', reason: 'the multus binary\'s cache of delegate results', recursive: true});
	}

	return actions;
}

// Temp files a killed agent left mid-write (.<name>.tmp-<pid namespace>-<pid>-<hex>).
async function planTemps(directory: string, wanted: (name: string) => boolean): Promise<UninstallAction[]> {
	const names = await fs.readdir(directory).catch(() => [] as string[]);
	const temps = names.filter(name => TEMP_NAME.test(name) && wanted(name)).sort();
	const files = await Promise.all(temps.map(async name => ((await lstatOrUndefined(path.join(directory, name)))?.isFile() ? path.join(directory, name) : undefined)));
	return files.filter(file => file !== undefined).map(file => ({path: file, action: 'remove', reason: 'a temp file of an agent killed mid-write'}));
}

async function planPrivateDirectory(directory: string, kubeconfig: string): Promise<UninstallAction[]> {
	const stat = await lstatOrUndefined(directory);
	if (stat === undefined) {
		return [];
	}

	if (stat.isSymbolicLink()) {
		return [{path: directory, action: 'keep', reason: 'a symlink, not the directory the agent made'}];
	}

	if (path.basename(directory) === 'multus.d' && stat.isDirectory()) {
		return [{path: directory, action: 'remove', reason: 'the kubeconfig, status and ownership claim of the agent', recursive: true}];
	}

	const files = [kubeconfig, path.join(directory, STATUS_FILE_NAME), path.join(directory, OWNER_FILE_NAME), path.join(directory, INSTALL_RECORD_NAME)];
	const present = await Promise.all(files.map(async file => ((await lstatOrUndefined(file))?.isFile() ? file : undefined)));
	return present.filter(file => file !== undefined).map(file => ({path: file, action: 'remove', reason: `the agent's file (the directory ${directory} is not multus.d, so it stays)`}));
}

async function planBinaries(options: Options): Promise<UninstallAction[]> {
	const ledgerFile = options.paths.ledger;
	const ledger = await readRegularFile(ledgerFile);
	if (ledger === undefined) {
		return [];
	}

	const actions: UninstallAction[] = [];
	for (const [name, hash] of parseLedger(ledger.toString('utf8'))) {
		const file = path.join(options.cniBinDir, name);
		const stat = await lstatOrUndefined(file);
		if (stat === undefined) {
			continue;
		}

		if (!stat.isFile()) {
			actions.push({path: file, action: 'keep', reason: 'no longer a regular file'});
		} else if (await sha256File(file).catch(() => '') === hash) {
			actions.push({path: file, action: 'remove', reason: 'installed by the agent (sha256 matches the ledger)'});
		} else {
			actions.push({path: file, action: 'keep', reason: 'changed since the agent installed it (sha256 differs from the ledger)'});
		}
	}

	actions.push({path: ledgerFile, action: 'remove', reason: 'the ledger of installed binaries'});
	return actions;
}

async function runningAgentWarning(options: Options): Promise<string | undefined> {
	try {
		const status = JSON.parse(await fs.readFile(path.join(path.dirname(options.paths.kubeconfig), STATUS_FILE_NAME), 'utf8')) as AgentStatus;
		if (status.phase === 'stopped' || status.phase === 'failed') {
			return undefined;
		}

		const alive = await agentLiveness(status.pid) !== 'not running in this PID namespace';
		return alive ? `the status file says the agent (pid ${status.pid}) is ${status.phase} and it may still run: it writes everything again unless the DaemonSet is deleted first` : undefined;
	} catch {
		return undefined;
	}
}
