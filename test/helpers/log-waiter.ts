// Waits, by event and never by sleeping, for a child's next log line that matches; used by every agent runner.
import type {ChildProcess} from 'node:child_process';

// A predicate on a parsed line, or the value of its "event" field.
export type LinePredicate<Line> = string | ((line: Line) => boolean);

// The waiter: call wake() whenever a line arrives or the child exits; waitFor() resolves with the next match.
export interface LogWaiter<Line> {
	wake(): void;
	waitFor(predicate: LinePredicate<Line>, timeoutMs: number): Promise<Line>;
}

// Follows lines (appended by the caller) of child; describe() says what was seen, for the error messages.
export function createLogWaiter<Line extends {event?: string}>(child: ChildProcess, lines: readonly Line[], describe: () => string): LogWaiter<Line> {
	const waiters = new Set<() => void>();
	let seen = 0;
	return {
		wake() {
			for (const check of waiters) {
				check();
			}
		},
		async waitFor(predicate, timeoutMs) {
			const matches = typeof predicate === 'string' ? (line: Line) => line.event === predicate : predicate;
			return new Promise<Line>((resolve, reject) => {
				const check = (): void => {
					const index = lines.findIndex((line, at) => at >= seen && matches(line));
					if (index !== -1) {
						seen = index + 1;
						done();
						resolve(lines[index]!);
					} else if (child.exitCode !== null || child.signalCode !== null) {
						done();
						reject(new Error(`exited (${child.exitCode ?? child.signalCode}) before the awaited log line; ${describe()}`));
					}
				};

				const timer = setTimeout(() => {
					done();
					reject(new Error(`timed out after ${timeoutMs} ms waiting for a log line; ${describe()}`));
				}, timeoutMs);
				const done = (): void => {
					clearTimeout(timer);
					waiters.delete(check);
				};

				waiters.add(check);
				check();
			});
		},
	};
}
