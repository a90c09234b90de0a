// Writes the kubeconfig (0600, in a 0700 directory) whenever its token or CA differs from what is on disk. In token
// mode the token is minted for a dedicated ServiceAccount, refreshed before it expires and when the pod's token rotates.
import {createHash} from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import {AgentError, ExitCode, hostWriteError} from './errors.ts';
import {lstatOrUndefined, writeFileAtomic, type WriteOutcome} from './fs-atomic.ts';
import {readCredentials, renderKubeconfig, serverUrl, type Credentials} from './kubeconfig.ts';
import type {Options, TokenRequestOptions} from './options.ts';
import {isFresh, readNamespace, refreshDelayMs, requestServiceAccountToken, type MintedToken, type TokenRequestTarget} from './token-request.ts';

// A minted token is replaced by the pod's own once it has less than this left (and minting keeps failing).
const EXPIRY_MARGIN_MS = 60_000;
const MINT_RETRY_MIN_MS = 1000;
const MINT_RETRY_MAX_MS = 30_000;

// What one sync did, for the session's log, status and timers (never the token itself).
export interface KubeconfigSync {
	readonly outcome: WriteOutcome;
	/** Whose token the kubeconfig holds: the minted one (token mode) or the pod's own. */
	readonly token: 'minted' | 'pod';
	/** A token minted by this sync. */
	readonly minted?: MintedToken;
	/** Why a mint attempted by this sync failed. */
	readonly mintError?: Error;
	/** When the writer wants to run again (a refresh, or a retry after a failed mint); undefined when never. */
	readonly nextInMs?: number;
}

// Clock, randomness and the TokenRequest itself, replaceable in tests.
export interface KubeconfigWriterDeps {
	now(): number;
	random(): number;
	mint(target: TokenRequestTarget): Promise<MintedToken>;
}

// Keeps the kubeconfig right; in token mode also holds the minted token and decides when to mint again.
export class KubeconfigWriter {
	readonly #options: Options;
	readonly #deps: KubeconfigWriterDeps;
	#minted: {readonly token: MintedToken; readonly refreshAt: number} | undefined;
	/** The pod token (hashed) the last mint was attempted with: a new one means the pod's token rotated. */
	#attemptedWith = '';
	#retryAt = 0;
	#retryDelay = 0;
	#last: KubeconfigSync | undefined;

	constructor(options: Options, deps: Partial<KubeconfigWriterDeps> = {}) {
		this.#options = options;
		this.#deps = {now: Date.now, random: Math.random, mint: async target => requestServiceAccountToken(target, this.#deps.now), ...deps};
	}

	// The result of the last sync (start-up's, for the session to report).
	get last(): KubeconfigSync | undefined {
		return this.#last;
	}

	// Reads the credentials, mints when due (token mode), and writes the kubeconfig if its bytes would change.
	async sync(): Promise<KubeconfigSync> {
		const credentials = await readCredentials(this.#options);
		const request = this.#options.tokenRequest;
		let minted: MintedToken | undefined;
		let mintError: Error | undefined;
		if (request && this.#mintDue(credentials.token)) {
			try {
				minted = await this.#mint(request, credentials);
			} catch (error) {
				mintError = error instanceof Error ? error : new Error(String(error));
				this.#retryDelay = Math.min(Math.max(this.#retryDelay * 2, MINT_RETRY_MIN_MS), MINT_RETRY_MAX_MS);
				this.#retryAt = this.#deps.now() + this.#retryDelay;
			}
		}

		const usable = this.#minted && isFresh(this.#minted.token, this.#deps.now(), EXPIRY_MARGIN_MS) ? this.#minted.token : undefined;
		const outcome = await writeKubeconfig(this.#options, {token: usable?.token ?? credentials.token, ca: credentials.ca});
		this.#last = {outcome, token: usable ? 'minted' : 'pod', minted, mintError, nextInMs: this.#nextInMs()};
		return this.#last;
	}

	// Due at once when the pod's own token rotated; otherwise with no token yet or at the refresh time, but not
	// before the retry time after a failure (events in between do not bypass the back-off).
	#mintDue(podToken: string): boolean {
		const now = this.#deps.now();
		if (hash(podToken) !== this.#attemptedWith) {
			return true;
		}

		return now >= this.#retryAt && (this.#minted === undefined || now >= this.#minted.refreshAt);
	}

	async #mint(request: TokenRequestOptions, credentials: Credentials): Promise<MintedToken> {
		this.#attemptedWith = hash(credentials.token);
		const target: TokenRequestTarget = {
			server: serverUrl(this.#options.kubernetes),
			ca: credentials.ca,
			bearer: credentials.token,
			namespace: request.namespace || await readNamespace(path.join(this.#options.serviceAccountDir, 'namespace')),
			serviceAccount: request.serviceAccount,
			expirationSeconds: request.expirationSeconds,
		};
		const token = await this.#deps.mint(target);
		const refreshIn = request.refreshAfterMs > 0 ? request.refreshAfterMs : refreshDelayMs(token, this.#deps.now(), this.#deps.random());
		this.#minted = {token, refreshAt: this.#deps.now() + refreshIn};
		this.#retryDelay = 0;
		this.#retryAt = 0;
		return token;
	}

	#nextInMs(): number | undefined {
		if (!this.#options.tokenRequest) {
			return undefined;
		}

		// After a failure the retry time rules: the refresh time has passed by then, and would mean "now" forever.
		const at = this.#retryDelay > 0 ? this.#retryAt : this.#minted?.refreshAt;
		return at === undefined ? undefined : Math.max(0, at - this.#deps.now());
	}
}

const writers = new WeakMap<Options, KubeconfigWriter>();

// The process's writer for these options: start-up and the session share it, and so the minted token.
export function kubeconfigWriterFor(options: Options): KubeconfigWriter {
	let writer = writers.get(options);
	if (writer === undefined) {
		writer = new KubeconfigWriter(options);
		writers.set(options, writer);
	}

	return writer;
}

// Reads the credentials (minting in token mode) and writes the kubeconfig if its bytes would change.
export async function syncKubeconfig(options: Options): Promise<WriteOutcome> {
	return (await kubeconfigWriterFor(options).sync()).outcome;
}

// Creates directory 0700, or tightens an existing one; refuses a symlink planted in its place.
export async function ensurePrivateDirectory(directory: string): Promise<void> {
	const stat = await lstatOrUndefined(directory);
	if (stat?.isSymbolicLink() || (stat && !stat.isDirectory())) {
		const what = stat.isSymbolicLink() ? 'a symlink' : 'not a directory';
		throw new AgentError(ExitCode.hostWrite, `Refusing to write the kubeconfig: ${directory} is ${what}`, {
			path: directory,
			fix: `Remove ${directory}; the agent creates it as a root-only directory and never writes through a link it did not create.`,
		});
	}

	try {
		if (stat) {
			if ((stat.mode & 0o777) !== 0o700) {
				await fs.chmod(directory, 0o700);
			}
		} else {
			await fs.mkdir(directory, {mode: 0o700});
			await fs.chmod(directory, 0o700);
		}
	} catch (error) {
		throw hostWriteError(directory, error);
	}
}

async function writeKubeconfig(options: Options, credentials: Credentials): Promise<WriteOutcome> {
	const text = renderKubeconfig(serverUrl(options.kubernetes), credentials);
	const file = options.paths.kubeconfig;
	await ensurePrivateDirectory(path.dirname(file));
	try {
		return await writeFileAtomic(file, text, 0o600);
	} catch (error) {
		throw hostWriteError(file, error);
	}
}

function hash(token: string): string {
	return createHash('sha256').update(token).digest('hex');
}
