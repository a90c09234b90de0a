import test from 'ava';
import {AgentError, ExitCode} from '../../agent/errors.ts';
import {FLAGS, helpText, parseArgs} from '../../agent/flags.ts';

const UPSTREAM_FLAGS = ['cni-bin-dir', 'cni-conf-dir', 'cni-version', 'multus-conf-file', 'multus-bin-file', 'multus-cni-conf-dir', 'skip-multus-binary-copy', 'multus-kubeconfig-file-host', 'multus-master-cni-file-name', 'namespace-isolation', 'global-namespaces', 'multus-autoconfig-dir', 'multus-log-to-stderr', 'multus-log-level', 'multus-log-file', 'override-network-name', 'cleanup-config-on-exit', 'skip-config-watch', 'rename-conf-file', 'readiness-indicator-file', 'additional-bin-dir', 'skip-tls-verify', 'force-cni-version'];

test('accepts every upstream thin_entrypoint flag', t => {
	const names = new Set(FLAGS.map(flag => flag.name));
	t.deepEqual(UPSTREAM_FLAGS.filter(name => !names.has(name)), []);
});

test('upstream defaults are kept', t => {
	const {values} = parseArgs([]);
	t.is(values.get('multus-conf-file'), 'auto');
	t.is(values.get('multus-bin-file'), '/usr/src/multus-cni/bin/multus');
	t.is(values.get('multus-kubeconfig-file-host'), '/etc/cni/net.d/multus.d/multus.kubeconfig');
	t.is(values.get('multus-log-to-stderr'), true);
	t.is(values.get('cleanup-config-on-exit'), false);
});

const parsesTo = test.macro((t, argv: string[], name: string, expected: string | boolean) => {
	const {values, explicit} = parseArgs(argv);
	t.is(values.get(name), expected);
	t.true(explicit.has(name));
});

test('--flag=value', parsesTo, ['--cni-version=1.0.0'], 'cni-version', '1.0.0');
test('--flag value', parsesTo, ['--cni-version', '1.0.0'], 'cni-version', '1.0.0');
test('a value may contain =', parsesTo, ['--global-namespaces=a=b'], 'global-namespaces', 'a=b');
test('a bare bool flag is true', parsesTo, ['--cleanup-config-on-exit'], 'cleanup-config-on-exit', true);
test('--flag=false is false', parsesTo, ['--multus-log-to-stderr=false'], 'multus-log-to-stderr', false);
test('--flag false is false, not true (pflag gets this wrong)', parsesTo, ['--cleanup-config-on-exit', 'false'], 'cleanup-config-on-exit', false);
test('--flag true is true', parsesTo, ['--namespace-isolation', 'true'], 'namespace-isolation', true);

const rejects = test.macro((t, argv: string[], pattern: RegExp) => {
	const error = t.throws(() => parseArgs(argv), {instanceOf: AgentError});
	t.is(error.exitCode, ExitCode.usage);
	t.regex(error.message, pattern);
});

test('an unknown flag is a usage error that suggests the right one', rejects, ['--cni-bin'], /Unknown flag --cni-bin.*did you mean --cni-bin-dir\?/);
test('a bad bool value names the flag and what is allowed', rejects, ['--namespace-isolation=yes'], /--namespace-isolation takes true or false, got "yes"/);
test('a string flag without a value', rejects, ['--cni-version'], /--cni-version needs a value/);
test('a single-dash flag', rejects, ['-cni-version=1'], /Unknown flag -cni-version=1/);

test('--help lists every flag with its default', t => {
	const text = helpText('usage');
	for (const flag of FLAGS) {
		t.true(text.includes(`--${flag.name}`), flag.name);
	}

	t.true(text.includes('Default: "/usr/src/multus-cni/bin/multus"'));
});
