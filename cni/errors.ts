// The one error type of the pure CNI domain: what is wrong, where in the JSON, and the fix.
export class CniConfigError extends Error {
	override name = 'CniConfigError';
	readonly jsonPath: string;
	readonly fix: string;

	constructor(jsonPath: string, problem: string, fix: string) {
		super(`${jsonPath}: ${problem}. ${fix}`);
		this.jsonPath = jsonPath;
		this.fix = fix;
	}
}
