// The README's promises: the quick-start command works through the shipped bundle, and every flag is documented.
import {execFile, spawn} from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import {promisify} from 'node:util';
import test from 'ava';
import {FLAGS} from '../agent/flags.ts';

const root = path.resolve(import.meta.dirname, '..');

test.before(async () => {
	await promisify(execFile)(process.execPath, ['scripts/bundle.mjs'], {cwd: root});
});

test('every flag is in the README flag table', async t => {
	const readme = await fs.readFile(path.join(root, 'README.md'), 'utf8');
	t.deepEqual(FLAGS.filter(flag => !readme.includes(`| \`--${flag.name}\` |`)).map(flag => flag.name), []);
});

test('bin/multus-agent --version runs the bundle', async t => {
	const {stdout} = await promisify(execFile)(path.join(root, 'bin/multus-agent'), ['--version']);
	const packageJson = JSON.parse(await fs.readFile(path.join(root, 'package.json'), 'utf8')) as {version: string};
	t.is(stdout.trim(), packageJson.version);
});

test('`npm start` (bin/multus-agent sandbox) installs, writes, follows a token rotation and stops with 0', async t => {
	const child = spawn(path.join(root, 'bin/multus-agent'), ['sandbox'], {stdio: ['ignore', 'pipe', 'pipe']});
	const events: string[] = [];
	let sandbox = '';
	await new Promise<void>((resolve, reject) => {
		readline.createInterface({input: child.stdout}).on('line', line => {
			const entry = JSON.parse(line) as {event?: string; root?: string};
			events.push(entry.event ?? '');
			sandbox = entry.root ?? sandbox;
			if (events.filter(event => event === 'kubeconfig-written').length === 2 && events.includes('sandbox-demo-done')) {
				resolve();
			}
		});
		child.on('exit', code => {
			reject(new Error(`sandbox exited early with ${code}: ${events.join(', ')}`));
		});
	});
	child.kill('SIGTERM');
	const code = await new Promise(resolve => {
		child.on('close', resolve);
	});
	t.is(code, 0);
	for (const event of ['kubeconfig-written', 'binaries-installed', 'waiting', 'config-written', 'ready', 'sandbox-demo-done', 'stopped']) {
		t.true(events.includes(event), event);
	}

	t.true((await fs.readdir(path.join(sandbox, 'host/etc/cni/net.d'))).includes('00-multus.conf'));
	await fs.rm(sandbox, {recursive: true, force: true});
});
