// The plugins lint knows in depth: the ones MicroShift ships (bridge, macvlan, ipvlan; host-local, static, dhcp).
import {bridge} from './bridge.ts';
import {dhcp} from './dhcp.ts';
import {hostLocal} from './host-local.ts';
import {ipvlan} from './ipvlan.ts';
import {macvlan} from './macvlan.ts';
import type {PluginLinter} from './plugin.ts';
import {staticIpam} from './static.ts';

// Every validator by plugin type.
export const PLUGIN_LINTERS: ReadonlyMap<string, PluginLinter> = new Map([bridge, macvlan, ipvlan, hostLocal, staticIpam, dhcp].map(linter => [linter.type, linter]));

// Finds the validator for a plugin type, if lint knows it.
export function findLinter(type: string): PluginLinter | undefined {
	return PLUGIN_LINTERS.get(type);
}
