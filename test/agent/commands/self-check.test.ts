// The agent's API self-check without a cluster: unreachable retries until aborted, a broken child is reported once.
import path from 'node:path';
import {PassThrough} from 'node:stream';
import test from 'ava';
import {ApiSelfCheck} from '../../../agent/commands/self-check.ts';
import {createLogger} from '../../../agent/log.ts';
import {createTestNode, installWithAgent} from './node-fixture.ts';

const MAIN = path.resolve(import.meta.dirname, '../../../agent/main.ts');

function logSink(): {log: ReturnType<typeof createLogger>; lines: Array<Record<string, unknown>>} {
	const stream = new PassThrough();
	const lines: Array<Record<string, unknown>> = [];
	stream.on('data', (chunk: Buffer) => {
		lines.push(...chunk.toString().split('\n').filter(Boolean).map(line => JSON.parse(line) as Record<string, unknown>));
	});
	return {log: createLogger('info', stream), lines};
}

test('an unreachable API server is announced once and retried until close()', async t => {
	const node = await createTestNode(t);
	await installWithAgent(node);
	const {log, lines} = logSink();
	const check = new ApiSelfCheck(node.options(), log, {command: [process.execPath, MAIN], retryMinMs: 50, retryMaxMs: 100});
	check.start();
	while (!lines.some(line => line['event'] === 'api-unreachable')) {
		await new Promise(resolve => setTimeout(resolve, 50));
	}

	await new Promise(resolve => setTimeout(resolve, 1500));
	await check.close();
	t.is(await check.settled(), 'aborted');
	t.deepEqual(lines.map(line => line['event']), ['api-unreachable']);
	t.regex(String(lines[0]?.['msg']), /^the API server https:\/\/127\.0\.0\.1:\d+ is not reachable yet; the API self-check retries$/);
});

test('a child that does not report is logged once, with how to see why', async t => {
	const node = await createTestNode(t);
	const {log, lines} = logSink();
	const check = new ApiSelfCheck(node.options(), log, {command: [process.execPath, '-e', 'process.exit(3)']});
	check.start();
	t.is(await check.settled(), 'failed');
	t.deepEqual(lines.map(line => [line['event'], line['msg']]), [['api-self-check-failed', 'the API self-check (multus-agent doctor --api-only) did not report; run it by hand to see why']]);
});
