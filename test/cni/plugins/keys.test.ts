import test from 'ava';
import {closestName, editDistance} from '../../../cni/plugins/keys.ts';

const distance = test.macro((t, a: string, b: string, expected: number) => {
	t.is(editDistance(a, b), expected);
});

test('equal', distance, 'master', 'master', 0);
test('one deletion', distance, 'mater', 'master', 1);
test('one swap of neighbours', distance, 'isGaetway', 'isGateway', 1);
test('one substitution', distance, 'node', 'mode', 1);
test('empty', distance, '', 'mtu', 3);

test('suggests the single closest key, case-insensitively', t => {
	t.is(closestName('IsGatway', ['isGateway', 'isDefaultGateway']), 'isGateway');
	t.is(closestName('rangestrat', ['rangeStart', 'rangeEnd']), 'rangeStart');
});

test('no suggestion for keys far from every known key, or for an exact match', t => {
	t.is(closestName('logLevel', ['bridge', 'mtu', 'vlan']), undefined);
	t.is(closestName('mtu', ['mtu']), undefined);
});

test('no suggestion when two keys are equally close', t => {
	t.is(closestName('mod', ['mode', 'mod1']), undefined);
});

test('short keys allow one edit only', t => {
	t.is(closestName('mac', ['mtu']), undefined);
	t.is(closestName('mut', ['mtu']), 'mtu');
});
