// Key tables for plugin configs: each key's JSON type and range, checked as Go's encoding/json would decode them.
import {isJsonObject, jsonTypeOf, type JsonObject, type JsonValue} from '../json.ts';
import {childPath, type Findings} from './finding.ts';

// What one key must hold; numbers are Go ints (whole numbers) within min..max.
export type KeyType =
	| {readonly kind: 'bool'}
	| {readonly kind: 'string'}
	| {readonly kind: 'int'; readonly min?: number; readonly max?: number}
	| {readonly kind: 'enum'; readonly values: readonly string[]}
	| {readonly kind: 'object'}
	| {readonly kind: 'array'}
	| {readonly kind: 'any'};

// The keys one plugin (or one nested object) understands.
export type KeyTable = Readonly<Record<string, KeyType>>;

// Shorthands for key tables.
export const bool: KeyType = {kind: 'bool'};
export const string: KeyType = {kind: 'string'};
export const object: KeyType = {kind: 'object'};
export const array: KeyType = {kind: 'array'};
export const any: KeyType = {kind: 'any'};

// A Go int key limited to min..max (inclusive).
export function int(min?: number, max?: number): KeyType {
	return {kind: 'int', min, max};
}

// A string key that takes one of the given values.
export function oneOf(...values: string[]): KeyType {
	return {kind: 'enum', values};
}

// The keys every plugin object may carry (types.NetConf), whatever its type.
export const COMMON_KEYS: KeyTable = {
	cniVersion: string,
	name: string,
	type: string,
	capabilities: object,
	ipam: object,
	dns: object,
	prevResult: any,
	runtimeConfig: any,
	args: any,
};

// Reads a key the way Go's encoding/json does: the exact name first, else a case-insensitive match.
export function readKey(object: JsonObject, name: string): JsonValue | undefined {
	if (name in object) {
		return object[name];
	}

	const lower = name.toLowerCase();
	const match = Object.keys(object).find(key => key.toLowerCase() === lower);
	return match === undefined ? undefined : object[match];
}

// Checks every key of object against table: wrong types are errors, near-miss unknown keys are warnings.
export function checkKeys(object: JsonObject, table: KeyTable, path: string, owner: string, findings: Findings): void {
	const known = Object.keys(table);
	const byLowerName = new Map(known.map(name => [name.toLowerCase(), name]));
	for (const [key, value] of Object.entries(object)) {
		const name = byLowerName.get(key.toLowerCase());
		const at = childPath(path, key);
		if (name === undefined) {
			const closest = closestName(key, known);
			if (closest !== undefined) {
				findings.warning(at, `"${key}" is not a ${owner} key; it looks like a typo of "${closest}"`, `Rename it to "${closest}": ${owner} ignores unknown keys, so "${key}" has no effect.`);
			}

			continue;
		}

		checkValue(value, table[name]!, at, name, findings);
	}
}

// Checks one value against its key type; null counts as unset (Go leaves the field at its default).
export function checkValue(value: JsonValue, type: KeyType, path: string, name: string, findings: Findings): boolean {
	if (value === null || type.kind === 'any') {
		return true;
	}

	const found = describe(value);
	switch (type.kind) {
		case 'bool': {
			if (typeof value !== 'boolean') {
				findings.error(path, `must be true or false, found ${found}`, `Write "${name}": ${value === 'false' || value === 0 ? 'false' : 'true'} (a JSON boolean, without quotes); the plugin fails with "cannot unmarshal ${jsonTypeOf(value)}".`);
				return false;
			}

			return true;
		}

		case 'string': {
			if (typeof value !== 'string') {
				findings.error(path, `must be a string, found ${found}`, `Quote the value: "${name}": "${typeof value === 'object' ? '...' : String(value)}".`);
				return false;
			}

			return true;
		}

		case 'enum': {
			if (typeof value !== 'string' || !type.values.includes(value)) {
				findings.error(path, `must be one of ${type.values.map(item => `"${item}"`).join(', ')}, found ${found}`, `Set "${name}" to one of ${type.values.map(item => `"${item}"`).join(', ')}, or remove it for the default.`);
				return false;
			}

			return true;
		}

		case 'int': {
			return checkInt(value, type, path, name, findings);
		}

		case 'object': {
			if (!isJsonObject(value)) {
				findings.error(path, `must be a JSON object, found ${found}`, `Write "${name}" as {...}.`);
				return false;
			}

			return true;
		}

		case 'array': {
			if (!Array.isArray(value)) {
				findings.error(path, `must be a JSON array, found ${found}`, `Write "${name}" as [...]${typeof value === 'string' ? `, e.g. ["${value}"]` : ''}.`);
				return false;
			}

			return true;
		}
	}
}

// Names a value and its JSON type for a message: the string "1500", the number 1.5, an object.
export function describe(value: JsonValue): string {
	if (typeof value === 'string') {
		return `the string ${JSON.stringify(value)}`;
	}

	if (typeof value === 'number' || typeof value === 'boolean') {
		return `the ${typeof value} ${String(value)}`;
	}

	return value === null ? 'null' : (Array.isArray(value) ? 'an array' : 'an object');
}

// The known name within a small edit distance of key (case-insensitive), if exactly one is closest.
export function closestName(key: string, names: readonly string[]): string | undefined {
	const lower = key.toLowerCase();
	const limit = lower.length <= 4 ? 1 : (lower.length <= 8 ? 2 : 3);
	let best: string | undefined;
	let bestDistance = limit + 1;
	let tie = false;
	for (const name of names) {
		const distance = editDistance(lower, name.toLowerCase());
		if (distance < bestDistance) {
			best = name;
			bestDistance = distance;
			tie = false;
		} else if (distance === bestDistance) {
			tie = true;
		}
	}

	return best !== undefined && bestDistance > 0 && !tie ? best : undefined;
}

// Damerau–Levenshtein distance (optimal string alignment): inserts, deletes, substitutions and swaps of neighbours.
export function editDistance(a: string, b: string): number {
	const rows = a.length + 1;
	const columns = b.length + 1;
	const table: number[] = Array.from({length: rows * columns}, (_, index) => (index < columns ? index : (index % columns === 0 ? index / columns : 0)));
	const at = (row: number, column: number): number => table[(row * columns) + column]!;
	for (let row = 1; row < rows; row++) {
		for (let column = 1; column < columns; column++) {
			const cost = a[row - 1] === b[column - 1] ? 0 : 1;
			let value = Math.min(at(row - 1, column) + 1, at(row, column - 1) + 1, at(row - 1, column - 1) + cost);
			if (row > 1 && column > 1 && a[row - 1] === b[column - 2] && a[row - 2] === b[column - 1]) {
				value = Math.min(value, at(row - 2, column - 2) + 1);
			}

			table[(row * columns) + column] = value;
		}
	}

	return at(a.length, b.length);
}

function checkInt(value: JsonValue, type: {min?: number; max?: number}, path: string, name: string, findings: Findings): boolean {
	if (typeof value !== 'number' || !Number.isInteger(value)) {
		const numeric = typeof value === 'string' && /^-?\d+$/.test(value.trim());
		findings.error(path, `must be a whole number, found ${describe(value)}`, numeric ? `Write "${name}": ${value.trim()} without quotes.` : `Write "${name}" as a JSON integer${rangeText(type)}.`);
		return false;
	}

	if ((type.min !== undefined && value < type.min) || (type.max !== undefined && value > type.max)) {
		findings.error(path, `${value} is out of range: it must be${rangeText(type)}`, `Set "${name}" to a value${rangeText(type)}, or remove it for the default.`);
		return false;
	}

	return true;
}

function rangeText(type: {min?: number; max?: number}): string {
	if (type.min !== undefined && type.max !== undefined) {
		return ` between ${type.min} and ${type.max}`;
	}

	if (type.min !== undefined) {
		return ` of at least ${type.min}`;
	}

	return type.max === undefined ? '' : ` of at most ${type.max}`;
}
