// multus-agent render: prints the Multus config and the kubeconfig the agent would write for these flags, touching nothing.
import fs from 'node:fs/promises';
import path from 'node:path';
import {CniConfigError} from '../../cni/errors.ts';
import {renderMultusConfig} from '../../cni/multus-config.ts';
import {isPrimaryProblem, parsePrimary} from '../../cni/primary.ts';
import {AgentError, ExitCode, inputError} from '../errors.ts';
import {FLAGS} from '../flags.ts';
import {readCredentials, renderKubeconfig, serverUrl, validateKubernetesService} from '../kubeconfig.ts';
import {resolveOptions, type Options} from '../options.ts';
import {readPrimary} from '../primary-reader.ts';
import {COMMAND_FLAGS, parseCommandArgs, textFlag, writeJson, type Command} from './command.ts';
import {toHostPath} from './host-paths.ts';
import {decodeTokenClaims} from './jwt.ts';

const USAGE = `Usage: multus-agent render [flags]

Prints the Multus config and the kubeconfig (token redacted) that the agent would write with these flags on
this host, reading the primary config, the readiness indicator and the service-account files. Writes nothing.

Exit codes: 0 both rendered, 3 an input is missing (the agent would wait or fail), 5 the primary is not usable, 2 usage.`;

const SPECS = [...FLAGS, COMMAND_FLAGS.output];

// One rendered file: where the agent writes it and its bytes.
interface RenderedFile {
	readonly path: string;
	readonly hostPath: string | undefined;
	readonly text: string;
}

// Renders both files; prints what it could and returns the exit code of the first problem.
export const runRender: Command = async (argv, context) => {
	const args = parseCommandArgs(argv, SPECS, USAGE, context);
	if (args === undefined) {
		return 0;
	}

	const options = resolveOptions(args, context.env);
	const problems: AgentError[] = [];
	const attempt = async (render: () => Promise<RenderedFile>): Promise<RenderedFile | undefined> => render().catch((error: unknown) => {
		if (error instanceof AgentError) {
			problems.push(error);
			return undefined;
		}

		throw error;
	});
	const config = await attempt(async () => renderConfig(options));
	const kubeconfig = await attempt(async () => renderRedactedKubeconfig(options));
	if (textFlag(args, 'output') === 'json') {
		writeJson(context, {config: config ?? null, kubeconfig: kubeconfig ?? null, problems: problems.map(problem => ({message: problem.message, path: problem.path, exitCode: problem.exitCode}))});
	} else {
		const sections = [config, kubeconfig].filter(file => file !== undefined).map(file => `# ${file.path}${file.hostPath && file.hostPath !== file.path ? ` (host path ${file.hostPath})` : ''}, mode 0600\n${file.text.trimEnd()}`);
		sections.push(...problems.map(problem => `# not rendered: ${problem.message}`));
		context.stdout.write(`${sections.join('\n\n')}\n`);
	}

	return problems[0]?.exitCode ?? 0;
};

async function renderConfig(options: Options): Promise<RenderedFile> {
	if (options.multusConfFile !== 'auto') {
		const source = options.multusConfFile;
		const text = await fs.readFile(source, 'utf8').catch((error: unknown) => {
			throw inputError(source, 'Cannot read --multus-conf-file', 'Mount the Multus config at that path, or use --multus-conf-file=auto.', error);
		});
		const parsed = parsePrimary(path.basename(source), text);
		if (isPrimaryProblem(parsed)) {
			throw new AgentError(ExitCode.config, `${source} is not a valid CNI config: ${parsed.kind === 'incomplete' ? parsed.reason : parsed.error.message}`, {path: source, fix: 'Give a complete CNI config.'});
		}

		return file(options, path.join(options.cniConfDir, path.basename(source)), text);
	}

	const readiness = options.paths.readinessIndicator;
	if (readiness !== undefined && !await fs.stat(readiness).then(() => true, () => false)) {
		throw inputError(readiness, 'The agent would wait: the readiness indicator file does not exist yet', 'Wait for the primary network, or check --readiness-indicator-file.');
	}

	const state = await readPrimary(options.multusAutoconfigDir, options.multusMasterCniFileName);
	if (state.state === 'absent') {
		throw inputError(state.directory, 'The agent would wait: there is no primary CNI config', 'Start the primary network (on MicroShift ovn-kubernetes writes 10-ovn-kubernetes.conf).');
	}

	if (state.state === 'incomplete') {
		throw inputError(state.file, `The agent would wait: the primary config is not complete (${state.reason})`, 'Wait for its owner to finish writing it.');
	}

	if (state.state === 'invalid') {
		throw new AgentError(ExitCode.config, `The primary CNI config is not usable: ${state.file}: ${problemOf(state.error)}`, {path: state.file, fix: state.error.fix});
	}

	try {
		const rendered = renderMultusConfig(state.primary, options.multusConfig);
		return file(options, path.join(options.cniConfDir, rendered.fileName), rendered.text);
	} catch (error) {
		if (error instanceof CniConfigError) {
			throw new AgentError(ExitCode.config, `The Multus config cannot be rendered from ${state.file}: ${problemOf(error)}`, {path: state.file, fix: error.fix});
		}

		throw error;
	}
}

async function renderRedactedKubeconfig(options: Options): Promise<RenderedFile> {
	validateKubernetesService(options.kubernetes);
	const credentials = await readCredentials(options);
	const claims = decodeTokenClaims(credentials.token);
	const token = `<redacted: ${credentials.token.length} characters${claims?.exp === undefined ? '' : `, expires ${new Date(claims.exp * 1000).toISOString()}`}>`;
	return file(options, options.paths.kubeconfig, renderKubeconfig(serverUrl(options.kubernetes), {...credentials, token}));
}

// A CniConfigError's message without its fix (AgentError adds the fix itself).
function problemOf(error: CniConfigError): string {
	const suffix = ` ${error.fix}`;
	return (error.message.endsWith(suffix) ? error.message.slice(0, -suffix.length) : error.message).replace(/\.$/, '');
}

function file(options: Options, containerPath: string, text: string): RenderedFile {
	return {path: containerPath, hostPath: toHostPath(options, containerPath), text};
}
