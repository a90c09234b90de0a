// Turns @kubernetes/client-node failures into a kind a person can act on: unreachable, TLS, unauthorized, forbidden.

// What went wrong talking to the API server.
export interface ApiFailure {
	readonly kind: 'unreachable' | 'tls' | 'unauthorized' | 'forbidden' | 'error';
	readonly status?: number;
	readonly message: string;
}

const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EHOSTUNREACH', 'ENETUNREACH', 'ETIMEDOUT', 'ECONNRESET', 'EAI_AGAIN', 'EPIPE', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_SOCKET', 'UND_ERR_HEADERS_TIMEOUT', 'TIMEOUT']);

// Classifies an error thrown by a client-node call (or by our own timeout).
export function classifyApiError(error: unknown): ApiFailure {
	const status = (error as {code?: unknown}).code;
	if (typeof status === 'number') {
		const message = statusMessage(error) ?? `HTTP ${status}`;
		if (status === 401) {
			return {kind: 'unauthorized', status, message: `401 Unauthorized: ${message}`};
		}

		return {kind: status === 403 ? 'forbidden' : 'error', status, message: `HTTP ${status}: ${message}`};
	}

	const cause = (error as {cause?: {code?: unknown; message?: unknown}}).cause;
	const code = typeof cause?.code === 'string' ? cause.code : (error as {code?: unknown}).code;
	const message = typeof cause?.message === 'string' ? cause.message : (error instanceof Error ? error.message : String(error));
	if (typeof code === 'string' && UNREACHABLE.has(code)) {
		return {kind: 'unreachable', message};
	}

	if (typeof code === 'string' && /CERT|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|DEPTH_ZERO|HOSTNAME|ALTNAME/.test(code)) {
		return {kind: 'tls', message: `${code}: ${message}`};
	}

	return {kind: 'error', message};
}

// Runs a call with a deadline; a timeout rejects with code TIMEOUT (classified as unreachable).
export async function withTimeout<T>(call: Promise<T>, timeoutMs: number, what: string): Promise<T> {
	let timer: NodeJS.Timeout | undefined;
	const deadline = new Promise<never>((_, reject) => {
		timer = setTimeout(() => {
			reject(Object.assign(new Error(`${what} got no answer within ${timeoutMs / 1000}s`), {code: 'TIMEOUT'}));
		}, timeoutMs);
		timer.unref();
	});
	try {
		return await Promise.race([call, deadline]);
	} finally {
		clearTimeout(timer);
	}
}

function statusMessage(error: unknown): string | undefined {
	const body = (error as {body?: unknown}).body;
	if (typeof body !== 'string' || body === '') {
		return undefined;
	}

	try {
		const parsed = JSON.parse(body) as {message?: unknown};
		return typeof parsed.message === 'string' ? parsed.message : body.slice(0, 200);
	} catch {
		return body.slice(0, 200);
	}
}
