// The contract of a per-plugin validator, and what it may know about the node it runs for.
import type {JsonObject} from '../json.ts';
import type {Findings} from './finding.ts';
import type {KeyTable} from './keys.ts';

// One network interface of the node, as /sys/class/net shows it.
export interface InterfaceFacts {
	readonly mtu: number | undefined;
	readonly bridge: boolean;
	readonly wireless: boolean;
}

// What lint knows about the node; absent when it does not run on one.
export interface NodeFacts {
	/** The host path where interfaces were read, for messages (e.g. /host/sys/class/net). */
	readonly interfacesDir: string;
	readonly interfaces: ReadonlyMap<string, InterfaceFacts>;
}

// Everything a plugin validator needs besides the object it checks.
export interface PluginContext {
	readonly findings: Findings;
	/** The cniVersion that applies to this plugin ("" when the config has none). */
	readonly cniVersion: string;
	/** Capabilities the plugin object declares (the runtime fills runtimeConfig from them). */
	readonly capabilities: ReadonlySet<string>;
	/** True when another plugin runs before this one in a conflist (it gets a prevResult). */
	readonly chained: boolean;
	readonly node: NodeFacts | undefined;
}

// A validator for one plugin type: its keys, and the checks beyond types.
export interface PluginLinter {
	readonly type: string;
	readonly kind: 'main' | 'ipam';
	readonly keys: KeyTable;
	/** Checks config (the plugin object, or the ipam object for IPAM plugins) found at path. */
	lint(config: JsonObject, path: string, context: PluginContext): void;
}
