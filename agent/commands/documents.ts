// Reads lint inputs: files or stdin holding JSON or YAML, one or many documents, each with the line it starts on.
import fs from 'node:fs/promises';
import {inputError} from '../errors.ts';

// One parsed document, or why it could not be parsed, and where it came from.
export interface SourceDocument {
	/** "file.yaml:12", "-:1" for stdin. */
	readonly source: string;
	readonly value?: unknown;
	readonly error?: string;
}

const SEPARATOR = /^(?:---|\.\.\.)(?:\s|$)/;

// Reads and parses every document of one input ("-" is stdin).
export async function readDocuments(file: string, stdin: NodeJS.ReadableStream): Promise<SourceDocument[]> {
	const label = file === '-' ? 'stdin' : file;
	let text: string;
	try {
		text = file === '-' ? await readAll(stdin) : await fs.readFile(file, 'utf8');
	} catch (error) {
		throw inputError(file, 'Cannot read the input', 'Give a readable YAML or JSON file, or - for stdin.', error);
	}

	return parseDocuments(text, label);
}

// Parses JSON (one value, or an array of objects) or a YAML stream into documents.
export async function parseDocuments(text: string, label: string): Promise<SourceDocument[]> {
	const trimmed = text.trimStart();
	if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
		const line = text.slice(0, text.length - trimmed.length).split('\n').length;
		try {
			const value: unknown = JSON.parse(text);
			return Array.isArray(value) ? value.map(item => ({source: `${label}:${line}`, value: item})) : [{source: `${label}:${line}`, value}];
		} catch (error) {
			if (label.endsWith('.json')) {
				return [{source: `${label}:${line}`, error: `not valid JSON: ${(error as Error).message}`}];
			}
		}
	}

	return parseYamlStream(text, label);
}

async function parseYamlStream(text: string, label: string): Promise<SourceDocument[]> {
	const {loadAllYaml} = await import('@kubernetes/client-node');
	const documents: SourceDocument[] = [];
	for (const chunk of splitYaml(text)) {
		try {
			for (const value of loadAllYaml(chunk.text) as unknown[]) {
				documents.push({source: `${label}:${chunk.line}`, value: plain(value)});
			}
		} catch (error) {
			const mark = (error as {mark?: {line?: number}}).mark;
			const line = mark?.line === undefined ? chunk.line : Math.min(chunk.start + mark.line, chunk.last);
			const message = error instanceof TypeError ? 'the document is not an object' : (error as Error).message.split('\n')[0]!;
			documents.push({source: `${label}:${line}`, error: `not valid YAML: ${message}`});
		}
	}

	return documents;
}

// Splits a YAML stream at "---"/"..." lines, keeping each document's first and last content line and first text line (1-based).
function splitYaml(text: string): Array<{line: number; start: number; last: number; text: string}> {
	const chunks: Array<{line: number; start: number; last: number; text: string}> = [];
	const lines = text.split('\n');
	let start = 0;
	let current: string[] = [];
	const flush = (): void => {
		if (current.some(line => line.trim() !== '' && !line.trimStart().startsWith('#'))) {
			const content = (line: string): boolean => line.trim() !== '' && !line.trimStart().startsWith('#');
			const last = current.findLastIndex(line => content(line));
			chunks.push({line: start + current.findIndex(line => content(line)) + 1, start: start + 1, last: start + last + 1, text: current.join('\n')});
		}

		current = [];
	};

	for (const [index, line] of lines.entries()) {
		if (SEPARATOR.test(line)) {
			flush();
			start = index;
			current = [line.replace(SEPARATOR, ' ').trimEnd()];
			continue;
		}

		current.push(line);
	}

	flush();
	return chunks;
}

// Client objects (class instances, Dates) turned back into plain JSON values.
function plain(value: unknown): unknown {
	return value === undefined ? undefined : JSON.parse(JSON.stringify(value)) as unknown;
}

async function readAll(stream: NodeJS.ReadableStream): Promise<string> {
	const chunks: Buffer[] = [];
	for await (const chunk of stream) {
		chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
	}

	return Buffer.concat(chunks).toString('utf8');
}
