import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test from 'ava';
import {processTag} from '../../agent/fs-atomic.ts';
import {sweepStaleTemps} from '../../agent/temp-sweep.ts';

test('removes temps of dead processes and old foreign ones, keeps live ones', async t => {
	const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'sweep-'));
	const [namespace] = processTag.split('-');
	const dead = `.00-multus.conf.tmp-${namespace}-999999999-ab12`;
	const live = `.00-multus.conf.tmp-${namespace}-${process.ppid}-ab12`;
	const mine = `.00-multus.conf.tmp-${processTag}-cd34`;
	const foreignOld = '.bridge.tmp-1-7-ef56';
	const foreignNew = '.bridge.tmp-2-7-ef56';
	for (const name of [dead, live, mine, foreignOld, foreignNew, '00-multus.conf']) {
		await fs.writeFile(path.join(dir, name), '');
	}

	const old = new Date(Date.now() - 120_000);
	await fs.utimes(path.join(dir, foreignOld), old, old);
	const removed = await sweepStaleTemps([dir]);
	t.deepEqual(removed.map(file => path.basename(file)).sort(), [dead, foreignOld].sort());
	t.deepEqual((await fs.readdir(dir)).sort(), [live, mine, foreignNew, '00-multus.conf'].sort());
});
