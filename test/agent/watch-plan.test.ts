import test from 'ava';
import {parseArgs} from '../../agent/flags.ts';
import {resolveOptions} from '../../agent/options.ts';
import {planWatches} from '../../agent/watch-plan.ts';

const plan = (argv: string[], binaries = true) => Object.fromEntries([...planWatches(resolveOptions(parseArgs(argv), {}), binaries)].map(([directory, tasks]) => [directory, [...tasks].sort()]));

test('MicroShift\'s flags: token dir and multus.d wake the kubeconfig, the conf dir the config, the bin dir the binaries', t => {
	t.deepEqual(plan(['--host-prefix=/h', '--cni-bin-dir=/h/run/cni/bin', '--readiness-indicator-file=/etc/cni/net.d/10-ovn-kubernetes.conf', '--service-account-dir=/sa']), {
		'/sa': ['kubeconfig'],
		'/h/etc/cni/net.d/multus.d': ['kubeconfig'],
		'/h/etc/cni/net.d': ['config'],
		'/h/run/cni/bin': ['binaries'],
	});
});

test('a separate autoconfig dir and readiness dir are watched for the config; no bin dir without binaries', t => {
	const watched = plan(['--host-prefix=/h', '--multus-autoconfig-dir=/h/run/multus/cni/net.d', '--readiness-indicator-file=/run/ready/file', '--service-account-dir=/sa'], false);
	t.deepEqual(watched['/h/run/multus/cni/net.d'], ['config']);
	t.deepEqual(watched['/h/run/ready'], ['config']);
	t.false(Object.values(watched).some(tasks => tasks.includes('binaries')));
});

test('non-auto mode watches the given file\'s directory', t => {
	t.deepEqual(plan(['--multus-conf-file=/etc/multus/70-multus.conf', '--service-account-dir=/sa'])['/etc/multus'], ['config']);
});
