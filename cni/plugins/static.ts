// The static IPAM plugin: fixed addresses (CIDR) with optional gateways, routes and dns.
import {isJsonObject} from '../json.ts';
import {checkDns, checkRoutes, versionAtLeast} from './common.ts';
import {childPath} from './finding.ts';
import {array, checkKeys, readKey, string, type KeyTable} from './keys.ts';
import {contains, parseCidr, parseIp} from './ip.ts';
import type {PluginLinter} from './plugin.ts';

const ADDRESS_KEYS: KeyTable = {address: string, gateway: string};
const KEYS: KeyTable = {type: string, addresses: array, routes: array, dns: {kind: 'object'}};

// Validates a static ipam object.
export const staticIpam: PluginLinter = {
	type: 'static',
	kind: 'ipam',
	keys: KEYS,
	lint(ipam, path, context) {
		const {findings} = context;
		checkRoutes(readKey(ipam, 'routes'), childPath(path, 'routes'), findings);
		checkDns(readKey(ipam, 'dns'), childPath(path, 'dns'), findings);
		const addresses = readKey(ipam, 'addresses');
		if (!Array.isArray(addresses) || addresses.length === 0) {
			if (!context.capabilities.has('ips')) {
				findings.warning(childPath(path, 'addresses'), 'static has no addresses and the config does not declare the "ips" capability, so pods get no IP address', 'List "addresses": [{"address": "192.168.1.10/24"}], or add "capabilities": {"ips": true} and request IPs in the pod annotation.');
			}

			return;
		}

		const perFamily = {4: 0, 6: 0};
		for (const [index, entry] of addresses.entries()) {
			const at = childPath(childPath(path, 'addresses'), index);
			if (!isJsonObject(entry)) {
				findings.error(at, 'an address must be an object like {"address": "192.168.1.10/24"}', 'Write each address as {"address": "<ip>/<prefix>", "gateway": "<ip>"}.');
				continue;
			}

			checkKeys(entry, ADDRESS_KEYS, at, 'static address', findings);
			const text = readKey(entry, 'address');
			if (typeof text !== 'string') {
				if (text === undefined || text === null) {
					findings.error(childPath(at, 'address'), 'is missing', 'Every entry needs "address" in CIDR notation, e.g. "192.168.1.10/24".');
				}

				continue;
			}

			const cidr = parseCidr(text);
			if (cidr === undefined) {
				const bare = parseIp(text) !== undefined;
				findings.error(childPath(at, 'address'), `"${text}" is not in CIDR notation (static fails with "the 'address' field is expected to be in CIDR notation")`, bare ? `Add the prefix length: "${text}/24" (or the subnet's real prefix).` : 'Write the address as ip/prefix, e.g. "192.168.1.10/24".');
				continue;
			}

			perFamily[cidr.address.family]++;
			const gatewayText = readKey(entry, 'gateway');
			if (typeof gatewayText === 'string') {
				const gateway = parseIp(gatewayText);
				if (gateway === undefined) {
					findings.error(childPath(at, 'gateway'), `"${gatewayText}" is not an IP address`, 'Write the gateway as a bare IP address.');
				} else if (!contains(cidr, gateway)) {
					findings.warning(childPath(at, 'gateway'), `${gatewayText} is outside ${text}, so it is not reachable on this interface`, `Use a gateway inside ${text}, or widen the prefix.`);
				}
			}
		}

		if ((perFamily[4] > 1 || perFamily[6] > 1) && !versionAtLeast(context, '0.3.0')) {
			findings.error(childPath(path, 'addresses'), `cniVersion ${context.cniVersion || '0.1.0'} allows one address per family (static fails with "does not support more than 1 address per family")`, 'Set "cniVersion" to "0.3.1" or later, or keep one address per family.');
		}
	},
};
