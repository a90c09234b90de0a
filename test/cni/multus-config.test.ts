import test from 'ava';
import {CniConfigError} from '../../cni/errors.ts';
import {renderMultusConfig, type MultusConfigInput} from '../../cni/multus-config.ts';
import {isPrimaryProblem, parsePrimary, type PrimaryConfig} from '../../cni/primary.ts';

const INPUT: MultusConfigInput = {
	cniVersion: '',
	forceCniVersion: false,
	overrideNetworkName: false,
	namespaceIsolation: false,
	globalNamespaces: '',
	logToStderr: true,
	logLevel: '',
	logFile: '',
	additionalBinDir: '',
	confDir: undefined,
	readinessIndicatorFile: '',
	kubeconfig: '/etc/cni/net.d/multus.d/multus.kubeconfig',
};

function primary(config: object, fileName = '10-ovn-kubernetes.conf'): PrimaryConfig {
	const result = parsePrimary(fileName, JSON.stringify(config));
	if (isPrimaryProblem(result)) {
		throw new Error(JSON.stringify(result));
	}

	return result;
}

const OVN = {cniVersion: '0.4.0', name: 'ovn-kubernetes', type: 'ovn-k8s-cni-overlay', ipam: {}, dns: {}};

test('renders 00-multus.conf with ovn-kubernetes as the single default delegate', t => {
	const file = renderMultusConfig(primary(OVN), {...INPUT, readinessIndicatorFile: '/etc/cni/net.d/10-ovn-kubernetes.conf'});
	t.is(file.fileName, '00-multus.conf');
	const config = JSON.parse(file.text) as Record<string, unknown>;
	t.deepEqual(Object.keys(config), ['cniVersion', 'name', 'type', 'readinessindicatorfile', 'kubeconfig', 'delegates']);
	t.is(config['name'], 'multus-cni-network');
	t.is(config['type'], 'multus');
	t.deepEqual(config['delegates'], [OVN]);
	t.true(file.text.endsWith('}\n'));
});

test('no dead cniConf key; confDir only when given, as the host path', t => {
	t.false(renderMultusConfig(primary(OVN), INPUT).text.includes('cniConf'));
	const config = JSON.parse(renderMultusConfig(primary(OVN), {...INPUT, confDir: '/etc/cni/multus/net.d'}).text) as Record<string, unknown>;
	t.is(config['confDir'], '/etc/cni/multus/net.d');
});

test('cniVersion >= 1.0.0 gives a .conflist with multus as the one plugin', t => {
	const file = renderMultusConfig(primary({...OVN, cniVersion: '1.1.0'}), INPUT);
	t.is(file.fileName, '00-multus.conflist');
	t.is(file.otherFileName, '00-multus.conf');
	const config = JSON.parse(file.text) as {plugins: Array<Record<string, unknown>>};
	t.is(config.plugins.length, 1);
	t.is(config.plugins[0]!['type'], 'multus');
});

test('every optional key, in upstream order, with values escaped', t => {
	const file = renderMultusConfig(primary({cniVersion: '0.3.1', name: 'we"ird\u0001', plugins: [{type: 'a', capabilities: {portMappings: true}}, {type: 'b', capabilities: {bandwidth: true}}]}), {
		...INPUT,
		overrideNetworkName: true,
		namespaceIsolation: true,
		globalNamespaces: 'default,openshift-multus',
		logToStderr: false,
		logLevel: 'VERBOSE',
		logFile: '/var/log/multus.log',
		additionalBinDir: '/opt/multus/bin',
		confDir: '/etc/cni/multus/net.d',
		readinessIndicatorFile: '/r',
		kubeconfig: '/k"',
	});
	const config = JSON.parse(file.text) as Record<string, unknown>;
	t.deepEqual(Object.keys(config), ['cniVersion', 'name', 'type', 'capabilities', 'namespaceIsolation', 'globalNamespaces', 'logToStderr', 'logLevel', 'logFile', 'binDir', 'confDir', 'readinessindicatorfile', 'kubeconfig', 'delegates']);
	t.is(config['name'], 'we"ird\u0001');
	t.deepEqual(config['capabilities'], {bandwidth: true, portMappings: true});
	t.is(config['logLevel'], 'verbose');
	t.is(config['kubeconfig'], '/k"');
});

test('a --cni-version mismatch is an error naming the file and the flag', t => {
	const error = t.throws(() => renderMultusConfig(primary(OVN), {...INPUT, cniVersion: '1.0.0'}), {instanceOf: CniConfigError});
	t.regex(error.message, /10-ovn-kubernetes\.conf has cniVersion "0\.4\.0" but --cni-version is "1\.0\.0"/);
	t.regex(error.message, /Drop --cni-version/);
});

test('--force-cni-version rewrites the delegate too', t => {
	const file = renderMultusConfig(primary(OVN), {...INPUT, cniVersion: '1.0.0', forceCniVersion: true});
	const config = JSON.parse(file.text) as {cniVersion: string; plugins: Array<{delegates: Array<{cniVersion: string}>}>};
	t.is(file.fileName, '00-multus.conflist');
	t.is(config.cniVersion, '1.0.0');
	t.is(config.plugins[0]!.delegates[0]!.cniVersion, '1.0.0');
});

test('rendering does not change the parsed primary', t => {
	const parsed = primary(OVN);
	renderMultusConfig(parsed, {...INPUT, cniVersion: '1.0.0', forceCniVersion: true});
	t.is(parsed.config['cniVersion'], '0.4.0');
});
