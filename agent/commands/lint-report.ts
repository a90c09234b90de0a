// Prints lint findings: grouped by object for people, one flat list for tools.
import type {Finding} from '../../cni/nad-lint.ts';
import {writeJson, type CommandContext} from './command.ts';

// A finding with the object it is about.
export interface ObjectFinding extends Finding {
	/** Where the object came from: "file.yaml:12", "stdin:1" or "cluster". */
	readonly source: string;
	/** "NetworkAttachmentDefinition default/bridge-conf", "Pod default/web". */
	readonly object: string;
}

// The whole lint outcome.
export interface LintReport {
	readonly findings: readonly ObjectFinding[];
	readonly objects: number;
	/** What lint checked against (bin dir, interfaces, isolation policy), for people to trust the result. */
	readonly notes: readonly string[];
}

// Counts errors and warnings.
export function countFindings(findings: readonly Finding[]): {errors: number; warnings: number} {
	const errors = findings.filter(finding => finding.severity === 'error').length;
	return {errors, warnings: findings.length - errors};
}

// Writes the report as text or JSON.
export function printLintReport(report: LintReport, format: string, context: CommandContext): void {
	const {errors, warnings} = countFindings(report.findings);
	if (format === 'json') {
		writeJson(context, {findings: report.findings, summary: {errors, warnings, objects: report.objects}, notes: report.notes});
		return;
	}

	const lines: string[] = [];
	let group = '';
	for (const finding of report.findings) {
		const heading = `${finding.source}  ${finding.object}`;
		if (heading !== group) {
			group = heading;
			lines.push(lines.length > 0 ? `\n${heading}` : heading);
		}

		lines.push(`  ${finding.severity.padEnd(7)} ${finding.path}: ${finding.message}`, `          Fix: ${finding.fix}`);
	}

	for (const note of report.notes) {
		lines.push(`${lines.length > 0 && lines.at(-1)?.startsWith('note') !== true ? '\n' : ''}note: ${note}`);
	}

	const plural = (count: number, word: string): string => `${count} ${word}${count === 1 ? '' : 's'}`;
	const verdict = report.findings.length === 0
		? `lint: ${plural(report.objects, 'object')} checked, no problems`
		: `lint: ${plural(errors, 'error')}, ${plural(warnings, 'warning')} in ${plural(report.objects, 'object')}`;
	lines.push(`${lines.length > 0 ? '\n' : ''}${verdict}`);
	context.stdout.write(`${lines.join('\n')}\n`);
}
