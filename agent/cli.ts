// Dispatches the subcommand (the agent by default) and turns failures into exit codes and clear messages.
import packageJson from '../package.json' with {type: 'json'};
import {runAgent} from './agent.ts';
import {commandUsage, findCommand} from './commands/table.ts';
import {AgentError, ExitCode} from './errors.ts';
import {FLAGS, helpText, parseArgs} from './flags.ts';
import {createLogger, type Logger} from './log.ts';
import {resolveOptions} from './options.ts';
import {runSandbox} from './sandbox/sandbox.ts';

const USAGE = `multus-agent ${packageJson.version}: installs Multus CNI (thin plugin) on this node and keeps it right.

Usage: multus-agent [run] [flags]     run the node agent (the DaemonSet entrypoint; a drop-in for thin_entrypoint)
       multus-agent sandbox [flags]   run the agent on a sandbox host root it creates, with a scripted demo
       multus-agent COMMAND [flags]   run one of the commands below

${commandUsage()}`;

const COMMANDS = new Set(['run', 'sandbox']);

// Runs one invocation and returns its exit code; never throws.
export async function runCommand(argv: readonly string[], env: NodeJS.ProcessEnv, signal: AbortSignal): Promise<number> {
	let log: Logger | undefined;
	try {
		const subcommand = findCommand(argv[0]);
		if (subcommand) {
			return await (await subcommand.load())(argv.slice(1), {env, signal, stdout: process.stdout, stdin: process.stdin});
		}

		const command = argv[0] !== undefined && COMMANDS.has(argv[0]) ? argv[0] : 'run';
		const rest = argv[0] === command ? argv.slice(1) : argv;
		const args = parseArgs(rest, FLAGS);
		if (args.help) {
			process.stdout.write(helpText(USAGE, FLAGS));
			return ExitCode.ok;
		}

		if (args.version) {
			process.stdout.write(`${packageJson.version}\n`);
			return ExitCode.ok;
		}

		if (args.positionals.length > 0) {
			throw new AgentError(ExitCode.usage, `Unexpected argument "${args.positionals[0]}"`, {fix: 'Commands are run and sandbox; flags are written --name=value. See --help.'});
		}

		if (command === 'sandbox') {
			return await runSandbox(rest, env, signal);
		}

		const options = resolveOptions(args, env);
		log = createLogger(options.logLevel);
		log.info({event: 'starting', version: packageJson.version, pid: process.pid}, 'multus-agent starting');
		await runAgent(options, log, signal);
		log.info({event: 'stopped', signal: String(signal.reason ?? '')}, 'stopped cleanly');
		return ExitCode.ok;
	} catch (error) {
		return report(error, log);
	}
}

function report(error: unknown, log: Logger | undefined): number {
	const exitCode = error instanceof AgentError ? error.exitCode : ExitCode.internal;
	const message = error instanceof Error ? error.message : String(error);
	if (log) {
		log.fatal({event: 'fatal', exitCode, path: (error as AgentError).path, stack: exitCode === ExitCode.internal ? (error as Error).stack : undefined}, message);
	} else {
		process.stderr.write(`multus-agent: ${message}\n`);
	}

	return exitCode;
}
