// The dhcp IPAM plugin: its daemon socket and the DHCP options it requests or provides.
import {isJsonObject} from '../json.ts';
import {childPath} from './finding.ts';
import {array, bool, checkKeys, int, readKey, string, type KeyTable} from './keys.ts';
import type {PluginLinter} from './plugin.ts';

// Where the plugin dials the dhcp daemon unless daemonSocketPath says otherwise.
export const DEFAULT_DHCP_SOCKET = '/run/cni/dhcp.sock';

// The option names plugins/ipam/dhcp/options.go knows; other options are given by number (0-255).
export const DHCP_OPTION_NAMES: readonly string[] = ['dhcp-client-identifier', 'subnet-mask', 'routers', 'host-name', 'user-class', 'vendor-class-identifier'];

const KEYS: KeyTable = {type: string, daemonSocketPath: string, request: array, provide: array, priority: int()};
const REQUEST_KEYS: KeyTable = {option: string, skipDefault: bool};
const PROVIDE_KEYS: KeyTable = {option: string, value: string, fromArg: string};

// Validates a dhcp ipam object.
export const dhcp: PluginLinter = {
	type: 'dhcp',
	kind: 'ipam',
	keys: KEYS,
	lint(ipam, path, context) {
		const socket = readKey(ipam, 'daemonSocketPath');
		if (typeof socket === 'string' && socket !== '' && !socket.startsWith('/')) {
			context.findings.error(childPath(path, 'daemonSocketPath'), `"${socket}" is not an absolute path`, `Remove it to use ${DEFAULT_DHCP_SOCKET} (where MicroShift's dhcp-daemon listens), or give an absolute path.`);
		}

		for (const [list, keys] of [['request', REQUEST_KEYS], ['provide', PROVIDE_KEYS]] as const) {
			const entries = readKey(ipam, list);
			if (!Array.isArray(entries)) {
				continue;
			}

			for (const [index, entry] of entries.entries()) {
				const at = childPath(childPath(path, list), index);
				if (!isJsonObject(entry)) {
					context.findings.error(at, `a ${list} entry must be an object with "option"`, `Write it as {"option": "host-name"${list === 'provide' ? ', "value": "..."' : ''}}.`);
					continue;
				}

				checkKeys(entry, keys, at, `dhcp ${list} entry`, context.findings);
				checkOption(readKey(entry, 'option'), childPath(at, 'option'), list === 'request', context.findings);
				const value = readKey(entry, 'value');
				if (typeof value === 'string' && value.length > 255) {
					context.findings.error(childPath(at, 'value'), `is ${value.length} characters; DHCP option values hold at most 255`, 'Shorten the value.');
				}
			}
		}
	},
};

function checkOption(option: unknown, path: string, optional: boolean, findings: Parameters<PluginLinter['lint']>[2]['findings']): void {
	if (option === undefined || option === null || option === '') {
		if (!optional) {
			findings.error(path, 'is missing', `Name the DHCP option: one of ${DHCP_OPTION_NAMES.join(', ')}, or its number.`);
		}

		return;
	}

	if (typeof option !== 'string') {
		return;
	}

	if (DHCP_OPTION_NAMES.includes(option) || (/^\d{1,3}$/.test(option) && Number(option) <= 255)) {
		return;
	}

	findings.error(path, `"${option}" is not a DHCP option the plugin knows (it fails with "Can not parse option")`, `Use one of ${DHCP_OPTION_NAMES.join(', ')}, or the option's number (0-255).`);
}
