// Summaries (min/median/max) and the text table.

// One figure over the runs: numbers, or null for "did not happen before the timeout".
export interface Summary {
	readonly n: number;
	readonly values: ReadonlyArray<number | null>;
	readonly min: number | null;
	readonly median: number | null;
	readonly max: number | null;
	/** How many runs never saw the event. */
	readonly never: number;
}

export function summarize(values: ReadonlyArray<number | null | undefined>): Summary {
	const clean = values.map(value => (value === undefined || value === null || Number.isNaN(value) ? null : value));
	const numbers = clean.filter((value): value is number => value !== null).sort((a, b) => a - b);
	const never = clean.length - numbers.length;
	// A figure that mostly never happened has no meaningful median.
	const median = numbers.length === 0 || never > numbers.length ? null : medianOf(numbers);
	return {
		n: clean.length,
		values: clean.map(value => (value === null ? null : round(value))),
		min: numbers.length > 0 ? round(numbers[0]!) : null,
		median: median === null ? null : round(median),
		max: never > 0 ? null : (numbers.length > 0 ? round(numbers.at(-1)!) : null),
		never,
	};
}

function medianOf(sorted: readonly number[]): number {
	const middle = Math.floor(sorted.length / 2);
	return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
}

export function round(value: number): number {
	return Math.abs(value) >= 100 ? Math.round(value) : Math.round(value * 10) / 10;
}

// "min / median / max", with "never" for events that did not happen.
export function formatSummary(summary: Summary | undefined, timeoutLabel = ''): string {
	if (!summary || summary.n === 0) {
		return 'n/a';
	}

	if (summary.never === summary.n) {
		return `never${timeoutLabel}`;
	}

	const text = [summary.min, summary.median, summary.max].map(value => (value === null ? 'never' : String(value))).join(' / ');
	return summary.never > 0 ? `${text} (${summary.never}/${summary.n} never${timeoutLabel})` : text;
}

// ours / upstream of the medians (a lower number is better for every figure here).
export function ratio(ours: Summary | undefined, upstream: Summary | undefined): number | null {
	if (!ours || !upstream || ours.median === null || upstream.median === null || upstream.median === 0) {
		return null;
	}

	return Math.round(ours.median / upstream.median * 100) / 100;
}

// Renders rows as a fixed-width text table.
export function table(header: readonly string[], rows: ReadonlyArray<readonly string[]>): string {
	const widths = header.map((title, column) => Math.max(title.length, ...rows.map(row => (row[column] ?? '').length)));
	const line = (cells: readonly string[]): string => cells.map((cell, column) => cell.padEnd(widths[column]!)).join('  ').trimEnd();
	return [line(header), line(widths.map(width => '-'.repeat(width))), ...rows.map(row => line(row))].join('\n');
}
