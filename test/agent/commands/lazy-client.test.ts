// @kubernetes/client-node (~55 MB) is loaded only by the commands that talk to the API: never by the agent itself.
import {spawn} from 'node:child_process';
import fs from 'node:fs/promises';
import path from 'node:path';
import readline from 'node:readline';
import test from 'ava';
import {createTestNode, installWithAgent, type TestNode} from './node-fixture.ts';

const MAIN = path.resolve(import.meta.dirname, '../../../agent/main.ts');
const MARK = 'RESOLVED @kubernetes/client-node';

// Writes a preload that reports on stderr when anything resolves @kubernetes/client-node.
async function hook(node: TestNode): Promise<string> {
	const file = path.join(node.root, 'hook.mjs');
	await fs.writeFile(file, `import {registerHooks} from 'node:module';\nregisterHooks({resolve(specifier, context, next) {\n\tif (specifier.startsWith('@kubernetes/client-node')) process.stderr.write(${JSON.stringify(`${MARK}\n`)});\n\treturn next(specifier, context);\n}});\n`);
	return file;
}

// Runs main.ts with the preload until `until` sees a stdout line (or the process exits); returns stderr.
async function run(node: TestNode, args: string[], until: (line: string) => boolean = () => false, stdin = ''): Promise<string> {
	const child = spawn(process.execPath, ['--import', await hook(node), MAIN, ...args], {env: {PATH: process.env['PATH'], ...node.env}, stdio: ['pipe', 'pipe', 'pipe']});
	let stderr = '';
	child.stderr.on('data', (chunk: Buffer) => {
		stderr += chunk.toString();
	});
	readline.createInterface({input: child.stdout}).on('line', line => {
		if (until(line)) {
			child.kill('SIGTERM');
		}
	});
	child.stdin.end(stdin);
	await new Promise(resolve => child.on('close', resolve));
	return stderr;
}

test('the agent runs to ready and stops without resolving @kubernetes/client-node', async t => {
	const node = await createTestNode(t);
	const stderr = await run(node, node.flags, line => line.includes('"event":"ready"'));
	t.false(stderr.includes(MARK), stderr);
});

test('lint of JSON input does not load it either; doctor --api-only does (the hook works)', async t => {
	const node = await createTestNode(t);
	await installWithAgent(node);
	t.false((await run(node, ['lint', '-'], undefined, '{"kind": "Pod", "metadata": {"name": "p"}}')).includes(MARK));
	t.true((await run(node, ['doctor', '--api-only', ...node.flags])).includes(MARK));
});
