import test from 'ava';
import {parseLedger, renderLedger} from '../../agent/ledger.ts';

test('round-trips in sha256sum format, sorted, with a header', t => {
	const hash = 'a'.repeat(64);
	const text = renderLedger(new Map([['static', hash], ['bridge', hash]]));
	t.regex(text, /^# /);
	t.true(text.endsWith(`${hash}  bridge\n${hash}  static\n`));
	t.deepEqual([...parseLedger(text)], [['bridge', hash], ['static', hash]]);
});

test('ignores lines that are not entries (and names with a slash)', t => {
	t.is(parseLedger(`junk\n${'b'.repeat(64)}  ../etc/passwd\n${'c'.repeat(63)}  x\n`).size, 0);
});
