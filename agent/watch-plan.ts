// Which directories the agent watches, and which task a change in each one wakes.
import path from 'node:path';
import type {Options} from './options.ts';
import type {Task} from './reconciler.ts';

// Maps each watched directory (resolved) to the tasks a change there requests.
export function planWatches(options: Options, watchesBinaries: boolean): Map<string, Set<Task>> {
	const plan = new Map<string, Set<Task>>();
	const on = (directory: string, task: Task): void => {
		const key = path.resolve(directory);
		plan.set(key, (plan.get(key) ?? new Set<Task>()).add(task));
	};

	on(options.serviceAccountDir, 'kubeconfig');
	on(path.dirname(options.paths.kubeconfig), 'kubeconfig');
	on(options.cniConfDir, 'config');
	on(options.multusConfFile === 'auto' ? options.multusAutoconfigDir : path.dirname(options.multusConfFile), 'config');
	if (options.paths.readinessIndicator !== undefined) {
		on(path.dirname(options.paths.readinessIndicator), 'config');
	}

	if (watchesBinaries) {
		on(options.cniBinDir, 'binaries');
	}

	return plan;
}
