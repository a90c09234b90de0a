// The agent's logger: pino JSON lines on stdout, one per event, secrets redacted by key.
import {pino, type Logger} from 'pino';

export type {Logger} from 'pino';

// Keys that must never carry a value into a log line.
const SECRET_KEYS = ['token', 'ca', 'caData', 'credentials', '*.token', '*.ca', '*.caData', '*.credentials'];

// Creates the logger at the given level, writing to fd 1 (or the given stream in tests).
export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
	return pino({
		level,
		base: {agent: 'multus-agent'},
		redact: {paths: SECRET_KEYS, censor: '[redacted]'},
		timestamp: pino.stdTimeFunctions.isoTime,
		formatters: {level: label => ({level: label})},
	}, destination ?? pino.destination({fd: 1, sync: true}));
}
