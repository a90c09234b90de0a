// doctor: the multus binary's kubeconfig: 0600, a token that has not expired, and an API server that accepts it.
import fs from 'node:fs/promises';
import {checkApiAccess, describePermission, loadKubeConfig, type ApiAccessReport} from '../api-access.ts';
import {verdict, type CheckResult} from '../check-result.ts';
import {decodeTokenClaims} from '../jwt.ts';

const EXPIRY_WARNING_S = 600;
const CLUSTER_ROLE_FILE = 'deploy/base/03-cluster-role.yaml';

// The results, and the API report when the API was asked (the self-check reads it from the JSON output).
export interface KubeconfigCheck {
	readonly results: CheckResult[];
	readonly api?: ApiAccessReport;
}

// Checks the kubeconfig file, its token and what it may do against the API server.
export async function checkKubeconfig(file: string, server: string, now = Date.now()): Promise<KubeconfigCheck> {
	let stat;
	try {
		stat = await fs.stat(file);
	} catch {
		return {results: [verdict('kubeconfig', 'fail', `${file} does not exist: the multus binary cannot reach the API`, 'Start the agent; it writes the kubeconfig from the pod\'s service-account token (see multus-agent status). Or pass --kubeconfig.')]};
	}

	const results: CheckResult[] = [];
	const mode = stat.mode & 0o777;
	results.push(mode === 0o600
		? verdict('kubeconfig', 'ok', `${file} is mode 0600`)
		: verdict('kubeconfig', 'fail', `${file} is mode ${mode.toString(8).padStart(4, '0')}; it holds a token, so only root may read it`, `chmod 600 ${file} (the agent writes it 0600; something else changed it).`));
	results.push(await checkToken(file, now));
	const api = await checkApiAccess(file, {server: server || undefined});
	results.push(...apiResults(api));
	return {results, api};
}

// Turns an API report into verdicts: reachability, authentication, then one per permission.
export function apiResults(api: ApiAccessReport): CheckResult[] {
	const failure = api.failure;
	if (failure && api.permissions.length === 0) {
		switch (failure.kind) {
			case 'unreachable': {
				return [verdict('api-server', 'fail', `cannot reach the API server at ${api.server}: ${failure.message}`, 'The kubeconfig names the in-cluster service address; from the host it may not route. Run doctor in the agent\'s pod, or pass --server=https://<node-ip>:6443.')];
			}

			case 'tls': {
				return [verdict('api-server', 'fail', `TLS with ${api.server} failed: ${failure.message}`, 'The kubeconfig embeds the pod\'s ca.crt; with --server, use an address the serving certificate names.')];
			}

			case 'unauthorized': {
				return [verdict('api-authentication', 'fail', `the API server at ${api.server} rejects the token (${failure.message})`, 'The token expired or its pod was deleted; the agent rewrites the kubeconfig when the pod\'s token rotates, so restart the multus pod and check the agent log.')];
			}

			default: {
				return [verdict('api-server', 'fail', `the API server at ${api.server} answered: ${failure.message}`, 'Check the API server and the kubeconfig.')];
			}
		}
	}

	const results: CheckResult[] = [verdict('api-authentication', 'ok', `${api.server} accepts the token${api.user ? ` as ${api.user}` : ''}`)];
	for (const permission of api.permissions) {
		const name = describePermission(permission);
		results.push(permission.allowed
			? verdict('api-permission', 'ok', `may ${name}`)
			: verdict('api-permission', 'fail', `${api.user ?? 'the token'} may not ${name}, which Multus needs to ${permission.why}`, `Grant it: the ClusterRole bound to ${api.user ?? 'the service account'} needs {apiGroups: ["${permission.group}"], resources: ["${permission.subresource ? `${permission.resource}/${permission.subresource}` : permission.resource}"], verbs: ["${permission.verb}"]} (see ${CLUSTER_ROLE_FILE}).`));
	}

	if (failure) {
		results.push(verdict('api-permission', 'fail', `the permission checks stopped: ${failure.message}`, 'Run doctor again once the API server is reachable.'));
	}

	return results;
}

async function checkToken(file: string, now: number): Promise<CheckResult> {
	let token: string | undefined;
	try {
		const config = await loadKubeConfig(file);
		const user = config.getCurrentUser() as {token?: string; tokenFile?: string} | null;
		token = user?.token ?? (user?.tokenFile === undefined ? undefined : (await fs.readFile(user.tokenFile, 'utf8')).trim());
	} catch (error) {
		return verdict('token', 'fail', `${file} cannot be parsed: ${(error as Error).message}`, 'Remove it; the agent rewrites it.');
	}

	if (!token) {
		return verdict('token', 'fail', `${file} has no token for its current user`, 'Let the agent write the kubeconfig (it embeds the pod\'s service-account token).');
	}

	const claims = decodeTokenClaims(token);
	if (claims?.exp === undefined) {
		return verdict('token', 'warn', 'the token is not a JWT with an expiry; cannot tell when it expires', 'Use a service-account token (the agent copies the pod\'s projected token).');
	}

	const seconds = claims.exp - Math.floor(now / 1000);
	const expires = new Date(claims.exp * 1000).toISOString();
	const who = `${claims.subject ?? 'the token'}${claims.podName ? `, bound to pod ${claims.podName}` : ''}`;
	if (seconds <= 0) {
		return verdict('token', 'fail', `the token (${who}) expired at ${expires}`, 'The agent rewrites the kubeconfig when kubelet rotates the pod\'s token; is the agent running? Restart the multus pod.');
	}

	if (seconds < EXPIRY_WARNING_S) {
		return verdict('token', 'warn', `the token (${who}) expires in ${seconds}s (${expires})`, 'Kubelet rotates it before expiry and the agent follows; if this stays, check the agent is running.');
	}

	const extended = claims.warnAfter !== undefined && claims.warnAfter * 1000 < now ? ' (an extended token past its warn-after time; kubelet replaces it)' : '';
	return verdict('token', 'ok', `the token (${who}) is valid until ${expires}${extended}`);
}
