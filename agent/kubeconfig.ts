// The kubeconfig the multus binary on the host uses: rendered from the pod's token and CA.
import fs from 'node:fs/promises';
import path from 'node:path';
import {AgentError, ExitCode, inputError} from './errors.ts';
import type {KubernetesService, Options} from './options.ts';

// The pod's credentials as read from the service-account directory.
export interface Credentials {
	readonly token: string;
	/** The CA bundle (PEM), or undefined with --skip-tls-verify. */
	readonly ca: string | undefined;
}

// Reads token and ca.crt (through kubelet's ..data symlink); errors name the file and the fix.
export async function readCredentials(options: Options): Promise<Credentials> {
	const token = (await readSecretFile(options.paths.token, 'service-account token')).trim();
	if (token === '' || /\s/.test(token)) {
		throw inputError(options.paths.token, token === '' ? 'The service-account token is empty' : 'The service-account token contains whitespace', 'Mount a projected service-account token (automountServiceAccountToken: true) or point --service-account-dir at one.');
	}

	if (options.skipTlsVerify) {
		return {token, ca: undefined};
	}

	const ca = await readSecretFile(options.paths.ca, 'service-account CA bundle');
	if (!ca.includes('-----BEGIN CERTIFICATE-----')) {
		throw inputError(options.paths.ca, 'The CA bundle holds no PEM certificate', 'Mount the cluster CA as ca.crt next to the token, or use --skip-tls-verify for testing only.');
	}

	return {token, ca};
}

// The API server URL: brackets around an IPv6 host only (as Go's net.JoinHostPort).
export function serverUrl(service: KubernetesService): string {
	const host = service.host.includes(':') && !service.host.startsWith('[') ? `[${service.host}]` : service.host;
	return `${service.protocol}://${host}:${service.port}`;
}

// Renders the kubeconfig YAML; every value is a JSON-quoted scalar, so nothing can break the syntax.
export function renderKubeconfig(server: string, credentials: Credentials): string {
	const quote = (value: string): string => JSON.stringify(value);
	const trust = credentials.ca === undefined
		? '    insecure-skip-tls-verify: true'
		: `    certificate-authority-data: ${quote(Buffer.from(credentials.ca).toString('base64'))}`;
	return [
		'# Kubeconfig file for Multus CNI plugin. Written by multus-agent; it is rewritten when the token rotates.',
		'apiVersion: v1',
		'kind: Config',
		'clusters:',
		'- name: local',
		'  cluster:',
		`    server: ${quote(server)}`,
		trust,
		'users:',
		'- name: multus',
		'  user:',
		`    token: ${quote(credentials.token)}`,
		'contexts:',
		'- name: multus-context',
		'  context:',
		'    cluster: local',
		'    user: multus',
		'current-context: multus-context',
		'',
	].join('\n');
}

// Checks that the pod's environment names an API server.
export function validateKubernetesService(service: KubernetesService): void {
	const fail = (variable: string, problem: string): AgentError => new AgentError(ExitCode.input, `${variable} ${problem}`, {
		path: variable,
		fix: 'Run the agent in a pod (kubelet sets it) or export KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT.',
	});
	if (service.host === '') {
		throw fail('KUBERNETES_SERVICE_HOST', 'is empty');
	}

	const port = Number(service.port);
	if (!Number.isInteger(port) || port < 1 || port > 65_535) {
		throw fail('KUBERNETES_SERVICE_PORT', `must be a port number, got "${service.port}"`);
	}

	if (service.protocol !== 'https' && service.protocol !== 'http') {
		throw fail('KUBERNETES_SERVICE_PROTOCOL', `must be https or http, got "${service.protocol}"`);
	}
}

async function readSecretFile(file: string, what: string): Promise<string> {
	try {
		return await fs.readFile(file, 'utf8');
	} catch (error) {
		throw inputError(file, `Cannot read the ${what}`, `Check that ${path.dirname(file)} is the mounted service-account directory (--service-account-dir).`, error);
	}
}
