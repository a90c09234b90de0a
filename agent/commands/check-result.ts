// One verdict of doctor: which check, how it came out, what it found and the fix; printed as text or JSON.
import {writeJson, type CommandContext} from './command.ts';

// How a check came out; only "fail" makes doctor exit non-zero.
export type Verdict = 'ok' | 'warn' | 'fail' | 'skip';

// One line of the doctor report.
export interface CheckResult {
	readonly check: string;
	readonly verdict: Verdict;
	readonly message: string;
	readonly fix?: string;
}

// Builds a result; a fix is printed only for warn and fail.
export function verdict(check: string, outcome: Verdict, message: string, fix?: string): CheckResult {
	return fix === undefined ? {check, verdict: outcome, message} : {check, verdict: outcome, message, fix};
}

// Writes the results (and any extra JSON fields) as text or JSON.
export function printCheckResults(title: string, results: readonly CheckResult[], format: string, context: CommandContext, extra: Record<string, unknown> = {}): void {
	const count = (outcome: Verdict): number => results.filter(result => result.verdict === outcome).length;
	if (format === 'json') {
		writeJson(context, {checks: results, summary: {ok: count('ok'), warn: count('warn'), fail: count('fail'), skip: count('skip')}, ...extra});
		return;
	}

	const width = Math.max(...results.map(result => result.check.length), 5);
	const lines = [title];
	for (const result of results) {
		lines.push(`${(result.verdict === 'fail' ? 'FAIL' : result.verdict).padEnd(5)} ${result.check.padEnd(width)}  ${result.message}`);
		if (result.fix !== undefined && (result.verdict === 'fail' || result.verdict === 'warn')) {
			lines.push(`${' '.repeat(width + 8)}Fix: ${result.fix}`);
		}
	}

	const plural = (number: number, word: string): string => `${number} ${word}${number === 1 ? '' : 's'}`;
	const failed = count('fail');
	const others = [`${count('ok')} ok`, ...(count('warn') > 0 ? [plural(count('warn'), 'warning')] : []), ...(count('skip') > 0 ? [`${count('skip')} skipped`] : [])].join(', ');
	lines.push('', failed > 0
		? `doctor: ${failed} failed (${others}): Multus does not work on this node until the failures are fixed`
		: `doctor: nothing failed (${others})`);
	context.stdout.write(`${lines.join('\n')}\n`);
}
