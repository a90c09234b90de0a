import test from 'ava';
import {lints, nodeWith} from './lint-macro.ts';

const ipvlan = {cniVersion: '0.4.0', name: 'test', type: 'ipvlan', master: 'eth2', mode: 'l2', ipam: {type: 'static', addresses: [{address: '192.168.112.2/24'}]}};
const withKeys = (keys: Record<string, unknown>): Record<string, unknown> => ({...ipvlan, ...keys});

test('the MicroShift test ipvlan NAD (static) is clean', lints, ipvlan, []);
test('ipvlan with dhcp is unsupported', lints, withKeys({ipam: {type: 'dhcp'}}), [['error', 'spec.config.ipam.type', 'ipvlan cannot use dhcp: every ipvlan interface shares the master\'s MAC address and the dhcp daemon sends no client ID, so the DHCP server cannot tell pods apart']]);
test('ipvlan without IPAM', lints, withKeys({ipam: {}}), [['error', 'spec.config.ipam', 'ipvlan needs IPAM with a "type": it always calls an IPAM plugin, so the ADD fails without one']]);
test('an unknown mode', lints, withKeys({mode: 'l4'}), [['error', 'spec.config.mode', 'must be one of "", "l2", "l3", "l3s", found the string "l4"']]);
test('a master name that cannot exist', lints, withKeys({master: 'eth:1'}), [['error', 'spec.config.master', '"eth:1" is not a valid interface name (no "/", ":" or spaces; not "." or "..")']]);
test('on a node, a missing master lists the node\'s interfaces', lints, ipvlan, [['error', 'spec.config.master', '"eth2" does not exist on this node (no /host/sys/class/net/eth2)']], {catalog: undefined, node: nodeWith({eth0: {}, eth1: {}})});
test('chained after another plugin, ipvlan takes the previous result', lints, {cniVersion: '1.0.0', name: 'chain', plugins: [{type: 'bridge', bridge: 'br0', ipam: {type: 'host-local', ranges: [[{subnet: '10.1.0.0/24'}]]}}, {type: 'ipvlan'}]}, []);
