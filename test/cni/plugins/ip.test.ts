import test from 'ava';
import {contains, formatCidr, formatIp, lastAddress, parseCidr, parseIp} from '../../../cni/plugins/ip.ts';

const valid = test.macro((t, text: string, formatted: string) => {
	const address = parseIp(text);
	t.truthy(address, text);
	t.is(formatIp(address!), formatted);
});

const invalid = test.macro((t, text: string) => {
	t.is(parseIp(text), undefined);
});

test('IPv4', valid, '10.10.0.1', '10.10.0.1');
test('IPv6 shortened', valid, 'fd00:0:0:0:0:0:0:1', 'fd00::1');
test('IPv6 all zeros', valid, '::', '::');
test('IPv6 with an embedded IPv4', valid, '64:ff9b::10.1.2.3', '64:ff9b::a01:203');
test('IPv4-mapped IPv6 counts as IPv4', valid, '::ffff:10.1.2.3', '10.1.2.3');
test('a single zero group is not shortened', valid, '1:0:2:3:4:5:6:7', '1:0:2:3:4:5:6:7');
test('leading zeros in IPv4 are rejected (as Go does)', invalid, '010.1.1.1');
test('an octet above 255', invalid, '10.1.1.256');
test('two double colons', invalid, '1::2::3');
test('a zone', invalid, 'fe80::1%eth0');
test('a CIDR is not an address', invalid, '10.0.0.0/8');

test('CIDRs: network, prefix, containment and last address', t => {
	const cidr = parseCidr('10.10.0.5/24')!;
	t.is(formatCidr(cidr), '10.10.0.0/24');
	t.is(formatIp(cidr.address), '10.10.0.5');
	t.true(contains(cidr, parseIp('10.10.0.255')!));
	t.false(contains(cidr, parseIp('10.10.1.0')!));
	t.false(contains(cidr, parseIp('fd00::1')!));
	t.is(formatIp(lastAddress(cidr)), '10.10.0.255');
	t.is(formatIp(lastAddress(parseCidr('fd00:10::/64')!)), 'fd00:10::ffff:ffff:ffff:ffff');
});

test('bad CIDRs', t => {
	for (const text of ['10.0.0.0', '10.0.0.0/33', '10.0.0.0/', '10.0.0.0/x', 'fd00::/129']) {
		t.is(parseCidr(text), undefined, text);
	}
});
