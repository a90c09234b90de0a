import test from 'ava';
import {lints, nodeWith} from './lint-macro.ts';

const macvlan = {cniVersion: '0.4.0', name: 'test', type: 'macvlan', master: 'eth1', mode: 'bridge', ipam: {type: 'dhcp'}};
const withKeys = (keys: Record<string, unknown>): Record<string, unknown> => ({...macvlan, ...keys});
const node = {catalog: undefined, node: nodeWith({lo: {mtu: 65_536}, eth0: {}, eth1: {mtu: 1500}, wlan0: {wireless: true}})};

test('the MicroShift test macvlan NAD (dhcp) is clean', lints, macvlan, []);
test('an unknown mode', lints, withKeys({mode: 'bridged'}), [['error', 'spec.config.mode', 'must be one of "", "bridge", "private", "vepa", "passthru", found the string "bridged"']]);
test('a MAC that does not parse', lints, withKeys({mac: '00:11:22:33:44'}), [['error', 'spec.config.mac', '"00:11:22:33:44" is not a MAC address']]);
test('bcqueuelen is an unsigned 32-bit number', lints, withKeys({bcqueuelen: -1}), [['error', 'spec.config.bcqueuelen', '-1 is out of range: it must be between 0 and 4294967295']]);
test('no master: the default-route interface is used', lints, withKeys({master: undefined}), [['warning', 'spec.config.master', 'is not set: macvlan attaches to whatever interface holds the default route when the pod starts']]);
test('a typo of master', lints, withKeys({master: undefined, mater: 'eth1'}), [['warning', 'spec.config.mater', '"mater" is not a macvlan key; it looks like a typo of "master"'], ['warning', 'spec.config.master', 'is not set: macvlan attaches to whatever interface holds the default route when the pod starts']]);
test('on a node, a master that does not exist', lints, withKeys({master: 'eth9'}), [['error', 'spec.config.master', '"eth9" does not exist on this node (no /host/sys/class/net/eth9)']], node);
test('on a node, an mtu above the master\'s', lints, withKeys({mtu: 9000}), [['error', 'spec.config.mtu', '9000 is larger than the MTU of the master eth1 (1500)']], node);
test('on a node, a wireless master', lints, withKeys({master: 'wlan0'}), [['warning', 'spec.config.master', '"wlan0" is a wireless interface; most Wi-Fi NICs cannot carry macvlan interfaces']], node);
test('on a node, a master in the container netns is not checked', lints, withKeys({master: 'eth9', linkInContainer: true}), [], node);
test('on a node, an existing master is fine', lints, macvlan, [], node);
