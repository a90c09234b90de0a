import {writeFile} from 'node:fs/promises';

// How the kubeconfig user authenticates: a client certificate or a bearer token.
export type KubeconfigUser = {clientCertificatePem: string; clientKeyPem: string} | {token: string};

// Writes a self-contained single-context kubeconfig. It is JSON, which every YAML reader accepts.
export async function writeKubeconfig(file: string, cluster: {server: string; caPem: string}, user: KubeconfigUser): Promise<void> {
	const base64 = (text: string) => Buffer.from(text).toString('base64');
	const credentials = 'token' in user
		? {token: user.token}
		: {'client-certificate-data': base64(user.clientCertificatePem), 'client-key-data': base64(user.clientKeyPem)};
	const config = {
		apiVersion: 'v1',
		kind: 'Config',
		clusters: [{name: 'test', cluster: {server: cluster.server, 'certificate-authority-data': base64(cluster.caPem)}}],
		users: [{name: 'test', user: credentials}],
		contexts: [{name: 'test', context: {cluster: 'test', user: 'test'}}],
		'current-context': 'test',
	};
	await writeFile(file, `${JSON.stringify(config, null, '\t')}\n`, {mode: 0o600});
}
