// A real kube-apiserver prepared for Multus: deploy/base applied, tokens minted, and a role with one rule removed.
import fs from 'node:fs/promises';
import path from 'node:path';
import * as k8s from '@kubernetes/client-node';
import type {KubeApiserver} from '../../helpers/kube-apiserver.ts';
import {pollUntil} from '../../helpers/poll.ts';

const BASE = path.resolve(import.meta.dirname, '../../../deploy/base');

// An admin client for the server.
export function adminConfig(server: KubeApiserver): k8s.KubeConfig {
	const config = new k8s.KubeConfig();
	config.loadFromFile(server.adminKubeconfigPath);
	return config;
}

// Applies deploy/base (namespace, NAD CRD, service account, ClusterRole, binding) and waits for the CRD.
export async function applyBase(server: KubeApiserver): Promise<void> {
	const config = adminConfig(server);
	const objects = k8s.KubernetesObjectApi.makeApiClient(config);
	for (const name of (await fs.readdir(BASE)).filter(file => /^\d\d-.*\.yaml$/.test(file)).sort()) {
		for (const object of k8s.loadAllYaml(await fs.readFile(path.join(BASE, name), 'utf8')) as k8s.KubernetesObject[]) {
			await objects.create(object);
		}
	}

	const custom = config.makeApiClient(k8s.CustomObjectsApi);
	await pollUntil('the NetworkAttachmentDefinition CRD', async () => {
		await custom.listClusterCustomObject({group: 'k8s.cni.cncf.io', version: 'v1', plural: 'network-attachment-definitions'});
		return true;
	}, {intervalMs: 100, timeoutMs: 30_000});
}

// Creates a ClusterRole like deploy/base's minus the rules whose resources include `without`, bound to a new service account.
export async function createRoleWithout(server: KubeApiserver, account: string, without: string): Promise<void> {
	const config = adminConfig(server);
	const role = k8s.loadAllYaml(await fs.readFile(path.join(BASE, '03-cluster-role.yaml'), 'utf8'))[0] as k8s.V1ClusterRole;
	const rbac = config.makeApiClient(k8s.RbacAuthorizationV1Api);
	await rbac.createClusterRole({body: {metadata: {name: account}, rules: (role.rules ?? []).filter(rule => !rule.resources?.includes(without))}});
	await config.makeApiClient(k8s.CoreV1Api).createNamespacedServiceAccount({namespace: 'openshift-multus', body: {metadata: {name: account}}});
	await rbac.createClusterRoleBinding({body: {metadata: {name: account}, roleRef: {apiGroup: 'rbac.authorization.k8s.io', kind: 'ClusterRole', name: account}, subjects: [{kind: 'ServiceAccount', name: account, namespace: 'openshift-multus'}]}});
}

// Mints a one-hour token for a service account in openshift-multus.
export async function mintToken(server: KubeApiserver, account: string): Promise<string> {
	const response = await adminConfig(server).makeApiClient(k8s.CoreV1Api).createNamespacedServiceAccountToken({name: account, namespace: 'openshift-multus', body: {spec: {audiences: [server.serviceAccountIssuer], expirationSeconds: 3600}}});
	return response.status?.token ?? '';
}

// Creates a namespace with the "default" service account pods need (no controller-manager runs).
export async function createNamespace(server: KubeApiserver, name: string): Promise<void> {
	const core = adminConfig(server).makeApiClient(k8s.CoreV1Api);
	if (name !== 'default') {
		await core.createNamespace({body: {metadata: {name}}});
	}

	await core.createNamespacedServiceAccount({namespace: name, body: {metadata: {name: 'default'}}});
}

// Creates a NAD from a CNI config.
export async function createNad(server: KubeApiserver, namespace: string, name: string, config: object): Promise<void> {
	await adminConfig(server).makeApiClient(k8s.CustomObjectsApi).createNamespacedCustomObject({group: 'k8s.cni.cncf.io', version: 'v1', plural: 'network-attachment-definitions', namespace, body: {apiVersion: 'k8s.cni.cncf.io/v1', kind: 'NetworkAttachmentDefinition', metadata: {name, namespace}, spec: {config: JSON.stringify(config)}}});
}

// Creates a pod (never scheduled: there are no nodes) with a networks annotation.
export async function createPod(server: KubeApiserver, namespace: string, name: string, networks: string): Promise<void> {
	await adminConfig(server).makeApiClient(k8s.CoreV1Api).createNamespacedPod({namespace, body: {metadata: {name, namespace, annotations: {'k8s.v1.cni.cncf.io/networks': networks}}, spec: {containers: [{name: 'main', image: 'registry.invalid/never-pulled'}]}}});
}
