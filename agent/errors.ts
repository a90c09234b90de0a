// Errors the agent reports to a human: what failed, on which path or flag, why, and the fix.

// Exit codes; each class of failure has its own, and failure is never 0.
export const ExitCode = {
	ok: 0,
	internal: 1,
	usage: 2,
	input: 3,
	hostWrite: 4,
	config: 5,
} as const;

export type ExitCodeValue = typeof ExitCode[keyof typeof ExitCode];

// An expected failure with an exit code; main turns it into a log line and that code.
export class AgentError extends Error {
	override name = 'AgentError';
	readonly exitCode: ExitCodeValue;
	readonly path: string | undefined;
	readonly fix: string;

	constructor(exitCode: ExitCodeValue, message: string, details: {path?: string; fix: string; cause?: unknown}) {
		super(`${message}${causeText(details.cause)}. Fix: ${details.fix}`, {cause: details.cause});
		this.exitCode = exitCode;
		this.path = details.path;
		this.fix = details.fix;
	}
}

// A bad flag or argument: exit 2, before anything on the host is touched.
export function usageError(message: string, fix: string): AgentError {
	return new AgentError(ExitCode.usage, message, {fix});
}

// An input file or directory that is missing or unusable.
export function inputError(path: string, message: string, fix: string, cause?: unknown): AgentError {
	return new AgentError(ExitCode.input, `${message}: ${path}`, {path, fix, cause});
}

// A host write that failed; the previous file is left as it was.
export function hostWriteError(path: string, cause: unknown): AgentError {
	return new AgentError(ExitCode.hostWrite, `Cannot write ${path}; the previous file is intact`, {path, fix: fixForWrite(cause), cause});
}

// The OS error code (ENOENT, EROFS…) of an error, if it has one.
export function errnoCode(error: unknown): string | undefined {
	const code = (error as {code?: unknown} | undefined)?.code;
	return typeof code === 'string' ? code : undefined;
}

function causeText(cause: unknown): string {
	if (cause === undefined) {
		return '';
	}

	const code = errnoCode(cause);
	const message = cause instanceof Error ? cause.message : String(cause);
	return code && !message.includes(code) ? ` (${code}: ${message})` : ` (${message})`;
}

function fixForWrite(cause: unknown): string {
	switch (errnoCode(cause)) {
		case 'EROFS': {
			return 'Mount the host directory read-write into the agent\'s container.';
		}

		case 'ENOSPC': {
			return 'Free space on the host filesystem, then restart the agent.';
		}

		case 'EACCES':
		case 'EPERM': {
			return 'Run the agent as root with write access to the host directory (privileged DaemonSet).';
		}

		case 'ENOENT':
		case 'ENOTDIR': {
			return 'Create the directory on the host or mount it into the container (hostPath type DirectoryOrCreate).';
		}

		case 'EISDIR': {
			return 'Remove the directory that stands where the file belongs.';
		}

		default: {
			return 'Check the path on the host and the agent\'s permissions.';
		}
	}
}
