import {setTimeout as sleep} from 'node:timers/promises';

// Why a probe is not satisfied yet, or true when it is.
export type ProbeResult = true | string;

// Calls probe every intervalMs until it returns true. Fails after timeoutMs, or at once when
// giveUp resolves (e.g. with "etcd exited with code 1"), naming `what` and the last probe result.
export async function pollUntil(
	what: string,
	probe: () => Promise<ProbeResult>,
	options: {intervalMs: number; timeoutMs: number; giveUp?: Promise<string>},
): Promise<void> {
	let gaveUp: string | undefined;
	void options.giveUp?.then((reason) => {
		gaveUp = reason;
	});
	const deadline = Date.now() + options.timeoutMs;
	let last: ProbeResult = 'not probed yet';
	while (gaveUp === undefined) {
		last = await probe().catch((error: unknown) => (error instanceof Error ? error.message : String(error)));
		if (last === true) {
			return;
		}
		if (Date.now() >= deadline) {
			throw new Error(`${what}: not ready after ${options.timeoutMs / 1000}s (last probe: ${last})`);
		}
		await sleep(options.intervalMs);
	}
	throw new Error(`${what}: gave up, ${gaveUp} (last probe: ${last})`);
}
