// Renders the Multus CNI config that delegates to the primary network (pure: no I/O).
import {CniConfigError} from './errors.ts';
import type {JsonObject} from './json.ts';
import type {PrimaryConfig} from './primary.ts';
import {needsConfList} from './version.ts';

// The network name CRI-O's cni_default_network points at on MicroShift.
export const DEFAULT_NETWORK_NAME = 'multus-cni-network';

// The log levels the Multus binary accepts.
export const MULTUS_LOG_LEVELS: readonly string[] = ['debug', 'error', 'panic', 'verbose'];

// Everything besides the primary that shapes the Multus config (upstream thin_entrypoint flags).
export interface MultusConfigInput {
	readonly cniVersion: string;
	readonly forceCniVersion: boolean;
	readonly overrideNetworkName: boolean;
	readonly namespaceIsolation: boolean;
	readonly globalNamespaces: string;
	readonly logToStderr: boolean;
	readonly logLevel: string;
	readonly logFile: string;
	readonly additionalBinDir: string;
	/** Host path of --multus-cni-conf-dir, only when given explicitly (emitted as confDir). */
	readonly confDir: string | undefined;
	/** Host path of the readiness indicator file, or "". */
	readonly readinessIndicatorFile: string;
	/** Host path of the kubeconfig the Multus binary reads. */
	readonly kubeconfig: string;
}

// A rendered config: its file name in the conf dir and its exact bytes.
export interface MultusConfigFile {
	readonly fileName: '00-multus.conf' | '00-multus.conflist';
	readonly otherFileName: '00-multus.conf' | '00-multus.conflist';
	readonly cniVersion: string;
	readonly text: string;
}

// Builds 00-multus.conf (cniVersion < 1.0.0) or 00-multus.conflist from the primary.
export function renderMultusConfig(primary: PrimaryConfig, input: MultusConfigInput): MultusConfigFile {
	const delegate = structuredClone(primary.config);
	let cniVersion = primary.cniVersion;
	if (input.cniVersion !== '' && input.cniVersion !== cniVersion) {
		if (!input.forceCniVersion) {
			throw new CniConfigError('$.cniVersion', `the primary ${primary.fileName} has cniVersion "${cniVersion}" but --cni-version is "${input.cniVersion}"`, 'Drop --cni-version to follow the primary, or set it to the primary\'s version.');
		}

		cniVersion = input.cniVersion;
		delegate['cniVersion'] = cniVersion;
	}

	const plugin: JsonObject = {type: 'multus'};
	if (Object.keys(primary.capabilities).length > 0) {
		plugin['capabilities'] = sortKeys(primary.capabilities);
	}

	addOptionalKeys(plugin, input);
	plugin['kubeconfig'] = input.kubeconfig;
	plugin['delegates'] = [delegate];

	const name = input.overrideNetworkName ? primary.name : DEFAULT_NETWORK_NAME;
	const asList = needsConfList(cniVersion);
	const document: JsonObject = asList
		? {cniVersion, name, plugins: [plugin]}
		: {cniVersion, name, ...plugin};
	return {
		fileName: asList ? '00-multus.conflist' : '00-multus.conf',
		otherFileName: asList ? '00-multus.conf' : '00-multus.conflist',
		cniVersion,
		text: `${JSON.stringify(document, null, 2)}\n`,
	};
}

function addOptionalKeys(plugin: JsonObject, input: MultusConfigInput): void {
	if (input.namespaceIsolation) {
		plugin['namespaceIsolation'] = true;
	}

	if (input.globalNamespaces !== '') {
		plugin['globalNamespaces'] = input.globalNamespaces;
	}

	if (!input.logToStderr) {
		plugin['logToStderr'] = false;
	}

	if (input.logLevel !== '') {
		plugin['logLevel'] = input.logLevel.toLowerCase();
	}

	if (input.logFile !== '') {
		plugin['logFile'] = input.logFile;
	}

	if (input.additionalBinDir !== '') {
		plugin['binDir'] = input.additionalBinDir;
	}

	if (input.confDir !== undefined) {
		plugin['confDir'] = input.confDir;
	}

	if (input.readinessIndicatorFile !== '') {
		plugin['readinessindicatorfile'] = input.readinessIndicatorFile;
	}
}

function sortKeys(record: Readonly<Record<string, boolean>>): JsonObject {
	return Object.fromEntries(Object.entries(record).sort(([a], [b]) => (a < b ? -1 : (a > b ? 1 : 0))));
}
