// Runs host-sync tasks one at a time; requests made while busy are coalesced, never lost.

// The kinds of work the agent does to keep the host right.
export type Task = 'kubeconfig' | 'binaries' | 'config';

// A serial, coalescing runner: request() marks a task dirty, one loop drains them in order.
export class Reconciler {
	readonly #run: (tasks: ReadonlySet<Task>) => Promise<void>;
	readonly #delayMs: number;
	readonly #pending = new Set<Task>();
	#timer: NodeJS.Timeout | undefined;
	#running: Promise<void> | undefined;
	#busy = false;
	#closed = false;

	constructor(run: (tasks: ReadonlySet<Task>) => Promise<void>, delayMs: number) {
		this.#run = run;
		this.#delayMs = delayMs;
	}

	// Marks a task to run after the coalescing delay (or after delayMs when given).
	request(task: Task, delayMs = this.#delayMs): void {
		if (this.#closed) {
			return;
		}

		this.#pending.add(task);
		if (this.#busy || this.#timer) {
			return;
		}

		this.#timer = setTimeout(() => {
			this.#timer = undefined;
			this.#busy = true;
			this.#running = this.#drain();
		}, delayMs);
	}

	// Resolves once nothing is pending or running.
	async settled(): Promise<void> {
		while (this.#busy || this.#timer) {
			await (this.#running ?? new Promise(resolve => {
				setTimeout(resolve, this.#delayMs);
			}));
		}
	}

	// Stops taking requests and waits for the task in flight.
	async close(): Promise<void> {
		this.#closed = true;
		clearTimeout(this.#timer);
		this.#timer = undefined;
		this.#pending.clear();
		await this.#running;
	}

	async #drain(): Promise<void> {
		try {
			while (this.#pending.size > 0 && !this.#closed) {
				const tasks = new Set(this.#pending);
				this.#pending.clear();
				await this.#run(tasks);
			}
		} finally {
			this.#busy = false;
			this.#running = undefined;
		}
	}
}
