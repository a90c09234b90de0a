import test from 'ava';
import {compareCniVersions, KNOWN_CNI_VERSIONS, needsConfList, parseCniVersion} from '../../cni/version.ts';

test('orders every released version', t => {
	const shuffled = [...KNOWN_CNI_VERSIONS].reverse();
	t.deepEqual(shuffled.sort(compareCniVersions), [...KNOWN_CNI_VERSIONS]);
});

test('1.0.0 and later need a conflist; numeric, not string, comparison', t => {
	t.false(needsConfList('0.4.0'));
	t.true(needsConfList('1.0.0'));
	t.true(needsConfList('1.1.0'));
	t.true(needsConfList('10.0.0'));
});

test('rejects what is not x.y.z', t => {
	t.is(parseCniVersion('1.0'), undefined);
	t.is(parseCniVersion('v1.0.0'), undefined);
	t.deepEqual(parseCniVersion('0.3.1'), [0, 3, 1]);
});
