import test from 'ava';
import {AgentError, ExitCode} from '../../agent/errors.ts';
import {parseArgs} from '../../agent/flags.ts';
import {resolveOptions} from '../../agent/options.ts';

const resolve = (argv: string[], env: NodeJS.ProcessEnv = {}) => resolveOptions(parseArgs(argv), env);

test('container paths derive from --host-prefix unless given', t => {
	const options = resolve(['--host-prefix=/h', '--cni-bin-dir=/x/bin']);
	t.is(options.cniConfDir, '/h/etc/cni/net.d');
	t.is(options.multusAutoconfigDir, '/h/etc/cni/net.d');
	t.is(options.cniBinDir, '/x/bin');
	t.is(options.paths.kubeconfig, '/h/etc/cni/net.d/multus.d/multus.kubeconfig');
});

test('defaults equal upstream paths under /host', t => {
	const options = resolve([]);
	t.is(options.cniConfDir, '/host/etc/cni/net.d');
	t.is(options.cniBinDir, '/host/opt/cni/bin');
	t.is(options.paths.ledger, '/host/opt/cni/bin/.multus-agent.sha256');
	t.is(options.multusConfig.confDir, undefined);
});

test('host paths are read through the host prefix; the config keeps host paths', t => {
	const options = resolve(['--host-prefix=/h', '--readiness-indicator-file=/etc/cni/net.d/10-ovn-kubernetes.conf', '--multus-kubeconfig-file-host=/etc/kubernetes/cni/net.d/multus.d/multus.kubeconfig']);
	t.is(options.paths.readinessIndicator, '/h/etc/cni/net.d/10-ovn-kubernetes.conf');
	t.is(options.paths.kubeconfig, '/h/etc/kubernetes/cni/net.d/multus.d/multus.kubeconfig');
	t.is(options.multusConfig.kubeconfig, '/etc/kubernetes/cni/net.d/multus.d/multus.kubeconfig');
	t.is(options.multusConfig.readinessIndicatorFile, '/etc/cni/net.d/10-ovn-kubernetes.conf');
});

test('an explicit --multus-cni-conf-dir becomes the host path in confDir', t => {
	t.is(resolve(['--multus-cni-conf-dir=/host/etc/cni/multus/net.d']).multusConfig.confDir, '/etc/cni/multus/net.d');
});

test('the environment gives the API server', t => {
	const options = resolve([], {KUBERNETES_SERVICE_HOST: 'fd00::1', KUBERNETES_SERVICE_PORT: '6443'});
	t.deepEqual({...options.kubernetes}, {protocol: 'https', host: 'fd00::1', port: '6443'});
});

test('options are frozen, deeply', t => {
	const options = resolve([]);
	t.true(Object.isFrozen(options));
	t.true(Object.isFrozen(options.multusConfig));
	t.true(Object.isFrozen(options.cniPlugins));
});

test('plugin list is parsed and deduplicated', t => {
	t.deepEqual([...resolve(['--cni-plugins= bridge,macvlan,bridge ,']).cniPlugins], ['bridge', 'macvlan']);
	t.deepEqual([...resolve(['--cni-plugins=']).cniPlugins], []);
});

test('durations', t => {
	t.is(resolve(['--recheck-interval=30s']).recheckIntervalMs, 30_000);
	t.is(resolve(['--recheck-interval=0']).recheckIntervalMs, 0);
});

const rejects = test.macro((t, argv: string[], pattern: RegExp) => {
	const error = t.throws(() => resolve(argv), {instanceOf: AgentError});
	t.is(error.exitCode, ExitCode.usage);
	t.regex(error.message, pattern);
});

test('a relative directory', rejects, ['--cni-conf-dir=etc/cni'], /--cni-conf-dir must be an absolute path, got "etc\/cni"/);
test('a bad multus log level names what is allowed', rejects, ['--multus-log-level=info'], /--multus-log-level does not accept "info".*debug, error, panic, verbose/);
test('a bad agent log level', rejects, ['--log-level=loud'], /--log-level does not accept "loud"/);
test('a cni version that is no version', rejects, ['--cni-version=1.0'], /--cni-version must be a CNI version/);
test('--force-cni-version without a version', rejects, ['--force-cni-version'], /needs --cni-version/);
test('a plugin name with a slash', rejects, ['--cni-plugins=../evil'], /not a plugin binary name/);
test('a master file name with a slash', rejects, ['--multus-master-cni-file-name=/etc/x.conf'], /must be a file name/);
test('a bad duration', rejects, ['--recheck-interval=soon'], /duration like 30s/);
test('a relative readiness indicator file', rejects, ['--readiness-indicator-file=ready'], /--readiness-indicator-file must be an absolute path/);
