// Reads the node's network interfaces from sysfs under the host prefix (for macvlan/ipvlan masters and bridge names).
import fs from 'node:fs/promises';
import path from 'node:path';
import type {InterfaceFacts, NodeFacts} from '../../cni/plugins/plugin.ts';

// Lists <hostPrefix>/sys/class/net with each interface's MTU and kind; undefined when that directory is absent.
export async function readNodeInterfaces(hostPrefix: string): Promise<NodeFacts | undefined> {
	const directory = path.join(hostPrefix, 'sys/class/net');
	let names: string[];
	try {
		names = await fs.readdir(directory);
	} catch {
		return undefined;
	}

	const interfaces = new Map<string, InterfaceFacts>();
	await Promise.all(names.map(async name => {
		const base = path.join(directory, name);
		const mtu = Number((await fs.readFile(path.join(base, 'mtu'), 'utf8').catch(() => '')).trim());
		interfaces.set(name, {
			mtu: Number.isInteger(mtu) && mtu > 0 ? mtu : undefined,
			bridge: await exists(path.join(base, 'bridge')),
			wireless: await exists(path.join(base, 'wireless')) || await exists(path.join(base, 'phy80211')),
		});
	}));
	return {interfacesDir: directory, interfaces};
}

async function exists(file: string): Promise<boolean> {
	return fs.access(file).then(() => true, () => false);
}
