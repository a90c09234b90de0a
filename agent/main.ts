// Entry point: argv and signals in, an exit code out. The only module that exits the process.
import {runCommand} from './cli.ts';

const controller = new AbortController();
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
	process.on(signal, () => {
		controller.abort(signal);
	});
}

const code = await runCommand(process.argv.slice(2), process.env, controller.signal);
process.exit(code);
