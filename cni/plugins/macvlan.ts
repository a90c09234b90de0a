// The macvlan plugin (containernetworking/plugins plugins/main/macvlan): mode, MTU, MAC and its master interface.
import {checkMaster, isMacAddress} from './common.ts';
import {childPath} from './finding.ts';
import {bool, int, oneOf, readKey, string, type KeyTable} from './keys.ts';
import type {PluginLinter} from './plugin.ts';

const KEYS: KeyTable = {
	master: string,
	mode: oneOf('', 'bridge', 'private', 'vepa', 'passthru'),
	mtu: int(0, 65_535),
	mac: string,
	linkInContainer: bool,
	bcqueuelen: int(0, 4_294_967_295),
};

// Validates a macvlan plugin object.
export const macvlan: PluginLinter = {
	type: 'macvlan',
	kind: 'main',
	keys: KEYS,
	lint(config, path, context) {
		checkMaster(config, path, context, 'macvlan');
		const mac = readKey(config, 'mac');
		if (typeof mac === 'string' && mac !== '' && !isMacAddress(mac)) {
			context.findings.error(childPath(path, 'mac'), `"${mac}" is not a MAC address`, 'Write it as six hex pairs, e.g. "c2:b0:57:49:47:f1" (or request a MAC per pod in the networks annotation).');
		}
	},
};
