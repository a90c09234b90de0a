// IP addresses and CIDRs as Go's net.ParseIP and net.ParseCIDR read them, as numbers for range arithmetic.

// An address: its family and its value (IPv4-mapped IPv6 counts as IPv4, as Go's To4 does).
export interface IpAddress {
	readonly family: 4 | 6;
	readonly value: bigint;
}

// A CIDR: the address as written, its network address and its prefix length.
export interface Cidr {
	readonly address: IpAddress;
	readonly network: IpAddress;
	readonly prefix: number;
}

const V4_PART = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)$/;
const MAPPED_PREFIX = 0xFF_FFn << 32n;

// Parses an IPv4 or IPv6 address; undefined when Go's net.ParseIP would fail.
export function parseIp(text: string): IpAddress | undefined {
	if (text.includes(':')) {
		const value = parseIpv6(text);
		if (value === undefined) {
			return undefined;
		}

		return (value >> 32n) === 0xFF_FFn ? {family: 4, value: value - MAPPED_PREFIX} : {family: 6, value};
	}

	const value = parseIpv4(text);
	return value === undefined ? undefined : {family: 4, value};
}

// Parses "address/prefix"; undefined when Go's net.ParseCIDR would fail.
export function parseCidr(text: string): Cidr | undefined {
	const slash = text.indexOf('/');
	if (slash === -1 || !/^\d{1,3}$/.test(text.slice(slash + 1))) {
		return undefined;
	}

	const written = text.slice(0, slash);
	const address = parseIp(written);
	const prefix = Number(text.slice(slash + 1));
	const bits = written.includes(':') ? 128 : 32;
	if (address === undefined || prefix > bits) {
		return undefined;
	}

	const familyPrefix = address.family === 4 && bits === 128 ? prefix - 96 : prefix;
	if (familyPrefix < 0) {
		return undefined;
	}

	return {address, network: {family: address.family, value: address.value & maskOf(address.family, familyPrefix)}, prefix: familyPrefix};
}

// Tells whether address lies inside the CIDR's network.
export function contains(cidr: Cidr, address: IpAddress): boolean {
	return address.family === cidr.network.family && (address.value & maskOf(address.family, cidr.prefix)) === cidr.network.value;
}

// The last address of the CIDR's network (the broadcast address for IPv4).
export function lastAddress(cidr: Cidr): IpAddress {
	const width = cidr.network.family === 4 ? 32 : 128;
	return {family: cidr.network.family, value: cidr.network.value | ((1n << BigInt(width - cidr.prefix)) - 1n)};
}

// Formats an address the way Go prints it (IPv6 with the longest run of zero groups shortened).
export function formatIp(address: IpAddress): string {
	if (address.family === 4) {
		return [24n, 16n, 8n, 0n].map(shift => String((address.value >> shift) & 0xFFn)).join('.');
	}

	const groups = Array.from({length: 8}, (_, index) => Number((address.value >> BigInt(112 - (index * 16))) & 0xFF_FFn));
	let bestStart = -1;
	let bestLength = 1;
	for (let start = 0; start < 8; start++) {
		let length = 0;
		while (start + length < 8 && groups[start + length] === 0) {
			length++;
		}

		if (length > bestLength) {
			bestStart = start;
			bestLength = length;
		}
	}

	const hex = groups.map(group => group.toString(16));
	if (bestStart === -1) {
		return hex.join(':');
	}

	return `${hex.slice(0, bestStart).join(':')}::${hex.slice(bestStart + bestLength).join(':')}`;
}

// Formats a network as "address/prefix".
export function formatCidr(cidr: Cidr): string {
	return `${formatIp(cidr.network)}/${cidr.prefix}`;
}

function maskOf(family: 4 | 6, prefix: number): bigint {
	const width = family === 4 ? 32 : 128;
	return ((1n << BigInt(width)) - 1n) ^ ((1n << BigInt(width - prefix)) - 1n);
}

function parseIpv4(text: string): bigint | undefined {
	const parts = text.split('.');
	if (parts.length !== 4 || !parts.every(part => V4_PART.test(part))) {
		return undefined;
	}

	return parts.reduce((value, part) => (value << 8n) | BigInt(part), 0n);
}

function parseIpv6(text: string): bigint | undefined {
	let head = text;
	let tail = '';
	const double = text.indexOf('::');
	if (double !== -1) {
		if (text.indexOf('::', double + 1) !== -1) {
			return undefined;
		}

		head = text.slice(0, double);
		tail = text.slice(double + 2);
		if (tail === '' && head.includes('.')) {
			return undefined;
		}
	}

	const headGroups = head === '' ? [] : head.split(':');
	const tailGroups = tail === '' ? [] : tail.split(':');
	const groups = [...headGroups, ...tailGroups];
	const last = groups.at(-1);
	const words: number[] = [];
	for (const [index, group] of groups.entries()) {
		if (index === groups.length - 1 && last?.includes('.')) {
			const v4 = parseIpv4(group);
			if (v4 === undefined) {
				return undefined;
			}

			words.push(Number(v4 >> 16n), Number(v4 & 0xFF_FFn));
			continue;
		}

		if (!/^[\da-fA-F]{1,4}$/.test(group)) {
			return undefined;
		}

		words.push(Number.parseInt(group, 16));
	}

	if (double === -1 ? words.length !== 8 : words.length > 7) {
		return undefined;
	}

	const headWords = words.slice(0, headGroups.length);
	const tailWords = words.slice(headGroups.length);
	const all = [...headWords, ...Array.from({length: 8 - words.length}, () => 0), ...tailWords];
	return all.reduce((value, word) => (value << 16n) | BigInt(word), 0n);
}
