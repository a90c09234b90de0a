// doctor: when a NetworkAttachmentDefinition uses dhcp IPAM, does the dhcp daemon's socket answer?
import net from 'node:net';
import path from 'node:path';
import {isJsonObject} from '../../../cni/json.ts';
import {DEFAULT_DHCP_SOCKET} from '../../../cni/plugins/dhcp.ts';
import {errnoCode} from '../../errors.ts';
import type {Options} from '../../options.ts';
import {verdict, type CheckResult} from '../check-result.ts';
import {underHostPrefix} from '../host-paths.ts';

const CONNECT_TIMEOUT_MS = 3000;

// The dhcp socket paths the given NADs use (daemonSocketPath, or the default), with the NADs that use each.
export function dhcpSockets(nads: readonly unknown[]): Map<string, string[]> {
	const sockets = new Map<string, string[]>();
	for (const nad of nads) {
		if (!isJsonObject(nad) || !isJsonObject(nad['spec']) || typeof nad['spec']['config'] !== 'string') {
			continue;
		}

		let config: unknown;
		try {
			config = JSON.parse(nad['spec']['config']);
		} catch {
			continue;
		}

		const plugins = isJsonObject(config) && Array.isArray(config['plugins']) ? config['plugins'] : [config];
		for (const plugin of plugins) {
			const ipam = isJsonObject(plugin) ? plugin['ipam'] : undefined;
			if (isJsonObject(ipam) && ipam['type'] === 'dhcp') {
				const socket = typeof ipam['daemonSocketPath'] === 'string' && ipam['daemonSocketPath'] !== '' ? ipam['daemonSocketPath'] : DEFAULT_DHCP_SOCKET;
				const metadata = isJsonObject(nad['metadata']) ? nad['metadata'] : {};
				sockets.set(socket, [...sockets.get(socket) ?? [], `${String(metadata['namespace'] ?? 'default')}/${String(metadata['name'] ?? '')}`]);
			}
		}
	}

	return sockets;
}

// Connects to each socket under the host prefix; nads is undefined when the NADs could not be listed (why says so).
export async function checkDhcp(options: Options, nads: readonly unknown[] | undefined, why: string): Promise<CheckResult[]> {
	if (nads === undefined) {
		const file = underHostPrefix(options, DEFAULT_DHCP_SOCKET);
		const state = await connect(file);
		return state === 'ok'
			? [verdict('dhcp-daemon', 'ok', `${file} answers (NADs not listed: ${why})`)]
			: [verdict('dhcp-daemon', 'skip', `cannot tell whether any NAD uses dhcp (${why}); ${file}: ${state}`)];
	}

	const sockets = dhcpSockets(nads);
	if (sockets.size === 0) {
		return [verdict('dhcp-daemon', 'skip', nads.length === 0 ? 'there are no NetworkAttachmentDefinitions, so none uses dhcp IPAM' : `none of the ${nads.length} NetworkAttachmentDefinition${nads.length === 1 ? '' : 's'} uses dhcp IPAM`)];
	}

	return Promise.all([...sockets].map(async ([socket, users]) => {
		const file = underHostPrefix(options, socket);
		const state = await connect(file);
		const who = `${users.slice(0, 3).join(', ')}${users.length > 3 ? ` and ${users.length - 3} more` : ''}`;
		return state === 'ok'
			? verdict('dhcp-daemon', 'ok', `${file} answers (used by ${who})`)
			: verdict('dhcp-daemon', 'fail', `${who} use${users.length === 1 ? 's' : ''} dhcp but ${file} ${state}: pods fail with "error dialing DHCP daemon"`, state === 'does not exist'
				? `Run the dhcp daemon on this node (MicroShift: the dhcp-daemon DaemonSet in openshift-multus runs "dhcp daemon -hostprefix /host").`
				: `Restart the dhcp-daemon pod on this node; after a crash the stale socket stays and the daemon cannot bind ("address already in use") until it is removed (its init container does rm -f ${socket}).`);
	}));
}

async function connect(file: string): Promise<'ok' | string> {
	if (Buffer.byteLength(file) > 107) {
		return `is too long a path for a unix socket (${path.basename(file)})`;
	}

	return new Promise(resolve => {
		const socket = net.connect(file);
		const done = (state: string): void => {
			socket.destroy();
			resolve(state);
		};

		socket.setTimeout(CONNECT_TIMEOUT_MS, () => {
			done('does not accept connections within 3s');
		});
		socket.once('connect', () => {
			done('ok');
		});
		socket.once('error', error => {
			const code = errnoCode(error);
			done(code === 'ENOENT' ? 'does not exist' : (code === 'ECONNREFUSED' ? 'refuses connections (nothing listens; a stale socket)' : `cannot be connected to (${code ?? error.message})`));
		});
	});
}
