// The host-local IPAM plugin: range sets, subnets and their start, end and gateway, checked as its allocator does.
import {isJsonObject, type JsonObject, type JsonValue} from '../json.ts';
import {checkDns, checkRoutes, versionAtLeast} from './common.ts';
import {childPath} from './finding.ts';
import {array, checkKeys, readKey, string, type KeyTable} from './keys.ts';
import {contains, formatCidr, formatIp, lastAddress, parseCidr, parseIp, type Cidr, type IpAddress} from './ip.ts';
import type {PluginContext, PluginLinter} from './plugin.ts';

const RANGE_KEYS: KeyTable = {subnet: string, rangeStart: string, rangeEnd: string, gateway: string};

const KEYS: KeyTable = {
	type: string,
	ranges: array,
	routes: array,
	dataDir: string,
	resolvConf: string,
	dns: {kind: 'object'},
	...RANGE_KEYS,
};

// One range after parsing, with the defaults host-local fills in.
interface ParsedRange {
	readonly path: string;
	readonly subnet: Cidr;
	readonly start: IpAddress;
	readonly end: IpAddress;
}

// Validates a host-local ipam object.
export const hostLocal: PluginLinter = {
	type: 'host-local',
	kind: 'ipam',
	keys: KEYS,
	lint(ipam, path, context) {
		checkRoutes(readKey(ipam, 'routes'), childPath(path, 'routes'), context.findings);
		checkDns(readKey(ipam, 'dns'), childPath(path, 'dns'), context.findings);
		const sets: Array<{path: string; ranges: ParsedRange[]}> = [];
		if (typeof readKey(ipam, 'subnet') === 'string') {
			const legacy = parseRange(ipam, path, context);
			sets.push({path, ranges: legacy ? [legacy] : []});
		}

		const ranges = readKey(ipam, 'ranges');
		if (Array.isArray(ranges)) {
			sets.push(...parseRangeSets(ranges, childPath(path, 'ranges'), context));
		}

		const written = sets.length > 0 || (Array.isArray(ranges) && ranges.length > 0);
		if (!written && !context.capabilities.has('ipRanges')) {
			context.findings.error(childPath(path, 'ranges'), 'host-local has no IP ranges (it fails with "no IP ranges specified")', 'Add "ranges": [[{"subnet": "10.10.0.0/24"}]].');
			return;
		}

		checkFamilies(sets, path, context);
		checkOverlaps(sets, path, context);
	},
};

function parseRangeSets(ranges: JsonValue[], path: string, context: PluginContext): Array<{path: string; ranges: ParsedRange[]}> {
	const sets: Array<{path: string; ranges: ParsedRange[]}> = [];
	for (const [index, set] of ranges.entries()) {
		const at = childPath(path, index);
		if (!Array.isArray(set)) {
			context.findings.error(at, `each entry of ranges is a range set (an array of ranges), found ${isJsonObject(set) ? 'an object' : JSON.stringify(set)}`, 'Wrap the range in a list: "ranges": [[{"subnet": "10.10.0.0/24"}]] (note the two brackets).');
			continue;
		}

		if (set.length === 0) {
			context.findings.error(at, 'is an empty range set (host-local fails with "empty range set")', 'Add at least one {"subnet": ...} to the set, or remove it.');
			continue;
		}

		const parsed: ParsedRange[] = [];
		for (const [rangeIndex, range] of set.entries()) {
			const rangePath = childPath(at, rangeIndex);
			if (!isJsonObject(range)) {
				context.findings.error(rangePath, 'a range must be an object with "subnet"', 'Write it as {"subnet": "10.10.0.0/24", "rangeStart": ..., "rangeEnd": ...}.');
				continue;
			}

			checkKeys(range, RANGE_KEYS, rangePath, 'host-local range', context.findings);
			const result = parseRange(range, rangePath, context);
			if (result) {
				parsed.push(result);
			}
		}

		sets.push({path: at, ranges: parsed});
	}

	return sets;
}

function parseRange(range: JsonObject, path: string, context: PluginContext): ParsedRange | undefined {
	const {findings} = context;
	const subnetText = readKey(range, 'subnet');
	if (typeof subnetText !== 'string') {
		if (subnetText === undefined || subnetText === null) {
			findings.error(childPath(path, 'subnet'), 'is missing', 'Every range needs "subnet", e.g. "10.10.0.0/24".');
		}

		return undefined;
	}

	const subnet = parseCidr(subnetText);
	if (subnet === undefined) {
		findings.error(childPath(path, 'subnet'), `"${subnetText}" is not a CIDR`, 'Write the subnet as network/prefix, e.g. "10.10.0.0/24".');
		return undefined;
	}

	const width = subnet.network.family === 4 ? 32 : 128;
	if (subnet.prefix > width - 2) {
		findings.error(childPath(path, 'subnet'), `${subnetText} is too small to allocate from (host-local needs at least a /${width - 2})`, `Use a prefix of /${width - 2} or shorter.`);
		return undefined;
	}

	if (subnet.address.value !== subnet.network.value) {
		findings.error(childPath(path, 'subnet'), `${subnetText} has host bits set (host-local fails with "Network has host bits set")`, `Write the network address: "${formatCidr(subnet)}".`);
		return undefined;
	}

	const inside = (key: string): IpAddress | undefined | false => {
		const text = readKey(range, key);
		if (typeof text !== 'string') {
			return undefined;
		}

		const address = parseIp(text);
		if (address === undefined) {
			findings.error(childPath(path, key), `"${text}" is not an IP address`, `Write ${key} as a bare IP address inside ${subnetText}.`);
			return false;
		}

		if (!contains(subnet, address)) {
			findings.error(childPath(path, key), `${text} is outside the subnet ${subnetText}`, `Pick a ${key} inside ${subnetText}, or widen the subnet.`);
			return false;
		}

		return address;
	};

	const startValue = inside('rangeStart');
	const endValue = inside('rangeEnd');
	inside('gateway');
	if (startValue === false || endValue === false) {
		return undefined;
	}

	const broadcast = lastAddress(subnet);
	const start = startValue ?? {family: subnet.network.family, value: subnet.network.value + 1n};
	const end = endValue ?? {family: subnet.network.family, value: broadcast.value - (subnet.network.family === 4 ? 1n : 0n)};
	if (start.value > end.value) {
		findings.error(childPath(path, startValue ? 'rangeStart' : 'rangeEnd'), `the range is empty: rangeStart ${formatIp(start)} comes after rangeEnd ${formatIp(end)}`, 'Swap rangeStart and rangeEnd, or correct the one that is wrong.');
		return undefined;
	}

	if (subnet.network.family === 4 && endValue && end.value === broadcast.value) {
		findings.warning(childPath(path, 'rangeEnd'), `${formatIp(end)} is the broadcast address of ${subnetText}`, `End the range at ${formatIp({family: 4, value: broadcast.value - 1n})}.`);
	}

	return {path, subnet, start, end};
}

function checkFamilies(sets: ReadonlyArray<{path: string; ranges: ParsedRange[]}>, path: string, context: PluginContext): void {
	const perFamily = {4: 0, 6: 0};
	for (const set of sets) {
		const families = new Set(set.ranges.map(range => range.subnet.network.family));
		if (families.size > 1) {
			context.findings.error(set.path, 'mixes IPv4 and IPv6 ranges in one range set (host-local fails with "mixed address families")', 'Put IPv4 and IPv6 ranges in separate range sets: "ranges": [[{v4...}], [{v6...}]].');
		}

		const first = set.ranges[0];
		if (first) {
			perFamily[first.subnet.network.family]++;
		}
	}

	if ((perFamily[4] > 1 || perFamily[6] > 1) && !versionAtLeast(context, '0.3.0')) {
		context.findings.error(childPath(path, 'ranges'), `cniVersion ${context.cniVersion || '0.1.0'} allows one address per family, but there are ${Math.max(perFamily[4], perFamily[6])} range sets of one family`, 'Set "cniVersion" to "0.3.1" or later, or keep one range set per family.');
	}
}

function checkOverlaps(sets: ReadonlyArray<{path: string; ranges: ParsedRange[]}>, ipamPath: string, context: PluginContext): void {
	const all = sets.flatMap((set, setIndex) => set.ranges.map(range => ({...range, setIndex})));
	for (const [index, left] of all.entries()) {
		for (const right of all.slice(index + 1)) {
			if (left.subnet.network.family === right.subnet.network.family && left.start.value <= right.end.value && right.start.value <= left.end.value) {
				const where = left.setIndex === right.setIndex ? 'in the same range set' : 'in two range sets';
				const other = left.path.startsWith(ipamPath) ? left.path.slice(ipamPath.length).replace(/^\./, '') : left.path;
				context.findings.error(right.path, `${formatIp(right.start)}-${formatIp(right.end)} overlaps ${formatIp(left.start)}-${formatIp(left.end)} (${other || 'the legacy top-level range'}) ${where}; host-local refuses overlapping ranges`, 'Make the ranges disjoint (adjust rangeStart/rangeEnd or the subnets).');
			}
		}
	}
}
