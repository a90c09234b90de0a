// The command-line flags: upstream thin_entrypoint's, with the same names and defaults, plus ours.
import {usageError} from './errors.ts';

// One flag: its name, type, default and help line.
export interface FlagSpec {
	readonly name: string;
	readonly type: 'string' | 'bool';
	readonly default: string | boolean;
	readonly help: string;
	/** Upstream hides these from --help; we list them, marked. */
	readonly hidden?: boolean;
}

const string = (name: string, value: string, help: string): FlagSpec => ({name, type: 'string', default: value, help});
const bool = (name: string, help: string, hidden = false): FlagSpec => ({name, type: 'bool', default: false, help, hidden});

// Every flag the agent accepts, in the order --help lists them.
export const FLAGS: readonly FlagSpec[] = [
	string('cni-bin-dir', '<host-prefix>/opt/cni/bin', 'Container path of the host CNI bin dir that multus and the plugins are installed into.'),
	string('cni-conf-dir', '<host-prefix>/etc/cni/net.d', 'Container path of the host CNI conf dir that 00-multus.conf[list] is written into.'),
	string('cni-version', '', 'Expected cniVersion; empty follows the primary config.'),
	string('multus-conf-file', 'auto', '"auto" generates the config from the primary; otherwise the path of a ready-made config to install.'),
	string('multus-bin-file', '/usr/src/multus-cni/bin/multus', 'The multus binary to install.'),
	string('multus-cni-conf-dir', '/host/etc/cni/multus/net.d', 'Multus confDir (emitted as the host path only when given).'),
	bool('skip-multus-binary-copy', 'Do not install the multus binary.'),
	string('multus-kubeconfig-file-host', '/etc/cni/net.d/multus.d/multus.kubeconfig', 'Host path of the kubeconfig the multus binary reads; the agent writes it there (through --host-prefix).'),
	string('multus-master-cni-file-name', '', 'Use this file in the autoconfig dir as the primary instead of the first one.'),
	bool('namespace-isolation', 'Pods may only use NADs in their own namespace (and --global-namespaces).'),
	string('global-namespaces', '', 'Comma-separated namespaces whose NADs every pod may use.'),
	string('multus-autoconfig-dir', '<host-prefix>/etc/cni/net.d', 'Container path of the dir scanned for the primary config.'),
	{name: 'multus-log-to-stderr', type: 'bool', default: true, help: 'The multus binary logs to stderr.'},
	string('multus-log-level', '', 'Multus binary log level: debug, verbose, error or panic.'),
	string('multus-log-file', '', 'Host path of the multus binary\'s log file.'),
	bool('override-network-name', 'Name the Multus network after the primary instead of multus-cni-network.'),
	bool('cleanup-config-on-exit', 'On SIGTERM, remove the config this process wrote (only if it still holds our bytes).'),
	bool('skip-config-watch', 'Do not follow changes of the primary config (token and CA are still followed).'),
	bool('rename-conf-file', 'Rename the primary config to <name>.old after each write.'),
	string('readiness-indicator-file', '', 'Host path whose existence means the primary network is ready; the agent waits for it.'),
	string('additional-bin-dir', '', 'Extra dir the multus binary searches for delegate plugins (binDir).'),
	bool('skip-tls-verify', 'Kubeconfig without CA verification (insecure).', true),
	bool('force-cni-version', 'Overwrite the primary\'s cniVersion with --cni-version (testing only).', true),
	string('host-prefix', '/host', 'Where the host root filesystem is mounted in the container.'),
	string('service-account-dir', '/var/run/secrets/kubernetes.io/serviceaccount', 'Where the pod\'s token and ca.crt are read.'),
	string('cni-plugins-source-dir', '/usr/src/plugins/bin', 'Where the delegate plugin binaries are taken from.'),
	string('cni-plugins', 'bridge,macvlan,ipvlan,host-local,dhcp,static', 'Comma-separated delegate plugins installed beside multus ("" for none).'),
	string('cni-plugins-archive', '', 'Take the plugins from this .tgz (containernetworking/plugins release layout) instead.'),
	string('log-level', 'info', 'The agent\'s own log level: trace, debug, info, warn, error, fatal or silent.'),
	{name: 'api-self-check', type: 'bool', default: true, help: 'Check the kubeconfig against the API server (authentication and each permission the multus binary needs) at start and after each rewrite, in a short-lived child process.'},
	string('health-address', '', 'Serve /readyz and /healthz on host:port for the DaemonSet\'s probes (e.g. 127.0.0.1:9781); empty disables.'),
	string('recheck-interval', '5m', 'How often the safety re-check verifies every host file (e.g. 30s, 5m; 0 disables).'),
	string('token-service-account', '', 'Least privilege: mint the kubeconfig\'s token with the TokenRequest API for this ServiceAccount (e.g. multus-cni) instead of copying the pod\'s own token; empty disables.'),
	string('token-namespace', '', 'Namespace of --token-service-account; empty reads <service-account-dir>/namespace.'),
	string('token-expiration', '1h', 'Lifetime requested for a minted token (at least 10m); it is minted again with about a quarter of it left, and at once when the pod\'s own token rotates.'),
	string('token-refresh-after', '', 'Mint again this long after each mint instead of with about a quarter of the lifetime left (testing only).'),
];

// What argv said: values by flag name, and which flags were given explicitly.
export interface ParsedArgs {
	readonly values: ReadonlyMap<string, string | boolean>;
	readonly explicit: ReadonlySet<string>;
	readonly positionals: readonly string[];
	readonly help: boolean;
	readonly version: boolean;
}

// Parses GNU-style flags: --name=value, --name value; bools as --flag, --flag=true|false, --flag true|false.
export function parseArgs(argv: readonly string[], specs: readonly FlagSpec[] = FLAGS): ParsedArgs {
	const byName = new Map(specs.map(spec => [spec.name, spec]));
	const values = new Map<string, string | boolean>(specs.map(spec => [spec.name, spec.default]));
	const explicit = new Set<string>();
	const positionals: string[] = [];
	let help = false;
	let version = false;
	for (let index = 0; index < argv.length; index++) {
		const argument = argv[index]!;
		if (argument === '-h' || argument === '--help') {
			help = true;
			continue;
		}

		if (argument === '--version') {
			version = true;
			continue;
		}

		if (!argument.startsWith('--') || argument === '--') {
			if (argument.startsWith('-') && argument !== '-') {
				throw usageError(`Unknown flag ${argument}`, 'Flags are written --name=value; see --help.');
			}

			positionals.push(argument);
			continue;
		}

		const equals = argument.indexOf('=');
		const name = argument.slice(2, equals === -1 ? undefined : equals);
		const spec = byName.get(name);
		if (!spec) {
			throw usageError(`Unknown flag --${name}`, `Run with --help for the list of flags${suggestion(name, specs)}.`);
		}

		let value: string | undefined = equals === -1 ? undefined : argument.slice(equals + 1);
		if (spec.type === 'bool') {
			const next = argv[index + 1];
			if (value === undefined && (next === 'true' || next === 'false')) {
				value = next;
				index++;
			}

			values.set(name, parseBool(name, value));
		} else {
			if (value === undefined) {
				value = argv[++index];
				if (value === undefined) {
					throw usageError(`Flag --${name} needs a value`, `Write --${name}=VALUE.`);
				}
			}

			values.set(name, value);
		}

		explicit.add(name);
	}

	return {values, explicit, positionals, help, version};
}

// The --help text: every flag with its default.
export function helpText(usage: string, specs: readonly FlagSpec[] = FLAGS): string {
	const lines = specs.map(spec => {
		const value = spec.type === 'bool' ? '' : '=VALUE';
		const shown = spec.type === 'bool' ? String(spec.default) : JSON.stringify(spec.default);
		return `  --${spec.name}${value}\n      ${spec.help}${spec.hidden ? ' (hidden upstream)' : ''} Default: ${shown}`;
	});
	return `${usage}\n\nFlags:\n${lines.join('\n')}\n  --help, -h\n      Print this help.\n  --version\n      Print the version.\n`;
}

function parseBool(name: string, value: string | undefined): boolean {
	if (value === undefined || value === 'true') {
		return true;
	}

	if (value === 'false') {
		return false;
	}

	throw usageError(`Flag --${name} takes true or false, got "${value}"`, `Write --${name}, --${name}=true or --${name}=false.`);
}

function suggestion(name: string, specs: readonly FlagSpec[]): string {
	const close = specs.find(spec => spec.name.includes(name) || name.includes(spec.name));
	return close ? `; did you mean --${close.name}?` : '';
}
