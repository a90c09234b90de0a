// Checks shared by several plugins: interface names, MAC addresses, routes and dns blocks.
import {compareCniVersions} from '../version.ts';
import {isJsonObject, type JsonObject, type JsonValue} from '../json.ts';
import {childPath, type Findings} from './finding.ts';
import {parseCidr, parseIp} from './ip.ts';
import {array, checkKeys, checkValue, int, readKey, string, type KeyTable} from './keys.ts';
import type {PluginContext} from './plugin.ts';

const ROUTE_KEYS: KeyTable = {dst: string, gw: string, mtu: int(0), advmss: int(0), priority: int(0), table: int(0), scope: int(0, 255)};
const DNS_KEYS: KeyTable = {nameservers: array, domain: string, search: array, options: array};
const MAC = /^(?:[\da-fA-F]{2}(?:[:-][\da-fA-F]{2}){5}|[\da-fA-F]{2}(?:[:-][\da-fA-F]{2}){7}|[\da-fA-F]{2}(?:[:-][\da-fA-F]{2}){19}|[\da-fA-F]{4}(?:\.[\da-fA-F]{4}){2}|[\da-fA-F]{4}(?:\.[\da-fA-F]{4}){3}|[\da-fA-F]{4}(?:\.[\da-fA-F]{4}){9})$/;

// Why name is not a usable Linux interface name, or undefined when it is.
export function interfaceNameProblem(name: string): string | undefined {
	if (name === '') {
		return 'is empty';
	}

	if (Buffer.byteLength(name) > 15) {
		return `"${name}" is ${Buffer.byteLength(name)} bytes; Linux interface names are at most 15`;
	}

	if (name === '.' || name === '..' || /[/:\s]/.test(name)) {
		return `"${name}" is not a valid interface name (no "/", ":" or spaces; not "." or "..")`;
	}

	return undefined;
}

// Tells whether text is a MAC address Go's net.ParseMAC accepts (EUI-48, EUI-64 or 20-octet InfiniBand).
export function isMacAddress(text: string): boolean {
	return MAC.test(text);
}

// Checks a "routes" list: each needs dst (a CIDR), an optional gw (an IP of the same family).
export function checkRoutes(value: JsonValue | undefined, path: string, findings: Findings): void {
	if (value === undefined || !checkValue(value, array, path, 'routes', findings) || !Array.isArray(value)) {
		return;
	}

	for (const [index, route] of value.entries()) {
		const at = childPath(path, index);
		if (!isJsonObject(route)) {
			findings.error(at, 'a route must be an object like {"dst": "0.0.0.0/0"}', 'Write each route as {"dst": "<cidr>", "gw": "<ip>"}.');
			continue;
		}

		checkKeys(route, ROUTE_KEYS, at, 'route', findings);
		const dst = readKey(route, 'dst');
		if (dst === undefined || dst === null) {
			findings.error(childPath(at, 'dst'), 'is missing', 'Every route needs "dst", the destination CIDR (e.g. "0.0.0.0/0" for a default route).');
			continue;
		}

		if (typeof dst !== 'string') {
			continue;
		}

		const network = parseCidr(dst);
		if (network === undefined) {
			findings.error(childPath(at, 'dst'), `"${dst}" is not a CIDR`, 'Write the destination as address/prefix, e.g. "192.168.0.0/16".');
			continue;
		}

		const gw = readKey(route, 'gw');
		if (typeof gw === 'string') {
			const gateway = parseIp(gw);
			if (gateway === undefined) {
				findings.error(childPath(at, 'gw'), `"${gw}" is not an IP address`, 'Write the gateway as a bare IP address, e.g. "10.10.0.1".');
			} else if (gateway.family !== network.network.family) {
				findings.error(childPath(at, 'gw'), `the gateway ${gw} is IPv${gateway.family} but the destination ${dst} is IPv${network.network.family}`, 'Use a gateway of the same address family as the destination.');
			}
		}
	}
}

// Checks a "dns" block: nameservers are IP addresses, the lists hold strings.
export function checkDns(value: JsonValue | undefined, path: string, findings: Findings): void {
	if (value === undefined || !checkValue(value, {kind: 'object'}, path, 'dns', findings) || !isJsonObject(value)) {
		return;
	}

	checkKeys(value, DNS_KEYS, path, 'dns', findings);
	for (const list of ['nameservers', 'search', 'options']) {
		const items = readKey(value, list);
		if (!Array.isArray(items)) {
			continue;
		}

		for (const [index, item] of items.entries()) {
			const at = childPath(childPath(path, list), index);
			if (typeof item !== 'string') {
				findings.error(at, 'must be a string', `List ${list} as strings, e.g. ["10.10.0.1"].`);
			} else if (list === 'nameservers' && parseIp(item) === undefined) {
				findings.warning(at, `"${item}" is not an IP address`, 'List name servers by IP address; a host name cannot be resolved before DNS works.');
			}
		}
	}
}

// Checks the "master" of macvlan/ipvlan against the node's interfaces, when linted on a node.
export function checkMaster(config: JsonObject, path: string, context: PluginContext, owner: string): void {
	const master = readKey(config, 'master');
	const inContainer = readKey(config, 'linkInContainer') === true;
	if (master === undefined || master === null || master === '') {
		if (!context.chained) {
			context.findings.warning(childPath(path, 'master'), `is not set: ${owner} attaches to whatever interface holds the default route when the pod starts`, `Name the node's NIC explicitly, e.g. "master": "eth1"${context.node ? ` (this node has ${listInterfaces(context)})` : ''}.`);
		}

		return;
	}

	if (typeof master !== 'string') {
		return;
	}

	const problem = interfaceNameProblem(master);
	if (problem !== undefined) {
		context.findings.error(childPath(path, 'master'), problem, 'Give the name of an existing network interface, as "ip link" shows it.');
		return;
	}

	if (context.node === undefined || inContainer) {
		return;
	}

	const facts = context.node.interfaces.get(master);
	if (facts === undefined) {
		context.findings.error(childPath(path, 'master'), `"${master}" does not exist on this node (no ${context.node.interfacesDir}/${master})`, `Set "master" to one of this node's interfaces: ${listInterfaces(context)}.`);
		return;
	}

	if (owner === 'macvlan' && facts.wireless) {
		context.findings.warning(childPath(path, 'master'), `"${master}" is a wireless interface; most Wi-Fi NICs cannot carry macvlan interfaces`, 'Use a wired NIC as the master, or use ipvlan.');
	}

	const mtu = readKey(config, 'mtu');
	if (typeof mtu === 'number' && facts.mtu !== undefined && mtu > facts.mtu) {
		context.findings.error(childPath(path, 'mtu'), `${mtu} is larger than the MTU of the master ${master} (${facts.mtu})`, `Set "mtu" to at most ${facts.mtu}, or remove it to inherit the master's MTU.`);
	}
}

// Tells whether the config's cniVersion is at least version (a missing version counts as 0.1.0).
export function versionAtLeast(context: PluginContext, version: string): boolean {
	return compareCniVersions(context.cniVersion === '' ? '0.1.0' : context.cniVersion, version) >= 0;
}

function listInterfaces(context: PluginContext): string {
	const names = [...context.node?.interfaces.keys() ?? []].filter(name => name !== 'lo' && !name.startsWith('veth')).sort();
	if (names.length === 0) {
		return 'none besides lo';
	}

	return names.length > 12 ? `${names.slice(0, 12).join(', ')}, …` : names.join(', ');
}
