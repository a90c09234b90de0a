// What every subcommand shares: its signature, its context, its own flags and the exit codes it documents.
import {usageError} from '../errors.ts';
import {FLAGS, helpText, parseArgs, type FlagSpec, type ParsedArgs} from '../flags.ts';

// Where a command reads and writes, and the signal that stops it.
export interface CommandContext {
	readonly env: NodeJS.ProcessEnv;
	readonly signal: AbortSignal;
	readonly stdout: NodeJS.WritableStream;
	readonly stdin: NodeJS.ReadableStream;
}

// A subcommand: argv after its name in, an exit code out; expected failures are thrown as AgentError.
export type Command = (argv: readonly string[], context: CommandContext) => Promise<number>;

// Exit codes of the subcommands, beyond the agent's own (0 ok, 1 internal, 2 usage, 3 input, 4 host write, 5 config).
export const CommandExit = {
	/** lint: at least one finding is an error (warnings alone exit 0). */
	lintErrors: 10,
	/** doctor: at least one check failed. */
	doctorFailed: 11,
	/** status: there is no (readable) status file: the agent has not run on this node. */
	statusMissing: 12,
	/** status: the agent runs but the node is not ready for Multus yet (starting, waiting, degraded, standby). */
	statusNotReady: 13,
	/** status: the agent failed or has stopped. */
	statusFailed: 14,
} as const;

const string = (name: string, value: string, help: string): FlagSpec => ({name, type: 'string', default: value, help});
const bool = (name: string, help: string): FlagSpec => ({name, type: 'bool', default: false, help});

// Flags only subcommands take, by name; each command picks the ones it understands.
export const COMMAND_FLAGS = {
	output: string('output', 'text', 'Output format: text (for people) or json (for tools).'),
	cluster: bool('cluster', 'Read NetworkAttachmentDefinitions and pods from the cluster (kubeconfig from --kubeconfig or $KUBECONFIG).'),
	namespace: string('namespace', '', 'With --cluster: only this namespace (default: all namespaces).'),
	adminKubeconfig: string('kubeconfig', '', 'Kubeconfig for --cluster (default: $KUBECONFIG, then ~/.kube/config, then in-cluster).'),
	checkedKubeconfig: string('kubeconfig', '', 'The kubeconfig to check (default: the one the agent writes for the multus binary).'),
	server: string('server', '', 'Talk to the API server at this URL instead of the kubeconfig\'s server (the in-cluster service address may not be reachable from where you run this).'),
	apiOnly: bool('api-only', 'Run only the kubeconfig and API checks (what the agent runs in a child process after each kubeconfig write).'),
	dryRun: bool('dry-run', 'List what would be removed, remove nothing.'),
} as const;

// Parses argv for a command with the given flag specs; prints help and returns undefined on --help.
export function parseCommandArgs(argv: readonly string[], specs: readonly FlagSpec[], usage: string, context: CommandContext): ParsedArgs | undefined {
	const args = parseArgs(argv, specs);
	if (args.help) {
		context.stdout.write(helpText(usage, specs));
		return undefined;
	}

	const output = args.values.get('output');
	if (output !== undefined && output !== 'text' && output !== 'json') {
		throw usageError(`Flag --output does not accept "${String(output)}"`, 'Use --output=text or --output=json.');
	}

	return args;
}

// The agent's flags whose names are listed, in the order the agent lists them.
export function agentFlags(...names: string[]): FlagSpec[] {
	return FLAGS.filter(spec => names.includes(spec.name));
}

// Reads a string flag.
export function textFlag(args: ParsedArgs, name: string): string {
	return String(args.values.get(name) ?? '');
}

// Reads a bool flag.
export function boolFlag(args: ParsedArgs, name: string): boolean {
	return args.values.get(name) === true;
}

// Writes a value as pretty JSON with a final newline.
export function writeJson(context: CommandContext, value: unknown): void {
	context.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
}
