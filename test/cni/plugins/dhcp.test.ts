import test from 'ava';
import {lints} from './lint-macro.ts';

const config = (ipam: Record<string, unknown>): Record<string, unknown> => ({cniVersion: '0.4.0', name: 'net', type: 'macvlan', master: 'eth1', ipam: {type: 'dhcp', ...ipam}});

test('request and provide options are clean', lints, config({request: [{skipDefault: false, option: 'subnet-mask'}, {option: '121'}], provide: [{option: 'host-name', fromArg: 'K8S_POD_NAME'}], priority: 100}), []);
test('an option the plugin cannot parse', lints, config({request: [{option: 'classless-static-routes'}]}), [['error', 'spec.config.ipam.request[0].option', '"classless-static-routes" is not a DHCP option the plugin knows (it fails with "Can not parse option")']]);
test('an option number above 255', lints, config({provide: [{option: '300', value: 'x'}]}), [['error', 'spec.config.ipam.provide[0].option', '"300" is not a DHCP option the plugin knows (it fails with "Can not parse option")']]);
test('a provide entry without option', lints, config({provide: [{value: 'x'}]}), [['error', 'spec.config.ipam.provide[0].option', 'is missing']]);
test('a value over 255 characters', lints, config({provide: [{option: 'host-name', value: 'x'.repeat(256)}]}), [['error', 'spec.config.ipam.provide[0].value', 'is 256 characters; DHCP option values hold at most 255']]);
test('a relative socket path', lints, config({daemonSocketPath: 'run/cni/dhcp.sock'}), [['error', 'spec.config.ipam.daemonSocketPath', '"run/cni/dhcp.sock" is not an absolute path']]);
test('priority is a number', lints, config({priority: '100'}), [['error', 'spec.config.ipam.priority', 'must be a whole number, found the string "100"']]);
test('a typo of request', lints, config({requests: []}), [['warning', 'spec.config.ipam.requests', '"requests" is not a dhcp ipam key; it looks like a typo of "request"']]);
