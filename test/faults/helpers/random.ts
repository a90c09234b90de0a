// Seeded randomness for fault trials: every test logs its seed, and FAULT_SEED=<n> replays a run exactly.
import {randomInt} from 'node:crypto';
import type {ExecutionContext} from 'ava';

// A reproducible random source (mulberry32) with the helpers trials need.
export interface Random {
	readonly seed: number;
	/** A float in [0, 1). */
	next(): number;
	/** An integer in [min, max]. */
	int(min: number, max: number): number;
	pick<T>(items: readonly T[]): T;
}

// Creates the test's random source from FAULT_SEED or a fresh seed, and prints the seed.
export function seededRandom(t: ExecutionContext): Random {
	const given = process.env['FAULT_SEED'];
	const seed = given === undefined || given === '' ? randomInt(2 ** 31) : Number(given) >>> 0;
	t.log(`seed ${seed} (replay with FAULT_SEED=${seed})`);
	let state = seed;
	const next = (): number => {
		state = (state + 0x6D_2B_79_F5) >>> 0;
		let value = state;
		value = Math.imul(value ^ (value >>> 15), value | 1);
		value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
		return ((value ^ (value >>> 14)) >>> 0) / 4_294_967_296;
	};

	return {
		seed,
		next,
		int: (min, max) => min + Math.floor(next() * (max - min + 1)),
		pick: items => items[Math.floor(next() * items.length)]!,
	};
}
