// Least privilege: mints the kubeconfig's token with the TokenRequest API for a ServiceAccount that holds only what the
// multus binary needs. One POST with the pod's own token, made with node:https (loaded only in token mode): the
// 55 MB @kubernetes/client-node is never loaded by the long-running agent.
import fs from 'node:fs/promises';
import packageJson from '../package.json' with {type: 'json'};
import {errnoCode} from './errors.ts';

// The API's minimum for TokenRequest.spec.expirationSeconds.
export const MIN_EXPIRATION_SECONDS = 600;

// How long one TokenRequest may take before it counts as "API unreachable".
const REQUEST_TIMEOUT_MS = 5000;
const MAX_RESPONSE_BYTES = 1 << 20;

// Where to mint: the API server, how to trust it, the pod's own token, and the ServiceAccount to mint for.
export interface TokenRequestTarget {
	readonly server: string;
	/** The CA bundle (PEM), or undefined with --skip-tls-verify. */
	readonly ca: string | undefined;
	/** The pod's own token: its account may create tokens for serviceAccount only. */
	readonly bearer: string;
	readonly namespace: string;
	readonly serviceAccount: string;
	readonly expirationSeconds: number;
}

// A minted token and its lifetime, on this process's clock (the API's clock may differ).
export interface MintedToken {
	readonly token: string;
	readonly serviceAccount: string;
	readonly namespace: string;
	/** When it was received (ms since the epoch, local clock). */
	readonly mintedAt: number;
	/** How long it is valid: exp - iat of the JWT, or the API's expirationTimestamp when the token is opaque. */
	readonly lifetimeMs: number;
}

// A TokenRequest that failed: refused by the API (status), or the API was not reachable (no status).
export class TokenRequestError extends Error {
	override name = 'TokenRequestError';
	readonly status: number | undefined;
	readonly fix: string;

	constructor(message: string, fix: string, status?: number, cause?: unknown) {
		super(`${message}. Fix: ${fix}`, {cause});
		this.status = status;
		this.fix = fix;
	}
}

// POSTs a TokenRequest; resolves with the token, or rejects with a TokenRequestError that never carries a token.
export async function requestServiceAccountToken(target: TokenRequestTarget, now: () => number = Date.now): Promise<MintedToken> {
	const who = `ServiceAccount ${target.namespace}/${target.serviceAccount}`;
	const url = new URL(`/api/v1/namespaces/${encodeURIComponent(target.namespace)}/serviceaccounts/${encodeURIComponent(target.serviceAccount)}/token`, target.server);
	const body = JSON.stringify({apiVersion: 'authentication.k8s.io/v1', kind: 'TokenRequest', spec: {expirationSeconds: target.expirationSeconds}});
	let response: {status: number; text: string};
	try {
		response = await post(url, body, target);
	} catch (error) {
		const code = errnoCode(error) === 'ABORT_ERR' ? `no answer within ${REQUEST_TIMEOUT_MS / 1000} s` : (errnoCode(error) ?? (error as Error).message);
		throw new TokenRequestError(`Cannot reach the API server at ${target.server} to mint a token for ${who} (${code})`, 'Retried with back-off; until it works, the kubeconfig keeps the pod\'s own token. Check that the API server is reachable from the node.', undefined, error);
	}

	if (response.status !== 200 && response.status !== 201) {
		throw new TokenRequestError(`The API server refused to mint a token for ${who}: HTTP ${response.status}${statusMessage(response.text)}`, fixFor(response.status, target), response.status);
	}

	const status = (parseJson(response.text) as {status?: {token?: unknown; expirationTimestamp?: unknown}} | undefined)?.status;
	const token = typeof status?.token === 'string' ? status.token : '';
	if (token === '' || /\s/.test(token)) {
		throw new TokenRequestError(`The TokenRequest for ${who} returned no usable token`, 'Check the API server\'s TokenRequest support (authentication.k8s.io/v1).', response.status);
	}

	const mintedAt = now();
	const claims = jwtClaims(token);
	const expires = typeof status?.expirationTimestamp === 'string' ? Date.parse(status.expirationTimestamp) : Number.NaN;
	const lifetimeMs = claims ? (claims.exp - claims.iat) * 1000 : expires - mintedAt;
	if (!Number.isFinite(lifetimeMs) || lifetimeMs <= 0) {
		throw new TokenRequestError(`The TokenRequest for ${who} returned a token without a usable expiry`, 'Check the API server\'s clock and its TokenRequest support.', response.status);
	}

	return {token, serviceAccount: target.serviceAccount, namespace: target.namespace, mintedAt, lifetimeMs};
}

// When to mint again: with 25–35 % of the lifetime left (jitter spreads the nodes of a cluster), never sooner than 1 s.
export function refreshDelayMs(token: MintedToken, now: number, random: number): number {
	const refreshAt = token.mintedAt + (token.lifetimeMs * (0.65 + (0.1 * random)));
	return Math.max(1000, Math.round(refreshAt - now));
}

// Tells whether the token is valid for at least marginMs more.
export function isFresh(token: MintedToken, now: number, marginMs: number): boolean {
	return token.mintedAt + token.lifetimeMs - now > marginMs;
}

// Reads the pod's namespace from the projected service-account volume (kubelet writes it beside the token).
export async function readNamespace(file: string): Promise<string> {
	let text: string;
	try {
		text = (await fs.readFile(file, 'utf8')).trim();
	} catch (error) {
		throw new TokenRequestError(`Cannot read the pod's namespace from ${file} (${errnoCode(error) ?? String(error)})`, 'Give --token-namespace, or mount the service-account volume with its namespace file.');
	}

	if (!/^[a-z\d]([-a-z\d]{0,61}[a-z\d])?$/.test(text)) {
		throw new TokenRequestError(`${file} does not hold a namespace name`, 'Give --token-namespace.');
	}

	return text;
}

async function post(url: URL, body: string, target: TokenRequestTarget): Promise<{status: number; text: string}> {
	const {request} = url.protocol === 'http:' ? await import('node:http') : await import('node:https');
	return new Promise((resolve, reject) => {
		const outgoing = request(url, {
			method: 'POST',
			headers: {
				authorization: `Bearer ${target.bearer}`,
				'content-type': 'application/json',
				accept: 'application/json',
				'user-agent': `multus-agent/${packageJson.version}`,
			},
			ca: target.ca,
			rejectUnauthorized: target.ca !== undefined,
			signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
		}, incoming => {
			const chunks: Buffer[] = [];
			let size = 0;
			incoming.on('data', (chunk: Buffer) => {
				size += chunk.length;
				if (size > MAX_RESPONSE_BYTES) {
					incoming.destroy(Object.assign(new Error('response too large'), {code: 'E2BIG'}));
					return;
				}

				chunks.push(chunk);
			});
			incoming.on('end', () => {
				resolve({status: incoming.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8')});
			});
			incoming.on('error', reject);
		});
		outgoing.on('error', reject);
		outgoing.end(body);
	});
}

// The message of a Kubernetes Status body; anything else is left out, since a body may carry a token.
function statusMessage(text: string): string {
	const status = parseJson(text) as {kind?: unknown; message?: unknown} | undefined;
	return status?.kind === 'Status' && typeof status.message === 'string' ? `: ${status.message}` : '';
}

function fixFor(status: number, target: TokenRequestTarget): string {
	switch (status) {
		case 401: {
			return 'The pod\'s own token was not accepted; check the mounted service-account token.';
		}

		case 403: {
			return `Allow the agent's ServiceAccount to create serviceaccounts/token with resourceNames [${target.serviceAccount}] in ${target.namespace} (README, token mode).`;
		}

		case 404: {
			return `Create the ServiceAccount ${target.namespace}/${target.serviceAccount}, or fix --token-service-account and --token-namespace.`;
		}

		default: {
			return 'Retried with back-off; check the API server.';
		}
	}
}

function jwtClaims(token: string): {iat: number; exp: number} | undefined {
	const payload = token.split('.')[1];
	const claims = payload === undefined ? undefined : parseJson(Buffer.from(payload, 'base64url').toString('utf8')) as {iat?: unknown; exp?: unknown} | undefined;
	return typeof claims?.iat === 'number' && typeof claims.exp === 'number' ? {iat: claims.iat, exp: claims.exp} : undefined;
}

function parseJson(text: string): unknown {
	try {
		return JSON.parse(text);
	} catch {
		return undefined;
	}
}
