import test from 'ava';
import {lints} from './lint-macro.ts';

const config = (ipam: Record<string, unknown>, cniVersion = '0.4.0', extra: Record<string, unknown> = {}): Record<string, unknown> => ({cniVersion, name: 'net', type: 'ipvlan', master: 'eth1', ipam: {type: 'static', ...ipam}, ...extra});

test('addresses with gateways and routes are clean', lints, config({addresses: [{address: '192.168.112.2/24', gateway: '192.168.112.1'}], routes: [{dst: '0.0.0.0/0'}], dns: {nameservers: ['192.168.112.1']}}), []);
test('an address without prefix', lints, config({addresses: [{address: '192.168.112.2'}]}), [['error', 'spec.config.ipam.addresses[0].address', '"192.168.112.2" is not in CIDR notation (static fails with "the \'address\' field is expected to be in CIDR notation")']]);
test('an entry without address', lints, config({addresses: [{gateway: '192.168.112.1'}]}), [['error', 'spec.config.ipam.addresses[0].address', 'is missing']]);
test('a gateway outside the address\'s subnet', lints, config({addresses: [{address: '192.168.112.2/24', gateway: '192.168.113.1'}]}), [['warning', 'spec.config.ipam.addresses[0].gateway', '192.168.113.1 is outside 192.168.112.2/24, so it is not reachable on this interface']]);
test('a gateway that is not an IP', lints, config({addresses: [{address: '192.168.112.2/24', gateway: 'router'}]}), [['error', 'spec.config.ipam.addresses[0].gateway', '"router" is not an IP address']]);
test('no addresses and no ips capability', lints, config({}), [['warning', 'spec.config.ipam.addresses', 'static has no addresses and the config does not declare the "ips" capability, so pods get no IP address']]);
test('no addresses with the ips capability', lints, config({}, '0.4.0', {capabilities: {ips: true}}), []);
test('two addresses of one family need cniVersion 0.3.0', lints, config({addresses: [{address: '10.1.0.2/24'}, {address: '10.2.0.2/24'}]}, '0.2.0'), [['error', 'spec.config.ipam.addresses', 'cniVersion 0.2.0 allows one address per family (static fails with "does not support more than 1 address per family")']]);
test('a name server that is not an IP', lints, config({addresses: [{address: '10.1.0.2/24'}], dns: {nameservers: ['dns.example.com']}}), [['warning', 'spec.config.ipam.dns.nameservers[0]', '"dns.example.com" is not an IP address']]);
test('a typo of addresses', lints, config({adresses: [{address: '10.1.0.2/24'}]}), [['warning', 'spec.config.ipam.adresses', '"adresses" is not a static ipam key; it looks like a typo of "addresses"'], ['warning', 'spec.config.ipam.addresses', 'static has no addresses and the config does not declare the "ips" capability, so pods get no IP address']]);
