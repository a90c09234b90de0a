// One lint finding about a CNI config or a pod annotation: where, how bad, what is wrong, and the fix.

// How bad a finding is: an error makes the CNI ADD fail (or do the wrong thing); a warning is likely a mistake.
export type Severity = 'error' | 'warning';

// A finding inside one JSON document; path is relative to that document ("" is its root).
export interface Finding {
	readonly severity: Severity;
	readonly path: string;
	readonly message: string;
	readonly fix: string;
}

// Collects findings while a validator walks a config.
export interface Findings {
	readonly list: Finding[];
	error(path: string, message: string, fix: string): void;
	warning(path: string, message: string, fix: string): void;
}

// Creates an empty collector.
export function createFindings(): Findings {
	const list: Finding[] = [];
	return {
		list,
		error(path, message, fix) {
			list.push({severity: 'error', path, message, fix});
		},
		warning(path, message, fix) {
			list.push({severity: 'warning', path, message, fix});
		},
	};
}

// Appends a key to a JSON path: .name when it is an identifier, ["a.b"] otherwise.
export function childPath(path: string, key: string | number): string {
	if (typeof key === 'number') {
		return `${path}[${key}]`;
	}

	return /^[A-Za-z_$][\w$]*$/.test(key) ? `${path === '' ? '' : `${path}.`}${key}` : `${path}[${JSON.stringify(key)}]`;
}

// Puts a document-relative path under a prefix ("spec.config" + "ipam.subnet" → "spec.config.ipam.subnet").
export function joinPath(prefix: string, path: string): string {
	if (path === '') {
		return prefix;
	}

	return prefix === '' || path.startsWith('[') ? `${prefix}${path}` : `${prefix}.${path}`;
}
