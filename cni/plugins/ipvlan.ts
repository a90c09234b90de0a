// The ipvlan plugin (containernetworking/plugins plugins/main/ipvlan): mode, master, and the IPAM it needs.
import {isJsonObject} from '../json.ts';
import {checkMaster} from './common.ts';
import {childPath} from './finding.ts';
import {bool, int, oneOf, readKey, string, type KeyTable} from './keys.ts';
import type {PluginLinter} from './plugin.ts';

const KEYS: KeyTable = {
	master: string,
	mode: oneOf('', 'l2', 'l3', 'l3s'),
	mtu: int(0, 65_535),
	linkInContainer: bool,
};

// Validates an ipvlan plugin object.
export const ipvlan: PluginLinter = {
	type: 'ipvlan',
	kind: 'main',
	keys: KEYS,
	lint(config, path, context) {
		checkMaster(config, path, context, 'ipvlan');
		const ipam = readKey(config, 'ipam');
		const ipamType = isJsonObject(ipam) ? readKey(ipam, 'type') : undefined;
		if (ipamType === 'dhcp') {
			context.findings.error(childPath(childPath(path, 'ipam'), 'type'), 'ipvlan cannot use dhcp: every ipvlan interface shares the master\'s MAC address and the dhcp daemon sends no client ID, so the DHCP server cannot tell pods apart', 'Use "static" or "host-local" IPAM with ipvlan, or use macvlan with dhcp.');
		}

		if (!context.chained && (typeof ipamType !== 'string' || ipamType === '')) {
			context.findings.error(childPath(path, 'ipam'), 'ipvlan needs IPAM with a "type": it always calls an IPAM plugin, so the ADD fails without one', 'Add "ipam": {"type": "static", "addresses": [{"address": "192.168.1.10/24"}]} or host-local.');
		}
	},
};
