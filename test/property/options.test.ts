// Properties of the option parser (flags.ts parseArgs + options.ts resolveOptions) under generated command lines:
// never a crash; always either a usage error (exit 2) that names the flag and the fix, or a frozen, usable Options.
import assert from 'node:assert/strict';
import path from 'node:path';
import test from 'ava';
import fc from 'fast-check';
import {MULTUS_LOG_LEVELS} from '../../cni/multus-config.ts';
import {AgentError, ExitCode} from '../../agent/errors.ts';
import {FLAGS, parseArgs} from '../../agent/flags.ts';
import {resolveOptions, type Options} from '../../agent/options.ts';
import {argv, environment, plausibleArgv, propertySeed} from './arbitraries.ts';

// The longest delay a Node timer honours; a longer one fires after 1 ms (TimeoutOverflowWarning).
const MAX_TIMER_MS = 2_147_483_647;
const FLAG_NAMES = new Set(FLAGS.map(flag => flag.name));

function assertDeeplyFrozen(value: unknown, where: string): void {
	if (typeof value === 'object' && value !== null) {
		assert.ok(Object.isFrozen(value), `${where} is frozen`);
		for (const [key, child] of Object.entries(value)) {
			assertDeeplyFrozen(child, `${where}.${key}`);
		}
	}
}

// What every resolved Options must satisfy for the agent to run on it.
function assertUsable(options: Options): void {
	assertDeeplyFrozen(options, 'options');
	for (const [name, directory] of Object.entries({hostPrefix: options.hostPrefix, serviceAccountDir: options.serviceAccountDir, cniConfDir: options.cniConfDir, cniBinDir: options.cniBinDir, multusAutoconfigDir: options.multusAutoconfigDir, kubeconfig: options.paths.kubeconfig, ledger: options.paths.ledger})) {
		assert.ok(path.isAbsolute(directory), `${name} is absolute: ${directory}`);
		assert.equal(directory, path.normalize(directory), `${name} is normalized`);
	}

	assert.ok(options.multusConfFile === 'auto' || path.isAbsolute(options.multusConfFile));
	assert.ok(Number.isSafeInteger(options.recheckIntervalMs) && options.recheckIntervalMs >= 0 && options.recheckIntervalMs <= MAX_TIMER_MS, `recheck interval ${options.recheckIntervalMs} ms fits a timer`);
	assert.ok(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'].includes(options.logLevel));
	assert.ok(options.multusConfig.logLevel === '' || MULTUS_LOG_LEVELS.includes(options.multusConfig.logLevel));
	assert.ok(options.multusConfig.cniVersion === '' || /^\d+\.\d+\.\d+$/.test(options.multusConfig.cniVersion));
	assert.ok(!options.multusMasterCniFileName.includes('/'));
	assert.equal(new Set(options.cniPlugins).size, options.cniPlugins.length);
	for (const name of options.cniPlugins) {
		assert.ok(name !== '' && name !== '.' && name !== '..' && !name.includes('/'), `plugin name ${JSON.stringify(name)}`);
	}

	const token = options.tokenRequest;
	if (token) {
		assert.match(token.serviceAccount, /^[a-z\d]([-a-z\d.]*[a-z\d])?$/, 'a ServiceAccount name (it goes into the URL)');
		assert.ok(token.namespace === '' || /^[a-z\d]([-a-z\d]{0,61}[a-z\d])?$/.test(token.namespace), `namespace ${token.namespace}`);
		assert.ok(Number.isSafeInteger(token.expirationSeconds) && token.expirationSeconds >= 600, `expiration ${token.expirationSeconds} s`);
		assert.ok(Number.isSafeInteger(token.refreshAfterMs) && token.refreshAfterMs >= 0 && token.refreshAfterMs <= MAX_TIMER_MS);
	}

	if (options.healthAddress !== '') {
		const port = Number(options.healthAddress.slice(options.healthAddress.lastIndexOf(':') + 1));
		assert.ok(options.healthAddress.lastIndexOf(':') > 0 && Number.isInteger(port) && port >= 0 && port <= 65_535, `health address ${options.healthAddress}`);
	}
}

// What every rejection must be: a usage error that names a flag (or the word given) and says how to fix it.
function assertClearUsageError(error: unknown, words: readonly string[]): void {
	assert.ok(error instanceof AgentError, `an AgentError, not ${String(error)}`);
	assert.equal(error.exitCode, ExitCode.usage);
	assert.match(error.message, /\. Fix: \S/);
	const named = [...error.message.matchAll(/--([\w-]+)/g)].map(match => match[1]);
	const given = words.map(word => word.split('=')[0]!).filter(word => word !== '');
	assert.ok(named.some(name => FLAG_NAMES.has(name!)) || given.some(word => error.message.includes(word)), `the message names the flag: ${error.message}`);
}

test('any command line gives either a usable frozen Options or a clear usage error, never a crash', t => {
	let resolved = 0;
	fc.assert(fc.property(fc.oneof(argv, plausibleArgv), environment, (words, env) => {
		let options: Options;
		try {
			options = resolveOptions(parseArgs(words), env);
		} catch (error) {
			assertClearUsageError(error, words);
			return;
		}

		assertUsable(options);
		resolved++;
	}), {seed: propertySeed(t), numRuns: 4000});
	t.log(`${resolved} of 4000 command lines resolved; the others were rejected with a usage error`);
	t.true(resolved > 400, 'the success path is exercised');
});

test('a flag given twice: the last value wins, as with pflag', t => {
	fc.assert(fc.property(fc.constantFrom('5m', '30s', '1h', '0'), fc.constantFrom('10s', '2m', '0'), (first, second) => {
		const options = resolveOptions(parseArgs([`--recheck-interval=${first}`, '--recheck-interval', second]), {});
		return options.recheckIntervalMs === resolveOptions(parseArgs([`--recheck-interval=${second}`]), {}).recheckIntervalMs;
	}), {seed: propertySeed(t)});
	t.pass();
});
