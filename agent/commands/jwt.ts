// Reads a service-account token's claims without verifying it (only to tell expiry and identity).

// The claims doctor reports.
export interface TokenClaims {
	/** Expiry, seconds since the epoch. */
	readonly exp: number | undefined;
	/** For tokens the API server extended: when the real (short) lifetime ended and a warning is logged. */
	readonly warnAfter: number | undefined;
	readonly subject: string | undefined;
	/** The pod the token is bound to; it stops working when that pod is deleted. */
	readonly podName: string | undefined;
}

// Decodes a JWT's payload; undefined when token is not a JWT.
export function decodeTokenClaims(token: string): TokenClaims | undefined {
	const parts = token.split('.');
	if (parts.length !== 3) {
		return undefined;
	}

	try {
		const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as Record<string, unknown>;
		const kubernetes = (claims['kubernetes.io'] ?? {}) as {pod?: {name?: unknown}; warnafter?: unknown};
		return {
			exp: typeof claims['exp'] === 'number' ? claims['exp'] : undefined,
			warnAfter: typeof kubernetes.warnafter === 'number' ? kubernetes.warnafter : undefined,
			subject: typeof claims['sub'] === 'string' ? claims['sub'] : undefined,
			podName: typeof kubernetes.pod?.name === 'string' ? kubernetes.pod.name : undefined,
		};
	} catch {
		return undefined;
	}
}
