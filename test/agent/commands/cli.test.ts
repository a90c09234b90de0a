// The command table in bin/multus-agent: every subcommand is listed, and the agent stays the default.
import test from 'ava';
import {findCommand} from '../../../agent/commands/table.ts';
import {runCli} from './helpers.ts';

test('--help lists every subcommand', async t => {
	const result = await runCli(['--help']);
	t.is(result.code, 0);
	for (const name of ['lint', 'doctor', 'render', 'status', 'uninstall']) {
		t.regex(result.stdout, new RegExp(`^ {2}${name} `, 'm'), name);
	}
});

test('every command loads and answers --help with its exit codes', async t => {
	for (const name of ['lint', 'doctor', 'render', 'status', 'uninstall']) {
		const result = await runCli([name, '--help']);
		t.is(result.code, 0, name);
		t.regex(result.stdout, /^Usage: multus-agent /, name);
		t.regex(result.stdout, /Exit codes: 0 /, name);
		t.truthy(findCommand(name), name);
	}

	t.is(findCommand('toString'), undefined, 'only own entries are commands');
	t.is(findCommand(undefined), undefined);
});
