import test from 'ava';
import {Reconciler, type Task} from '../../agent/reconciler.ts';

test('coalesces a burst into one run and never runs two at once', async t => {
	const runs: Task[][] = [];
	let active = 0;
	let maxActive = 0;
	const reconciler = new Reconciler(async tasks => {
		active++;
		maxActive = Math.max(maxActive, active);
		runs.push([...tasks]);
		await new Promise(resolve => {
			setImmediate(resolve);
		});
		active--;
	}, 5);
	for (let index = 0; index < 50; index++) {
		reconciler.request('config');
		reconciler.request('kubeconfig');
	}

	await reconciler.settled();
	t.deepEqual(runs, [['config', 'kubeconfig']]);
	t.is(maxActive, 1);
});

test('a request made while running is not lost', async t => {
	const runs: Array<readonly Task[]> = [];
	let reconciler: Reconciler;
	reconciler = new Reconciler(async tasks => {
		runs.push([...tasks]);
		if (runs.length === 1) {
			reconciler.request('binaries');
		}
	}, 1);
	reconciler.request('config');
	await reconciler.settled();
	t.deepEqual(runs, [['config'], ['binaries']]);
	await reconciler.close();
	reconciler.request('config');
	await reconciler.settled();
	t.is(runs.length, 2);
});
