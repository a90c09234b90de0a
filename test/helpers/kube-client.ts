// API clients for tests: a KubeConfig that authenticates to the test kube-apiserver with a bearer token.
import * as k8s from '@kubernetes/client-node';
import type {KubeApiserver} from './kube-apiserver.ts';

// Builds a KubeConfig for server that presents token and verifies the server against its CA.
export function tokenKubeConfig(server: KubeApiserver, token: string): k8s.KubeConfig {
	const config = new k8s.KubeConfig();
	config.loadFromOptions({
		clusters: [{name: 'test', server: server.url, caData: Buffer.from(server.caPem).toString('base64'), skipTLSVerify: false}],
		users: [{name: 'token', token}],
		contexts: [{name: 'token', cluster: 'test', user: 'token'}],
		currentContext: 'token',
	});
	return config;
}
