// JSON value types shared by the CNI domain; parsed configs are plain data.
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;
export type JsonObject = {[key: string]: JsonValue};

// Tells whether a parsed JSON value is an object (not an array, not null).
export function isJsonObject(value: unknown): value is JsonObject {
	return typeof value === 'object' && value !== null && !Array.isArray(value);
}

// Describes a JSON value's type the way an error message should name it.
export function jsonTypeOf(value: unknown): string {
	if (value === null) {
		return 'null';
	}

	return Array.isArray(value) ? 'array' : typeof value;
}
