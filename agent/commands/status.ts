// multus-agent status: prints the agent's status file and exits 0 only when the node is ready for Multus.
import fs from 'node:fs/promises';
import path from 'node:path';
import {FLAGS} from '../flags.ts';
import {resolveOptions} from '../options.ts';
import {currentOwner} from '../ownership.ts';
import {STATUS_FILE_NAME, type AgentStatus} from '../status.ts';
import {agentLiveness} from './agent-liveness.ts';
import {COMMAND_FLAGS, CommandExit, parseCommandArgs, textFlag, writeJson, type Command} from './command.ts';

const USAGE = `Usage: multus-agent status [flags]

Prints what the agent on this node last recorded in <multus.d>/${STATUS_FILE_NAME} (found from
--host-prefix and --multus-kubeconfig-file-host, as the agent finds it).

Exit codes: 0 ready (config, kubeconfig and binaries in place), 12 no status file (the agent has not run here),
13 not ready yet (starting, waiting, degraded, standby), 14 the agent failed or stopped, 2 usage.`;

const SPECS = [...FLAGS, COMMAND_FLAGS.output];

// Reads and prints the status; the exit code tells ready, not ready, failed or missing apart.
export const runStatus: Command = async (argv, context) => {
	const args = parseCommandArgs(argv, SPECS, USAGE, context);
	if (args === undefined) {
		return 0;
	}

	const options = resolveOptions(args, context.env);
	const directory = path.dirname(options.paths.kubeconfig);
	const file = path.join(directory, STATUS_FILE_NAME);
	const json = textFlag(args, 'output') === 'json';
	let status: AgentStatus;
	try {
		status = JSON.parse(await fs.readFile(file, 'utf8')) as AgentStatus;
	} catch (error) {
		const reason = error instanceof SyntaxError ? `${file} is not valid JSON` : `there is no status file at ${file}`;
		if (json) {
			writeJson(context, {file, verdict: 'missing', reason});
		} else {
			context.stdout.write(`multus-agent status: unknown: ${reason}\nFix: the agent has not run on this node, or --host-prefix/--multus-kubeconfig-file-host differ from the DaemonSet's.\n`);
		}

		return CommandExit.statusMissing;
	}

	const liveness = await agentLiveness(status.pid);
	const owner = await currentOwner(directory);
	const verdict = status.ready && status.phase === 'ready' ? 'ready' : (status.phase === 'failed' || status.phase === 'stopped' ? status.phase : 'not-ready');
	if (json) {
		writeJson(context, {file, verdict, process: liveness, owner: owner === undefined || owner === status.instance ? 'this agent' : owner, status});
	} else {
		context.stdout.write(describe(status, file, verdict, liveness, owner));
	}

	if (verdict === 'ready') {
		return 0;
	}

	return verdict === 'not-ready' ? CommandExit.statusNotReady : CommandExit.statusFailed;
};

function describe(status: AgentStatus, file: string, verdict: string, process: string, owner: string | undefined): string {
	const lines = [`multus-agent status: ${verdict} (phase ${status.phase}), agent ${status.version} pid ${status.pid} (${process}), updated ${status.updatedAt}`, `  file        ${file}`];
	if (owner !== undefined && owner !== status.instance) {
		lines.push(`  owner       another agent (${owner}) has claimed this node since; this status may be stale`);
	}

	if (status.config) {
		lines.push(`  config      ${status.config.path} (primary ${status.config.primary}, cniVersion ${status.config.cniVersion}, written ${status.config.writtenAt})`);
	}

	if (status.kubeconfig) {
		lines.push(`  kubeconfig  ${status.kubeconfig.path} (written ${status.kubeconfig.writtenAt})`);
	}

	if (status.binaries.length > 0) {
		lines.push(`  binaries    ${status.binaries.map(binary => binary.name).join(', ')} in ${path.dirname(status.binaries[0]!.path)}`);
	}

	if (status.waiting) {
		lines.push(`  waiting     ${status.waiting.reason}: ${status.waiting.path}`);
	}

	for (const [task, error] of Object.entries(status.errors)) {
		lines.push(`  error       ${task} (${error.at}): ${error.message}`);
	}

	return `${lines.join('\n')}\n`;
}
