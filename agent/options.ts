// Options: argv and environment resolved once into a frozen, fully typed object.
import path from 'node:path';
import {MULTUS_LOG_LEVELS, type MultusConfigInput} from '../cni/multus-config.ts';
import {parseCniVersion} from '../cni/version.ts';
import {usageError} from './errors.ts';
import type {ParsedArgs} from './flags.ts';
import {MIN_EXPIRATION_SECONDS} from './token-request.ts';

// The file in the bin dir that lists what the agent installed, in sha256sum format.
export const LEDGER_FILE_NAME = '.multus-agent.sha256';

const AGENT_LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'];

// The longest delay a Node timer honours.
const MAX_TIMER_MS = 2_147_483_647;

// The API server address the multus binary on the host talks to (from the pod's environment).
export interface KubernetesService {
	readonly protocol: string;
	readonly host: string;
	readonly port: string;
}

// Token mode: the kubeconfig's token is minted for a dedicated ServiceAccount (agent/token-request.ts).
export interface TokenRequestOptions {
	readonly serviceAccount: string;
	/** "" reads <service-account-dir>/namespace when minting. */
	readonly namespace: string;
	readonly expirationSeconds: number;
	/** 0 mints again with about a quarter of the lifetime left; otherwise this long after each mint (testing). */
	readonly refreshAfterMs: number;
}

// Every setting of the agent, resolved; container paths unless named "host".
export interface Options {
	readonly hostPrefix: string;
	readonly serviceAccountDir: string;
	readonly cniConfDir: string;
	readonly cniBinDir: string;
	readonly multusAutoconfigDir: string;
	/** "auto", or the container path of a ready-made config. */
	readonly multusConfFile: string;
	readonly multusBinFile: string;
	readonly skipMultusBinaryCopy: boolean;
	/** Container path of --multus-cni-conf-dir, only when given explicitly. */
	readonly multusCniConfDir: string | undefined;
	readonly multusMasterCniFileName: string;
	readonly cleanupConfigOnExit: boolean;
	readonly skipConfigWatch: boolean;
	readonly renameConfFile: boolean;
	readonly skipTlsVerify: boolean;
	readonly cniPluginsSourceDir: string;
	readonly cniPlugins: readonly string[];
	readonly cniPluginsArchive: string;
	readonly logLevel: string;
	readonly recheckIntervalMs: number;
	/** Run doctor's API checks in a child process at start and after each kubeconfig rewrite. */
	readonly apiSelfCheck: boolean;
	/** host:port of the readiness endpoint, or "" when disabled. */
	readonly healthAddress: string;
	readonly kubernetes: KubernetesService;
	/** Set when --token-service-account is given. */
	readonly tokenRequest: TokenRequestOptions | undefined;
	/** What goes into the Multus config besides the primary. */
	readonly multusConfig: MultusConfigInput;
	/** Container paths of files the agent reads or writes. */
	readonly paths: {
		readonly kubeconfig: string;
		readonly readinessIndicator: string | undefined;
		readonly ledger: string;
		readonly token: string;
		readonly ca: string;
	};
}

// Resolves parsed flags and the environment; throws a usage error naming the flag.
export function resolveOptions(args: ParsedArgs, env: NodeJS.ProcessEnv): Options {
	const text = (name: string): string => args.values.get(name) as string;
	const flag = (name: string): boolean => args.values.get(name) as boolean;
	const given = (name: string): boolean => args.explicit.has(name);
	const hostPrefix = path.resolve(text('host-prefix') || '/');
	const inContainer = (hostPath: string): string => path.join(hostPrefix, hostPath);
	const toHost = (containerPath: string): string => {
		const relative = path.relative(hostPrefix, containerPath);
		return relative.startsWith('..') ? containerPath : path.join('/', relative);
	};

	const dir = (name: string, hostDefault: string): string =>
		requireAbsolute(name, given(name) ? text(name) : inContainer(hostDefault));
	const cniConfDir = dir('cni-conf-dir', '/etc/cni/net.d');
	const kubeconfigHost = requireAbsolute('multus-kubeconfig-file-host', text('multus-kubeconfig-file-host'));
	const readinessHost = text('readiness-indicator-file');
	if (readinessHost !== '') {
		requireAbsolute('readiness-indicator-file', readinessHost);
	}

	const multusCniConfDir = given('multus-cni-conf-dir') ? requireAbsolute('multus-cni-conf-dir', text('multus-cni-conf-dir')) : undefined;
	const serviceAccountDir = requireAbsolute('service-account-dir', text('service-account-dir'));
	const cniBinDir = dir('cni-bin-dir', '/opt/cni/bin');
	const options: Options = {
		hostPrefix,
		serviceAccountDir,
		cniConfDir,
		cniBinDir,
		multusAutoconfigDir: dir('multus-autoconfig-dir', '/etc/cni/net.d'),
		multusConfFile: text('multus-conf-file') === 'auto' ? 'auto' : requireAbsolute('multus-conf-file', text('multus-conf-file')),
		multusBinFile: text('multus-bin-file'),
		skipMultusBinaryCopy: flag('skip-multus-binary-copy'),
		multusCniConfDir,
		multusMasterCniFileName: validateFileName('multus-master-cni-file-name', text('multus-master-cni-file-name')),
		cleanupConfigOnExit: flag('cleanup-config-on-exit'),
		skipConfigWatch: flag('skip-config-watch'),
		renameConfFile: flag('rename-conf-file'),
		skipTlsVerify: flag('skip-tls-verify'),
		cniPluginsSourceDir: text('cni-plugins-source-dir'),
		cniPlugins: parsePluginList(text('cni-plugins')),
		cniPluginsArchive: text('cni-plugins-archive'),
		logLevel: oneOf('log-level', text('log-level'), AGENT_LOG_LEVELS),
		recheckIntervalMs: parseDuration('recheck-interval', text('recheck-interval')),
		apiSelfCheck: flag('api-self-check'),
		healthAddress: validateHealthAddress(text('health-address')),
		tokenRequest: resolveTokenRequest(text, given),
		kubernetes: {
			protocol: env['KUBERNETES_SERVICE_PROTOCOL'] || 'https',
			host: env['KUBERNETES_SERVICE_HOST'] ?? '',
			port: env['KUBERNETES_SERVICE_PORT'] ?? '',
		},
		multusConfig: {
			cniVersion: validateCniVersion(text('cni-version'), flag('force-cni-version')),
			forceCniVersion: flag('force-cni-version'),
			overrideNetworkName: flag('override-network-name'),
			namespaceIsolation: flag('namespace-isolation'),
			globalNamespaces: text('global-namespaces'),
			logToStderr: flag('multus-log-to-stderr'),
			logLevel: text('multus-log-level') === '' ? '' : oneOf('multus-log-level', text('multus-log-level').toLowerCase(), MULTUS_LOG_LEVELS),
			logFile: text('multus-log-file'),
			additionalBinDir: text('additional-bin-dir'),
			confDir: multusCniConfDir === undefined ? undefined : toHost(multusCniConfDir),
			readinessIndicatorFile: readinessHost,
			kubeconfig: kubeconfigHost,
		},
		paths: {
			kubeconfig: inContainer(kubeconfigHost),
			readinessIndicator: readinessHost === '' ? undefined : inContainer(readinessHost),
			ledger: path.join(cniBinDir, LEDGER_FILE_NAME),
			token: path.join(serviceAccountDir, 'token'),
			ca: path.join(serviceAccountDir, 'ca.crt'),
		},
	};
	return deepFreeze(options);
}

function resolveTokenRequest(text: (name: string) => string, given: (name: string) => boolean): TokenRequestOptions | undefined {
	const serviceAccount = text('token-service-account');
	if (serviceAccount === '') {
		const stray = ['token-namespace', 'token-expiration', 'token-refresh-after'].find(name => given(name));
		if (stray !== undefined) {
			throw usageError(`Flag --${stray} needs --token-service-account`, 'Add --token-service-account=NAME (e.g. multus-cni), or drop the flag.');
		}

		return undefined;
	}

	// Both names become parts of the TokenRequest URL: only valid Kubernetes names get there.
	if (serviceAccount.length > 253 || !/^[a-z\d]([-a-z\d]*[a-z\d])?(\.[a-z\d]([-a-z\d]*[a-z\d])?)*$/.test(serviceAccount)) {
		throw usageError(`Flag --token-service-account must be a ServiceAccount name, got "${serviceAccount}"`, 'Use lowercase letters, digits, "-" and ".", e.g. --token-service-account=multus-cni.');
	}

	const namespace = text('token-namespace');
	if (namespace !== '' && !/^[a-z\d]([-a-z\d]{0,61}[a-z\d])?$/.test(namespace)) {
		throw usageError(`Flag --token-namespace must be a namespace name, got "${namespace}"`, 'Use lowercase letters, digits and "-", e.g. --token-namespace=openshift-multus, or leave it empty for the pod\'s own.');
	}

	const expirationMs = parseDuration('token-expiration', text('token-expiration'));
	if (expirationMs < MIN_EXPIRATION_SECONDS * 1000 || expirationMs % 1000 !== 0) {
		throw usageError(`Flag --token-expiration must be whole seconds and at least 10m (the API's minimum), got "${text('token-expiration')}"`, 'Write --token-expiration=1h.');
	}

	const refreshAfter = text('token-refresh-after');
	return {serviceAccount, namespace, expirationSeconds: expirationMs / 1000, refreshAfterMs: refreshAfter === '' ? 0 : parseDuration('token-refresh-after', refreshAfter)};
}

function requireAbsolute(flag: string, value: string): string {
	if (!path.isAbsolute(value)) {
		throw usageError(`Flag --${flag} must be an absolute path, got "${value}"`, `Write --${flag}=/absolute/path.`);
	}

	return path.normalize(value);
}

function validateFileName(flag: string, value: string): string {
	if (value.includes('/')) {
		throw usageError(`Flag --${flag} must be a file name in the autoconfig dir, got "${value}"`, `Give only the name, e.g. --${flag}=10-ovn-kubernetes.conf.`);
	}

	return value;
}

function oneOf(flag: string, value: string, allowed: readonly string[]): string {
	if (!allowed.includes(value)) {
		throw usageError(`Flag --${flag} does not accept "${value}"`, `Use one of: ${allowed.join(', ')}.`);
	}

	return value;
}

function validateCniVersion(value: string, force: boolean): string {
	if (value !== '' && !parseCniVersion(value)) {
		throw usageError(`Flag --cni-version must be a CNI version like 1.0.0, got "${value}"`, 'Write --cni-version=x.y.z or leave it empty to follow the primary.');
	}

	if (force && value === '') {
		throw usageError('Flag --force-cni-version needs --cni-version', 'Add --cni-version=x.y.z or drop --force-cni-version.');
	}

	return value;
}

function parsePluginList(value: string): string[] {
	const names = value.split(',').map(name => name.trim()).filter(name => name !== '');
	for (const name of names) {
		if (name.includes('/') || name === '.' || name === '..') {
			throw usageError(`Flag --cni-plugins names "${name}", which is not a plugin binary name`, 'List bare binary names, e.g. --cni-plugins=bridge,macvlan.');
		}
	}

	return [...new Set(names)];
}

function parseDuration(flag: string, value: string): number {
	const match = /^(\d+)(ms|s|m|h)?$/.exec(value);
	if (!match) {
		throw usageError(`Flag --${flag} must be a duration like 30s or 5m, got "${value}"`, `Write --${flag}=5m (units ms, s, m, h; 0 disables).`);
	}

	const unit = {ms: 1, s: 1000, m: 60_000, h: 3_600_000}[match[2] as 'ms' | 's' | 'm' | 'h' ?? 's'];
	const milliseconds = Number(match[1]) * unit;
	// A Node timer fires after 1 ms when given more than 2^31 - 1 ms: a long interval would become a busy loop.
	if (milliseconds > MAX_TIMER_MS) {
		throw usageError(`Flag --${flag} must be at most 596h (24 days), got "${value}"`, `Write a shorter duration, e.g. --${flag}=24h.`);
	}

	return milliseconds;
}

// host:port for the readiness endpoint (an IPv6 host in brackets), checked before anything on the host is touched.
function validateHealthAddress(value: string): string {
	const separator = value.lastIndexOf(':');
	const host = value.slice(0, separator);
	const port = value.slice(separator + 1);
	if (value !== '' && (separator <= 0 || host.trim() !== host || !/^\d{1,5}$/.test(port) || Number(port) > 65_535)) {
		throw usageError(`Flag --health-address must be host:port, got "${value}"`, 'Write --health-address=127.0.0.1:9781 (or [::1]:9781), or leave it empty to disable.');
	}

	return value;
}

function deepFreeze<T extends object>(object: T): T {
	for (const value of Object.values(object)) {
		if (typeof value === 'object' && value !== null) {
			deepFreeze(value);
		}
	}

	return Object.freeze(object);
}
