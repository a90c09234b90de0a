import test from 'ava';
import {parseTable} from '../../../agent/commands/crio-config.ts';

test('reads strings and multi-line string arrays of one table, with comments', t => {
	const values = parseTable(`[crio.runtime]
cni_default_network = "not this table"
[crio.network]
# Override default network so CRI-O waits for and calls Multus CNI instead of ovn-kubernetes.
cni_default_network = "multus-cni-network" # trailing comment
network_dir = '/etc/cni/net.d/'
plugin_dirs = [
        "/run/cni/bin", # comment inside
        "/usr/libexec/cni"
]
[crio.metrics]
plugin_dirs = ["nope"]
`, 'crio.network');
	t.deepEqual(Object.fromEntries(values), {cni_default_network: 'multus-cni-network', network_dir: '/etc/cni/net.d/', plugin_dirs: ['/run/cni/bin', '/usr/libexec/cni']});
});

test('a "#" inside a string is not a comment; escapes are decoded', t => {
	t.deepEqual(Object.fromEntries(parseTable('[ crio . network ]\ncni_default_network = "a#b\\"c"\n', 'crio.network')), {cni_default_network: 'a#b"c'});
});
