// The bridge plugin (containernetworking/plugins plugins/main/bridge): keys, VLANs and the rules its loadNetConf enforces.
import {isJsonObject, type JsonValue} from '../json.ts';
import {interfaceNameProblem} from './common.ts';
import {childPath} from './finding.ts';
import {bool, int, oneOf, readKey, string, type KeyTable} from './keys.ts';
import type {PluginContext, PluginLinter} from './plugin.ts';

const KEYS: KeyTable = {
	bridge: string,
	isGateway: bool,
	isDefaultGateway: bool,
	forceAddress: bool,
	ipMasq: bool,
	ipMasqBackend: oneOf('iptables', 'nftables'),
	mtu: int(0, 65_535),
	hairpinMode: bool,
	promiscMode: bool,
	vlan: int(0, 4094),
	vlanTrunk: {kind: 'array'},
	preserveDefaultVlan: bool,
	macspoofchk: bool,
	enabledad: bool,
	disableContainerInterface: bool,
	portIsolation: bool,
};

// Validates a bridge plugin object.
export const bridge: PluginLinter = {
	type: 'bridge',
	kind: 'main',
	keys: KEYS,
	lint(config, path, context) {
		const name = readKey(config, 'bridge');
		if (typeof name === 'string') {
			checkBridgeName(name, childPath(path, 'bridge'), context);
		}

		if (readKey(config, 'hairpinMode') === true && readKey(config, 'promiscMode') === true) {
			context.findings.error(childPath(path, 'promiscMode'), 'cannot be combined with "hairpinMode": true (bridge fails with "cannot set hairpin mode and promiscuous mode at the same time")', 'Keep only one of hairpinMode and promiscMode.');
		}

		const ipam = readKey(config, 'ipam');
		if (readKey(config, 'disableContainerInterface') === true && isJsonObject(ipam) && typeof readKey(ipam, 'type') === 'string') {
			context.findings.error(childPath(path, 'disableContainerInterface'), 'cannot be used with IPAM (bridge fails with "cannot use IPAM when DisableContainerInterface flag is set")', 'Remove "ipam" (or its "type"), or drop disableContainerInterface.');
		}

		const trunk = readKey(config, 'vlanTrunk');
		if (Array.isArray(trunk)) {
			checkVlanTrunk(trunk, childPath(path, 'vlanTrunk'), context);
		}

		if (readKey(config, 'isDefaultGateway') === true && readKey(config, 'isGateway') === false) {
			context.findings.warning(childPath(path, 'isGateway'), 'is false but "isDefaultGateway" is true, which turns isGateway on anyway', 'Remove "isGateway": false, or drop isDefaultGateway.');
		}
	},
};

function checkBridgeName(name: string, path: string, context: PluginContext): void {
	const problem = interfaceNameProblem(name);
	if (problem !== undefined) {
		context.findings.error(path, problem, 'Name the bridge with at most 15 characters, e.g. "br-multus".');
		return;
	}

	const facts = context.node?.interfaces.get(name);
	if (facts && !facts.bridge) {
		context.findings.error(path, `"${name}" already exists on this node and is not a bridge (bridge fails with "already exists but is not a bridge")`, 'Choose a bridge name that is not taken by another interface, e.g. "br-multus".');
	}
}

function checkVlanTrunk(trunk: JsonValue[], path: string, context: PluginContext): void {
	for (const [index, entry] of trunk.entries()) {
		const at = childPath(path, index);
		if (!isJsonObject(entry)) {
			context.findings.error(at, 'a trunk entry must be an object: {"id": 10} or {"minID": 10, "maxID": 20}', 'Write each trunk entry as {"id": N} or {"minID": N, "maxID": M}.');
			continue;
		}

		const ids: Record<string, number | undefined> = {};
		for (const key of ['id', 'minID', 'maxID']) {
			const value = readKey(entry, key);
			if (value === undefined || value === null) {
				continue;
			}

			if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 4094) {
				context.findings.error(childPath(at, key), `must be a VLAN ID between 1 and 4094, found ${JSON.stringify(value)} (bridge fails with "incorrect trunk ${key} parameter")`, 'Use VLAN IDs 1..4094.');
				continue;
			}

			ids[key] = value;
		}

		const hasMin = readKey(entry, 'minID') !== undefined;
		const hasMax = readKey(entry, 'maxID') !== undefined;
		if (hasMin !== hasMax) {
			context.findings.error(childPath(at, hasMin ? 'maxID' : 'minID'), `is missing: minID and maxID must be given together`, 'Give both minID and maxID for a range, or use {"id": N} for a single VLAN.');
		} else if (ids['minID'] !== undefined && ids['maxID'] !== undefined && ids['minID'] > ids['maxID']) {
			context.findings.error(childPath(at, 'minID'), `${ids['minID']} is greater than maxID ${ids['maxID']}`, 'Swap minID and maxID.');
		}
	}
}
