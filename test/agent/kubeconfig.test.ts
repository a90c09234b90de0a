import fs from 'node:fs/promises';
import path from 'node:path';
import test from 'ava';
import {AgentError, ExitCode} from '../../agent/errors.ts';
import {parseArgs} from '../../agent/flags.ts';
import {readCredentials, renderKubeconfig, serverUrl, validateKubernetesService} from '../../agent/kubeconfig.ts';
import {resolveOptions} from '../../agent/options.ts';
import {createHostRoot, TEST_CA} from '../helpers/host-root.ts';

test('server URL brackets IPv6 only (multus-cni PR #1451)', t => {
	t.is(serverUrl({protocol: 'https', host: '10.43.0.1', port: '443'}), 'https://10.43.0.1:443');
	t.is(serverUrl({protocol: 'https', host: 'fd00::1', port: '443'}), 'https://[fd00::1]:443');
	t.is(serverUrl({protocol: 'https', host: 'api.local', port: '6443'}), 'https://api.local:6443');
});

test('renders a kubeconfig with the token and the CA as data', t => {
	const text = renderKubeconfig('https://10.43.0.1:443', {token: 'abc', ca: TEST_CA});
	t.true(text.includes('    token: "abc"'));
	t.true(text.includes(`certificate-authority-data: "${Buffer.from(TEST_CA).toString('base64')}"`));
	t.true(text.includes('current-context: multus-context'));
	t.false(text.includes('insecure-skip-tls-verify'));
});

test('quoting keeps odd values inside their scalar', t => {
	const text = renderKubeconfig('https://x:1', {token: 'a"b\\c', ca: undefined});
	t.true(text.includes('token: "a\\"b\\\\c"'));
	t.true(text.includes('insecure-skip-tls-verify: true'));
});

test('the token is trimmed (a trailing newline is not embedded)', async t => {
	const node = await createHostRoot();
	t.teardown(async () => node.cleanup());
	await fs.rm(path.join(node.serviceAccount, 'token'));
	await fs.writeFile(path.join(node.serviceAccount, 'token'), 'tok\n');
	const options = resolveOptions(parseArgs(node.args), node.env);
	t.is((await readCredentials(options)).token, 'tok');
});

const badCredentials = test.macro(async (t, setup: (dir: string) => Promise<void>, pattern: RegExp, extra: string[] = []) => {
	const node = await createHostRoot();
	t.teardown(async () => node.cleanup());
	await setup(node.serviceAccount);
	const options = resolveOptions(parseArgs([...node.args, ...extra]), node.env);
	const error = await t.throwsAsync(readCredentials(options), {instanceOf: AgentError});
	t.is(error.exitCode, ExitCode.input);
	t.regex(error.message, pattern);
	t.regex(error.message, /Fix: /);
});

test('a missing token names the file', badCredentials, async dir => fs.rm(path.join(dir, 'token')), /Cannot read the service-account token: .*\/serviceaccount\/token/);
test('an empty token', badCredentials, async dir => {
	await fs.rm(path.join(dir, 'token'));
	await fs.writeFile(path.join(dir, 'token'), '\n');
}, /service-account token is empty/);
test('an unreadable CA', badCredentials, async dir => fs.rm(path.join(dir, 'ca.crt')), /Cannot read the service-account CA bundle: .*ca\.crt/);
test('a CA without a certificate', badCredentials, async dir => {
	await fs.rm(path.join(dir, 'ca.crt'));
	await fs.writeFile(path.join(dir, 'ca.crt'), 'garbage');
}, /holds no PEM certificate/);

test('--skip-tls-verify does not need the CA (upstream bug 16)', async t => {
	const node = await createHostRoot();
	t.teardown(async () => node.cleanup());
	await fs.rm(path.join(node.serviceAccount, 'ca.crt'));
	const options = resolveOptions(parseArgs([...node.args, '--skip-tls-verify']), node.env);
	t.is((await readCredentials(options)).ca, undefined);
});

test('the service environment is validated with the variable named', t => {
	t.throws(() => {
		validateKubernetesService({protocol: 'https', host: '', port: '443'});
	}, {message: /KUBERNETES_SERVICE_HOST/});
	t.throws(() => {
		validateKubernetesService({protocol: 'https', host: 'x', port: 'abc'});
	}, {message: /KUBERNETES_SERVICE_PORT.*"abc"/});
});
