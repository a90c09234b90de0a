// The TokenRequest client against a scripted local API server, the refresh schedule, and the token-mode flags.
import {createServer, type IncomingMessage} from 'node:http';
import type {AddressInfo} from 'node:net';
import test from 'ava';
import {AgentError, ExitCode} from '../../agent/errors.ts';
import {parseArgs} from '../../agent/flags.ts';
import {resolveOptions} from '../../agent/options.ts';
import {refreshDelayMs, requestServiceAccountToken, TokenRequestError, type MintedToken} from '../../agent/token-request.ts';

const BEARER = 'pod-token-that-must-never-be-echoed';

// Serves one scripted answer and records what was asked.
async function api(status: number, body: unknown): Promise<{url: string; requests: Array<{url: string; auth: string; body: string}>; close(): void}> {
	const requests: Array<{url: string; auth: string; body: string}> = [];
	const server = createServer((request: IncomingMessage, response) => {
		let text = '';
		request.on('data', (chunk: Buffer) => {
			text += chunk.toString();
		});
		request.on('end', () => {
			requests.push({url: request.url ?? '', auth: request.headers.authorization ?? '', body: text});
			response.writeHead(status, {'content-type': 'application/json'});
			response.end(typeof body === 'string' ? body : JSON.stringify(body));
		});
	});
	await new Promise<void>(resolve => {
		server.listen(0, '127.0.0.1', resolve);
	});
	return {url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests, close: () => server.close()};
}

const jwt = (claims: object): string => ['e30', Buffer.from(JSON.stringify(claims)).toString('base64url'), 'c2ln'].join('.');
const target = (server: string) => ({server, ca: undefined, bearer: BEARER, namespace: 'openshift-multus', serviceAccount: 'multus-cni', expirationSeconds: 3600});

test('POSTs a TokenRequest with the pod\'s token and takes the lifetime from the JWT (exp - iat)', async t => {
	const server = await api(201, {kind: 'TokenRequest', status: {token: jwt({iat: 1000, exp: 4600}), expirationTimestamp: '2000-01-01T00:00:00Z'}});
	t.teardown(server.close);
	const minted = await requestServiceAccountToken(target(server.url), () => 42);
	t.deepEqual({...minted, token: undefined}, {token: undefined, serviceAccount: 'multus-cni', namespace: 'openshift-multus', mintedAt: 42, lifetimeMs: 3_600_000});
	t.is(server.requests[0]?.url, '/api/v1/namespaces/openshift-multus/serviceaccounts/multus-cni/token');
	t.is(server.requests[0]?.auth, `Bearer ${BEARER}`);
	t.deepEqual(JSON.parse(server.requests[0]!.body), {apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {expirationSeconds: 3600}});
});

test('an opaque token takes its lifetime from expirationTimestamp', async t => {
	const server = await api(201, {status: {token: 'opaque', expirationTimestamp: new Date(Date.now() + 600_000).toISOString()}});
	t.teardown(server.close);
	const minted = await requestServiceAccountToken(target(server.url));
	t.true(Math.abs(minted.lifetimeMs - 600_000) < 2000);
});

const refused = test.macro(async (t, status: number, body: unknown, message: RegExp) => {
	const server = await api(status, body);
	t.teardown(server.close);
	const error = await t.throwsAsync(requestServiceAccountToken(target(server.url)), {instanceOf: TokenRequestError});
	t.regex(error!.message, message);
	t.regex(error!.message, /Fix: /);
	t.false(error!.message.includes(BEARER));
	t.false(error!.message.includes('minted-secret'), 'a body that is not a Status is never echoed');
});

test('403 names the RBAC to grant', refused, 403, {kind: 'Status', message: 'serviceaccounts "multus-cni" is forbidden'}, /HTTP 403: serviceaccounts "multus-cni" is forbidden.*resourceNames \[multus-cni\] in openshift-multus/);
test('404 names the ServiceAccount to create', refused, 404, {kind: 'Status', message: 'not found'}, /HTTP 404.*Create the ServiceAccount openshift-multus\/multus-cni/);
test('a 500 with a body that is not a Status is not echoed', refused, 500, {status: {token: 'minted-secret'}}, /HTTP 500\. Fix/);
test('a success without a token', refused, 201, {status: {}}, /returned no usable token/);
test('a token with whitespace', refused, 201, {status: {token: 'minted-secret and more', expirationTimestamp: '2100-01-01T00:00:00Z'}}, /no usable token/);
test('a token without any expiry', refused, 201, {status: {token: 'minted-secret'}}, /without a usable expiry/);
test('a body that is not JSON', refused, 201, 'minted-secret', /no usable token/);

test('an API that is not there is "unreachable", with the server named', async t => {
	const server = await api(201, {});
	server.close();
	const error = await t.throwsAsync(requestServiceAccountToken(target(server.url)), {instanceOf: TokenRequestError});
	t.is(error?.status, undefined);
	t.regex(error!.message, /Cannot reach the API server at http:\/\/127\.0\.0\.1:\d+ .*ECONNREFUSED.*Fix: Retried with back-off/);
});

test('the refresh comes with 25–35 % of the lifetime left, spread by the jitter, never sooner than 1 s', t => {
	const token: MintedToken = {token: 't', serviceAccount: 's', namespace: 'n', mintedAt: 1_000_000, lifetimeMs: 3_600_000};
	t.is(refreshDelayMs(token, 1_000_000, 0), 2_340_000);
	t.is(refreshDelayMs(token, 1_000_000, 1), 2_700_000);
	t.is(refreshDelayMs(token, 1_000_000 + 2_000_000, 0.5), 520_000);
	t.is(refreshDelayMs(token, 1_000_000 + 3_500_000, 0.5), 1000);
});

const resolve = (argv: string[]) => resolveOptions(parseArgs(argv), {});

test('token mode is off by default and resolved when asked for', t => {
	t.is(resolve([]).tokenRequest, undefined);
	t.deepEqual({...resolve(['--token-service-account=multus-cni']).tokenRequest}, {serviceAccount: 'multus-cni', namespace: '', expirationSeconds: 3600, refreshAfterMs: 0});
	t.deepEqual({...resolve(['--token-service-account=multus-cni', '--token-namespace=openshift-multus', '--token-expiration=10m', '--token-refresh-after=2s']).tokenRequest}, {serviceAccount: 'multus-cni', namespace: 'openshift-multus', expirationSeconds: 600, refreshAfterMs: 2000});
});

const rejects = test.macro((t, argv: string[], pattern: RegExp) => {
	const error = t.throws(() => resolve(argv), {instanceOf: AgentError});
	t.is(error?.exitCode, ExitCode.usage);
	t.regex(error!.message, pattern);
});

test('a token flag without --token-service-account', rejects, ['--token-namespace=x'], /--token-namespace needs --token-service-account/);
test('a ServiceAccount name that could change the URL', rejects, ['--token-service-account=../secrets'], /--token-service-account must be a ServiceAccount name/);
test('a namespace name that is not one', rejects, ['--token-service-account=a', '--token-namespace=Kube_System'], /--token-namespace must be a namespace name/);
test('an expiration under the API\'s 10 minutes', rejects, ['--token-service-account=a', '--token-expiration=9m'], /at least 10m/);
test('an expiration that is no duration', rejects, ['--token-service-account=a', '--token-expiration=forever'], /--token-expiration must be a duration/);
