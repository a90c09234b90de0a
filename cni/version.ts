// CNI spec versions (semver x.y.z) and the rules that depend on them.

// Every version the CNI spec has released, oldest first.
export const KNOWN_CNI_VERSIONS = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'] as const;

const SEMVER = /^(\d+)\.(\d+)\.(\d+)$/;

// Parses "x.y.z" into numbers, or undefined when it is not a version.
export function parseCniVersion(version: string): [number, number, number] | undefined {
	const match = SEMVER.exec(version);
	if (!match) {
		return undefined;
	}

	return [Number(match[1]), Number(match[2]), Number(match[3])];
}

// Compares two valid versions: negative, zero or positive like a sort comparator.
export function compareCniVersions(a: string, b: string): number {
	const left = parseCniVersion(a) ?? [0, 0, 0];
	const right = parseCniVersion(b) ?? [0, 0, 0];
	for (let index = 0; index < 3; index++) {
		const delta = left[index]! - right[index]!;
		if (delta !== 0) {
			return delta;
		}
	}

	return 0;
}

// From 1.0.0 on the spec removed single-plugin configs: such a version needs a .conflist.
export function needsConfList(version: string): boolean {
	return compareCniVersions(version, '1.0.0') >= 0;
}
