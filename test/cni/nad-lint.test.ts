import test from 'ava';
import type {JsonObject} from '../../cni/json.ts';
import {lintNetworkAttachmentDefinition, lintNetworkSet, referencedPluginTypes, type PluginCatalog} from '../../cni/nad-lint.ts';
import {lints, nad, OFF_NODE, type Expected} from './plugins/lint-macro.ts';

const bridge = {cniVersion: '0.4.0', type: 'bridge', bridge: 'br0', ipam: {type: 'host-local', ranges: [[{subnet: '10.1.0.0/24'}]]}};
const catalog = (plugins: Record<string, readonly string[] | string>): PluginCatalog => ({dir: '/host/run/cni/bin', plugins: new Map(Object.entries(plugins).map(([type, value]) => [type, typeof value === 'string' ? {problem: value} : {versions: value}]))});
const all = ['0.1.0', '0.2.0', '0.3.0', '0.3.1', '0.4.0', '1.0.0', '1.1.0'];

const object = test.macro((t, value: JsonObject, expected: Expected[]) => {
	const {findings} = lintNetworkAttachmentDefinition(value, OFF_NODE);
	t.deepEqual(findings.map(finding => [finding.severity, finding.path, finding.message]), expected);
});

test('spec.config that is not JSON', lints, '{"cniVersion": "0.4.0", "type": "bridge",}', [['error', 'spec.config', 'is not valid JSON: Expected double-quoted property name in JSON at position 41 (line 1 column 42)']]);
test('spec.config that is a JSON array', lints, '[{"type": "bridge"}]', [['error', 'spec.config', 'must hold a JSON object, found array']]);
test('spec.config written as a YAML object', object, {...nad({}), spec: {config: {type: 'bridge'}}}, [['error', 'spec.config', 'must be a string holding JSON, found object']]);
test('no spec.config: Multus reads a file from its confDir', object, {...nad({}), spec: {}}, [['warning', 'spec.config', 'is empty: Multus then looks for a CNI config file whose "name" is "test-net" in its confDir (default /etc/cni/multus/net.d) and fails if there is none']]);
test('no metadata.name', object, {...nad(bridge), metadata: {}}, [['error', 'metadata.name', 'is missing']]);
test('a name the short annotation form cannot reference', object, nad(bridge, 'bridge.conf'), [['warning', 'metadata.name', '"bridge.conf" is not a DNS-1123 label, so the short annotation form (k8s.v1.cni.cncf.io/networks: bridge.conf) cannot reference it']]);
test('a wrong apiVersion', object, {...nad(bridge), apiVersion: 'k8s.cni.cncf.io/v1beta1'}, [['warning', 'apiVersion', 'is "k8s.cni.cncf.io/v1beta1"; NetworkAttachmentDefinitions are served as k8s.cni.cncf.io/v1']]);
test('no cniVersion', lints, {...bridge, cniVersion: undefined}, [['warning', 'spec.config.cniVersion', 'is missing, so plugins treat the config as version 0.1.0 (the oldest result format)']]);
test('a cniVersion that is not a version', lints, {...bridge, cniVersion: '1.0'}, [['error', 'spec.config.cniVersion', '"1.0" is not a CNI version']]);
test('a cniVersion no plugin supports (off a node)', lints, {...bridge, cniVersion: '2.0.0'}, [['error', 'spec.config.cniVersion', '"2.0.0" is not a released CNI version (0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0, 1.0.0, 1.1.0), so no plugin supports it']]);
test('no type', lints, {cniVersion: '0.4.0'}, [['error', 'spec.config.type', 'is missing']]);
test('a type with a path', lints, {cniVersion: '0.4.0', type: '/opt/cni/bin/bridge'}, [['error', 'spec.config.type', 'must be a plugin binary name, found "/opt/cni/bin/bridge"']]);
test('an IPAM plugin as the main type', lints, {cniVersion: '0.4.0', type: 'host-local', ranges: [[{subnet: '10.1.0.0/24'}]]}, [['error', 'spec.config.type', '"host-local" is an IPAM plugin; it cannot create an interface']]);
test('a main plugin as the ipam type', lints, {...bridge, ipam: {type: 'bridge'}}, [['error', 'spec.config.ipam.type', '"bridge" is not an IPAM plugin']]);
test('ipam keys without a type', lints, {...bridge, ipam: {subnet: '10.1.0.0/24'}}, [['warning', 'spec.config.ipam.type', 'is missing, so no IPAM plugin runs and the rest of "ipam" is ignored (bridge sets up layer 2 only)']]);
test('a plugin MicroShift does not ship (off a node)', lints, {cniVersion: '0.4.0', type: 'vlan', master: 'eth0', vlanId: 10}, [['warning', 'spec.config.type', '"vlan" is not one of the plugins MicroShift ships (bridge, macvlan, ipvlan, host-local, static, dhcp); lint cannot check its keys']]);
test('an invalid network name', lints, {...bridge, name: 'my net'}, [['error', 'spec.config.name', '"my net" is not a valid network name (letters, digits, "_", "." and "-", starting with a letter or digit)']]);
test('capabilities must be booleans', lints, {...bridge, capabilities: {mac: 'yes'}}, [['error', 'spec.config.capabilities.mac', 'must be true or false, found "yes"']]);
test('an empty plugin list', lints, {cniVersion: '1.0.0', name: 'x', plugins: []}, [['error', 'spec.config.plugins', 'is empty (libcni fails with "no plugins in list")']]);
test('a plugin list entry that is not an object', lints, {cniVersion: '1.0.0', name: 'x', plugins: ['bridge']}, [['error', 'spec.config.plugins[0]', 'must be a plugin object, found string']]);
test('plugins in a list are linted with the list\'s cniVersion', lints, {cniVersion: '1.0.0', name: 'x', plugins: [{...bridge, cniVersion: undefined, isGatway: true}]}, [['warning', 'spec.config.plugins[0].isGatway', '"isGatway" is not a bridge key; it looks like a typo of "isGateway"']]);
test('a typo of "plugins"', lints, {cniVersion: '1.0.0', name: 'x', plugin: [bridge]}, [['error', 'spec.config.plugin', '"plugin" looks like a typo of "plugins"; without "plugins" the config is read as a single plugin'], ['error', 'spec.config.type', 'is missing']]);
test('on a node: no binary for the type', lints, bridge, [['error', 'spec.config.type', 'no "bridge" binary in /host/run/cni/bin, so every pod using this network fails (failed to find plugin "bridge")']], {catalog: catalog({'host-local': all}), node: undefined});
test('on a node: no binary for the ipam type', lints, bridge, [['error', 'spec.config.ipam.type', 'no "host-local" binary in /host/run/cni/bin, so every pod using this network fails (failed to find plugin "host-local")']], {catalog: catalog({bridge: all}), node: undefined});
test('on a node: a binary that does not answer VERSION', lints, bridge, [['error', 'spec.config.type', 'the bridge binary in /host/run/cni/bin is not usable: it is not executable (mode 0644)']], {catalog: catalog({bridge: 'it is not executable (mode 0644)', 'host-local': all}), node: undefined});
test('on a node: a cniVersion the installed plugin does not support', lints, {...bridge, cniVersion: '1.0.0'}, [['error', 'spec.config.cniVersion', '"1.0.0" is not supported by the installed bridge (it supports 0.1.0, 0.2.0, 0.3.0, 0.3.1, 0.4.0); the runtime fails with "incompatible CNI versions"']], {catalog: catalog({bridge: all.slice(0, 5), 'host-local': all}), node: undefined});
test('on a node: a plugin MicroShift does not ship is fine when installed', lints, {cniVersion: '0.4.0', type: 'vlan', master: 'eth0', vlanId: 10}, [], {catalog: catalog({vlan: all}), node: undefined});

test('the types a NAD needs, for asking the bin dir', t => {
	t.deepEqual(referencedPluginTypes(nad({cniVersion: '1.0.0', plugins: [bridge, {type: 'tuning'}]})), ['bridge', 'host-local', 'tuning']);
	t.deepEqual(referencedPluginTypes(nad('not json')), []);
});

test('between NADs: the same name twice, and one master for macvlan and ipvlan', t => {
	const results = [
		nad({cniVersion: '0.4.0', type: 'macvlan', master: 'eth1', ipam: {type: 'dhcp'}}, 'a'),
		nad({cniVersion: '0.4.0', type: 'ipvlan', master: 'eth1', ipam: {type: 'static', addresses: [{address: '10.1.0.2/24'}]}}, 'b'),
		nad(bridge, 'a'),
	].map(value => lintNetworkAttachmentDefinition(value, OFF_NODE));
	t.deepEqual(lintNetworkSet(results).map(findings => findings.map(finding => finding.message)), [
		[],
		['"eth1" is also the master of macvlan in default/a; one interface cannot carry macvlan and ipvlan children at the same time'],
		['default/a is defined twice in the input; the later one replaces the earlier when applied'],
	]);
});
