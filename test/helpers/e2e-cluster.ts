// The API-server side of the end-to-end tests: the project's deploy/base manifests applied as a user would,
// kubelet-style pod-bound ServiceAccount tokens, Pods, NetworkAttachmentDefinitions and their network status.
import fs from 'node:fs/promises';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type {KubeApiserver} from './kube-apiserver.ts';
import {pollUntil} from './poll.ts';

export const DEPLOY_BASE = path.resolve(import.meta.dirname, '../../deploy/base');
export const MULTUS_NAMESPACE = 'openshift-multus';
export const MULTUS_SERVICE_ACCOUNT = 'multus';
export const NAD_CRD = 'network-attachment-definitions.k8s.cni.cncf.io';
export const NETWORKS_ANNOTATION = 'k8s.v1.cni.cncf.io/networks';
export const NETWORK_STATUS_ANNOTATION = 'k8s.v1.cni.cncf.io/network-status';
const FIELD_MANAGER = 'microshift-multus-e2e';

// One entry of the k8s.v1.cni.cncf.io/network-status annotation.
export type NetworkStatus = {name: string; interface?: string; ips?: string[]; mac?: string; default?: boolean};

// Admin clients for one API server.
export type Cluster = {
	readonly server: KubeApiserver;
	readonly kubeconfig: k8s.KubeConfig;
	readonly core: k8s.CoreV1Api;
	readonly custom: k8s.CustomObjectsApi;
	readonly objects: k8s.KubernetesObjectApi;
	readonly authorization: k8s.AuthorizationV1Api;
};

export function connect(server: KubeApiserver): Cluster {
	const kubeconfig = new k8s.KubeConfig();
	kubeconfig.loadFromFile(server.adminKubeconfigPath);
	return {
		server,
		kubeconfig,
		core: kubeconfig.makeApiClient(k8s.CoreV1Api),
		custom: kubeconfig.makeApiClient(k8s.CustomObjectsApi),
		objects: k8s.KubernetesObjectApi.makeApiClient(kubeconfig),
		authorization: kubeconfig.makeApiClient(k8s.AuthorizationV1Api),
	};
}

// The objects of deploy/base, in kustomization.yaml's order.
export async function readDeployBase(): Promise<k8s.KubernetesObject[]> {
	const kustomization = k8s.loadYaml<{resources?: string[]}>(await fs.readFile(path.join(DEPLOY_BASE, 'kustomization.yaml'), 'utf8'));
	const objects: k8s.KubernetesObject[] = [];
	for (const file of kustomization.resources ?? []) {
		const documents = k8s.loadAllYaml(await fs.readFile(path.join(DEPLOY_BASE, file), 'utf8')) as Array<k8s.KubernetesObject | null>;
		objects.push(...documents.filter((document): document is k8s.KubernetesObject => document !== null));
	}

	return objects;
}

// Server-side applies objects in order (creates or updates them; fields this manager dropped are removed).
export async function apply(cluster: Cluster, objects: readonly k8s.KubernetesObject[]): Promise<void> {
	for (const object of objects) {
		await cluster.objects.patch(object, undefined, undefined, FIELD_MANAGER, true, k8s.PatchStrategy.ServerSideApply);
	}
}

// Resolves once the CRD reports Established=True, from a watch (no polling).
export async function waitForCrdEstablished(cluster: Cluster, name: string, timeoutMs = 30_000): Promise<void> {
	const watch = new k8s.Watch(cluster.kubeconfig);
	let abort: AbortController | undefined;
	let lastConditions = 'none yet';
	try {
		await new Promise<void>((resolve, reject) => {
			const timer = setTimeout(() => {
				reject(new Error(`CRD ${name} not Established within ${timeoutMs} ms (conditions: ${lastConditions})`));
			}, timeoutMs);
			void watch.watch('/apis/apiextensions.k8s.io/v1/customresourcedefinitions', {fieldSelector: `metadata.name=${name}`}, (_phase, object: k8s.V1CustomResourceDefinition) => {
				const conditions = object.status?.conditions ?? [];
				lastConditions = JSON.stringify(conditions.map(condition => `${condition.type}=${condition.status}`));
				if (conditions.some(condition => condition.type === 'Established' && condition.status === 'True')) {
					clearTimeout(timer);
					resolve();
				}
			}, error => {
				if (error !== null && error !== undefined) {
					clearTimeout(timer);
					reject(error instanceof Error ? error : new Error(String(error)));
				}
			}).then(controller => {
				abort = controller;
			}, reject);
		});
	} finally {
		abort?.abort();
	}
}

// Creates a pod object (never scheduled: there are no nodes) and returns it with its UID.
export async function createPod(cluster: Cluster, namespace: string, name: string, options: {networks?: string; serviceAccountName?: string; hostNetwork?: boolean} = {}): Promise<k8s.V1Pod> {
	return cluster.core.createNamespacedPod({namespace, body: {
		metadata: {name, annotations: options.networks === undefined ? undefined : {[NETWORKS_ANNOTATION]: options.networks}},
		spec: {
			serviceAccountName: options.serviceAccountName,
			hostNetwork: options.hostNetwork,
			containers: [{name: 'main', image: 'registry.invalid/never-pulled'}],
		},
	}});
}

// Creates a namespace and the ServiceAccount its pods name (no controller-manager creates "default").
export async function createNamespace(cluster: Cluster, name: string, serviceAccount = 'default'): Promise<void> {
	await cluster.core.createNamespace({body: {metadata: {name}}});
	await cluster.core.createNamespacedServiceAccount({namespace: name, body: {metadata: {name: serviceAccount}}});
}

// What kubelet does for a projected service-account token: a TokenRequest bound to the pod object.
export async function requestPodToken(cluster: Cluster, pod: k8s.V1Pod, expirationSeconds = 3600): Promise<string> {
	const namespace = pod.metadata?.namespace ?? '';
	const response = await cluster.core.createNamespacedServiceAccountToken({
		name: pod.spec?.serviceAccountName ?? 'default',
		namespace,
		body: {spec: {
			audiences: [cluster.server.serviceAccountIssuer],
			expirationSeconds,
			boundObjectRef: {apiVersion: 'v1', kind: 'Pod', name: pod.metadata?.name, uid: pod.metadata?.uid},
		}},
	});
	const token = response.status?.token;
	if (token === undefined || token === '') {
		throw new Error(`TokenRequest for pod ${namespace}/${pod.metadata?.name ?? ''} returned no token`);
	}

	return token;
}

// Who the API server says a bearer token is, or the HTTP status it rejected the token with.
export async function whoAmI(cluster: Cluster, token: string): Promise<{username: string} | {rejected: number}> {
	const config = new k8s.KubeConfig();
	config.loadFromOptions({
		clusters: [{name: 'e2e', server: cluster.server.url, caData: Buffer.from(cluster.server.caPem).toString('base64'), skipTLSVerify: false}],
		users: [{name: 'token', token}],
		contexts: [{name: 'token', cluster: 'e2e', user: 'token'}],
		currentContext: 'token',
	});
	try {
		const review = await config.makeApiClient(k8s.AuthenticationV1Api).createSelfSubjectReview({body: {}});
		return {username: review.status?.userInfo?.username ?? ''};
	} catch (error) {
		if (error instanceof k8s.ApiException) {
			return {rejected: error.code};
		}

		throw error;
	}
}

// Waits until the authorizer gives the multus ServiceAccount the expected answer for one request.
// RBAC changes reach the authorizer through an informer, and nothing announces that, hence a bounded poll.
export async function waitForMultusAccess(cluster: Cluster, attributes: k8s.V1ResourceAttributes, allowed: boolean): Promise<void> {
	const what = `${attributes.verb ?? ''} ${attributes.resource ?? ''}${attributes.subresource ? `/${attributes.subresource}` : ''}`;
	await pollUntil(`multus ServiceAccount ${allowed ? 'may' : 'may not'} ${what}`, async () => {
		const review = await cluster.authorization.createSubjectAccessReview({body: {spec: {
			user: `system:serviceaccount:${MULTUS_NAMESPACE}:${MULTUS_SERVICE_ACCOUNT}`,
			groups: ['system:serviceaccounts', `system:serviceaccounts:${MULTUS_NAMESPACE}`, 'system:authenticated'],
			resourceAttributes: attributes,
		}}});
		return review.status?.allowed === allowed ? true : `allowed=${String(review.status?.allowed)} (${review.status?.reason ?? ''})`;
	}, {intervalMs: 50, timeoutMs: 10_000});
}

// Creates a NetworkAttachmentDefinition whose spec.config is the given CNI config.
export async function createNad(cluster: Cluster, namespace: string, name: string, config: object): Promise<void> {
	await cluster.custom.createNamespacedCustomObject({
		group: 'k8s.cni.cncf.io',
		version: 'v1',
		namespace,
		plural: 'network-attachment-definitions',
		body: {apiVersion: 'k8s.cni.cncf.io/v1', kind: 'NetworkAttachmentDefinition', metadata: {name, namespace}, spec: {config: JSON.stringify(config)}},
	});
}

// Reads the pod back from the API server and parses its network-status annotation (undefined when unset).
export async function readNetworkStatus(cluster: Cluster, namespace: string, name: string): Promise<NetworkStatus[] | undefined> {
	const pod = await cluster.core.readNamespacedPod({namespace, name});
	const text = pod.metadata?.annotations?.[NETWORK_STATUS_ANNOTATION];
	return text === undefined ? undefined : JSON.parse(text) as NetworkStatus[];
}
