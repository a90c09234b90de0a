import test from 'ava';
import {lints, nodeWith} from './lint-macro.ts';

const bridge = {cniVersion: '0.4.0', name: 'bridge-conf', type: 'bridge', bridge: 'br-test', isGateway: true, ipam: {type: 'host-local', subnet: '10.10.0.0/24', rangeStart: '10.10.0.20', rangeEnd: '10.10.0.50', gateway: '10.10.0.254', dataDir: '/var/lib/cni/br-test'}};
const withKeys = (keys: Record<string, unknown>): Record<string, unknown> => ({...bridge, ...keys});

test('the MicroShift test bridge NAD is clean', lints, bridge, []);
test('a typo of isGateway is a warning with the real name', lints, withKeys({isGateway: undefined, isGatway: true}), [['warning', 'spec.config.isGatway', '"isGatway" is not a bridge key; it looks like a typo of "isGateway"']]);
test('keys are matched case-insensitively, as Go does', lints, withKeys({IsGateway: true}), []);
test('a quoted bool is an error', lints, withKeys({ipMasq: 'true'}), [['error', 'spec.config.ipMasq', 'must be true or false, found the string "true"']]);
test('a quoted mtu is an error', lints, withKeys({mtu: '1500'}), [['error', 'spec.config.mtu', 'must be a whole number, found the string "1500"']]);
test('mtu must fit 0..65535', lints, withKeys({mtu: 70_000}), [['error', 'spec.config.mtu', '70000 is out of range: it must be between 0 and 65535']]);
test('vlan must be 0..4094', lints, withKeys({vlan: 4095}), [['error', 'spec.config.vlan', '4095 is out of range: it must be between 0 and 4094']]);
test('ipMasqBackend takes iptables or nftables', lints, withKeys({ipMasqBackend: 'ipfw'}), [['error', 'spec.config.ipMasqBackend', 'must be one of "iptables", "nftables", found the string "ipfw"']]);
test('a bridge name longer than 15 bytes', lints, withKeys({bridge: 'br-much-too-long-name'}), [['error', 'spec.config.bridge', '"br-much-too-long-name" is 21 bytes; Linux interface names are at most 15']]);
test('hairpinMode with promiscMode', lints, withKeys({hairpinMode: true, promiscMode: true}), [['error', 'spec.config.promiscMode', 'cannot be combined with "hairpinMode": true (bridge fails with "cannot set hairpin mode and promiscuous mode at the same time")']]);
test('disableContainerInterface with IPAM', lints, withKeys({disableContainerInterface: true}), [['error', 'spec.config.disableContainerInterface', 'cannot be used with IPAM (bridge fails with "cannot use IPAM when DisableContainerInterface flag is set")']]);
test('isGateway false with isDefaultGateway true', lints, withKeys({isGateway: false, isDefaultGateway: true}), [['warning', 'spec.config.isGateway', 'is false but "isDefaultGateway" is true, which turns isGateway on anyway']]);
test('vlanTrunk IDs are 1..4094', lints, withKeys({vlanTrunk: [{id: 0}]}), [['error', 'spec.config.vlanTrunk[0].id', 'must be a VLAN ID between 1 and 4094, found 0 (bridge fails with "incorrect trunk id parameter")']]);
test('vlanTrunk minID without maxID', lints, withKeys({vlanTrunk: [{minID: 10}]}), [['error', 'spec.config.vlanTrunk[0].maxID', 'is missing: minID and maxID must be given together']]);
test('vlanTrunk minID above maxID', lints, withKeys({vlanTrunk: [{minID: 20, maxID: 10}]}), [['error', 'spec.config.vlanTrunk[0].minID', '20 is greater than maxID 10']]);
test('vlanTrunk entries are objects', lints, withKeys({vlanTrunk: [10]}), [['error', 'spec.config.vlanTrunk[0]', 'a trunk entry must be an object: {"id": 10} or {"minID": 10, "maxID": 20}']]);
test('on a node, a bridge name taken by a NIC', lints, withKeys({bridge: 'eth0'}), [['error', 'spec.config.bridge', '"eth0" already exists on this node and is not a bridge (bridge fails with "already exists but is not a bridge")']], {catalog: undefined, node: nodeWith({eth0: {}})});
test('on a node, an existing bridge is fine', lints, bridge, [], {catalog: undefined, node: nodeWith({'br-test': {bridge: true}})});
