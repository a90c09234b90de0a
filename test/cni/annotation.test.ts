import test from 'ava';
import {lintPodNetworks, NETWORKS_ANNOTATION, parseNetworksAnnotation, type IsolationPolicy, type NetworkIndex} from '../../cni/annotation.ts';
import type {NetworkSummary} from '../../cni/nad-lint.ts';
import {createFindings} from '../../cni/plugins/finding.ts';

type Expected = [severity: 'error' | 'warning', path: string, message: string];

const at = (index?: number, key?: string): string => `metadata.annotations["${NETWORKS_ANNOTATION}"]${index === undefined ? '' : `[${index}]`}${key ? `.${key}` : ''}`;
const summary = (namespace: string, name: string, capabilities: string[] = []): NetworkSummary => ({namespace, name, types: ['bridge'], capabilities: new Set(capabilities), masters: []});
const cluster: NetworkIndex = {complete: true, networks: new Map([summary('default', 'bridge-conf'), summary('default', 'static-net', ['ips', 'mac']), summary('team-a', 'team-net'), summary('openshift-multus', 'shared')].map(network => [`${network.namespace}/${network.name}`, network]))};
const open: IsolationPolicy = {namespaceIsolation: false, globalNamespaces: ['default']};
const isolated: IsolationPolicy = {namespaceIsolation: true, globalNamespaces: ['default']};

const annotation = test.macro({
	exec(t, value: unknown, expected: Expected[], options: {namespace?: string; policy?: IsolationPolicy; index?: NetworkIndex} = {}) {
		const findings = lintPodNetworks({annotations: {[NETWORKS_ANNOTATION]: value as string}}, options.namespace ?? 'default', 'metadata', options.index ?? cluster, options.policy ?? open);
		t.deepEqual(findings.map(finding => [finding.severity, finding.path, finding.message]), expected);
	},
	title: providedTitle => providedTitle ?? 'annotation',
});

test('a name, ns/name and name@ifname are clean', annotation, 'bridge-conf, team-a/team-net@net2,static-net', []);
test('the JSON form with interface, ips and mac is clean', annotation, '[{"name": "static-net", "interface": "net1", "ips": ["10.10.0.5/24"], "mac": "c2:b0:57:49:47:f1"}]', []);
test('a NAD that does not exist (NoNetworkFound)', annotation, 'bad-conf', [['error', at(0), 'cannot find a network-attachment-definition (bad-conf) in namespace (default)']]);
test('a NAD in the pod\'s own namespace is looked up there', annotation, 'bridge-conf', [['error', at(0), 'cannot find a network-attachment-definition (bridge-conf) in namespace (team-a)']], {namespace: 'team-a'});
test('without the cluster a missing NAD is only a warning', annotation, 'bad-conf', [['warning', at(0), 'cannot find a network-attachment-definition (bad-conf) in namespace (default) among the linted inputs']], {index: {complete: false, networks: new Map()}});
test('namespace isolation forbids another namespace', annotation, 'team-a/team-net', [['error', at(0), 'namespace isolation enabled, annotation violates permission, pod is in namespace default but refers to target namespace team-a']], {policy: isolated});
test('namespace isolation allows the global namespaces', annotation, 'default/bridge-conf', [], {namespace: 'team-a', policy: isolated});
test('--global-namespaces replaces "default"', annotation, 'default/bridge-conf', [['error', at(0), 'namespace isolation enabled, annotation violates permission, pod is in namespace team-a but refers to target namespace default']], {namespace: 'team-a', policy: {namespaceIsolation: true, globalNamespaces: ['openshift-multus']}});
test('upper case in a name', annotation, 'Bridge-Conf', [['error', at(0), '"Bridge-Conf" is not a valid name: names must be lower-case letters, digits and "-", starting and ending with a letter or digit (Multus fails with "mismatch @ \'Bridge-Conf\'")']]);
test('two slashes', annotation, 'a/b/c', [['error', at(0), '"a/b/c" has more than one "/" (Multus fails with "Invalid network object (failed at \'/\')")']]);
test('two at signs', annotation, 'bridge-conf@net1@net2', [['error', at(0), '"bridge-conf@net1@net2" has more than one "@" (Multus fails with "Invalid network object (failed at \'@\')")']]);
test('an interface name over 15 bytes', annotation, 'bridge-conf@a-very-long-ifname', [['error', at(0), 'interface "a-very-long-ifname" is 18 bytes; Linux interface names are at most 15 (Multus fails with "Failed to parse interface name")']]);
test('a stray comma', annotation, 'bridge-conf,', [['error', at(1), 'is an empty entry (a stray comma?); Multus looks up a NAD with an empty name and fails with NoNetworkFound']]);
test('an empty annotation', annotation, ' ', [['warning', at(), 'is empty, so Multus adds no networks']]);
test('JSON that does not parse', annotation, '[{"name": "bridge-conf"]', [['error', at(), 'looks like JSON but does not parse: Expected \',\' or \'}\' after property value in JSON at position 23 (line 1 column 24) (Multus fails with "failed to parse pod Network Attachment Selection Annotation JSON format")']]);
test('a JSON object instead of a list', annotation, '{"name": "bridge-conf"}', [['error', at(), 'must be a JSON list of objects, found object']]);
test('a JSON element without name', annotation, '[{"interface": "net1"}]', [['error', at(0, 'name'), 'is missing; Multus looks up a NAD with an empty name and fails with NoNetworkFound']]);
test('a JSON element with a bad MAC', annotation, '[{"name": "static-net", "mac": "c2:b0:57"}]', [['error', at(0, 'mac'), '"c2:b0:57" is not a MAC address (Multus fails with "failed to mac")']]);
test('a JSON element with a bad IP', annotation, '[{"name": "static-net", "ips": ["10.10.0.300/24"]}]', [['error', at(0, 'ips') + '[0]', '"10.10.0.300/24" is not an IP address or CIDR (Multus fails with "failed to parse CIDR")']]);
test('a typo of a JSON element key', annotation, '[{"name": "bridge-conf", "interfce": "net1"}]', [['warning', at(0, 'interfce'), '"interfce" is not a network selection key; it looks like a typo of "interface"']]);
test('the pre-3.2 interfaceRequest key', annotation, '[{"name": "bridge-conf", "interfaceRequest": "net1"}]', [['warning', at(0, 'interfaceRequest'), 'is the pre-3.2 spelling; Multus still reads it for compatibility']]);
test('requesting eth0', annotation, 'bridge-conf@eth0', [['error', at(0, 'interface'), '"eth0" is the pod\'s default network interface']]);
test('one interface name twice', annotation, 'bridge-conf@net1, static-net@net1', [['error', at(1, 'interface'), '"net1" is already requested for default/bridge-conf']]);
test('ips on a NAD without the ips capability', annotation, '[{"name": "bridge-conf", "ips": ["10.10.0.5/24"]}]', [['warning', at(0, 'ips'), 'default/bridge-conf does not declare the "ips" capability, so the requested addresses are ignored']]);
test('a MAC on a NAD without the mac capability', annotation, '[{"name": "bridge-conf", "mac": "c2:b0:57:49:47:f1"}]', [['warning', at(0, 'mac'), 'default/bridge-conf does not declare the "mac" capability, so the requested MAC is ignored']]);
test('a non-string annotation', annotation, 5, [['error', at(), 'must be a string, found number']]);

test('pod templates are linted at their own path', t => {
	const findings = lintPodNetworks({annotations: {[NETWORKS_ANNOTATION]: 'bad-conf'}}, 'default', 'spec.template.metadata', cluster, open);
	t.is(findings[0]?.path, `spec.template.metadata.annotations["${NETWORKS_ANNOTATION}"][0]`);
});

test('parsing defaults the namespace to the pod\'s and keeps interface, ips and mac', t => {
	const findings = createFindings();
	t.deepEqual(parseNetworksAnnotation('team-a/team-net@net2, bridge-conf', 'web', 'p', findings).map(({name, namespace, interface: ifname}) => [namespace, name, ifname]), [['team-a', 'team-net', 'net2'], ['web', 'bridge-conf', undefined]]);
	const json = parseNetworksAnnotation('[{"name": "x", "namespace": "y", "ips": ["10.1.0.2"], "mac": "02:00:00:00:00:01", "interface": "net9"}]', 'web', 'p', findings)[0];
	t.like(json, {name: 'x', namespace: 'y', ips: ['10.1.0.2'], mac: '02:00:00:00:00:01', interface: 'net9'});
	t.deepEqual(findings.list, []);
});
