// Reads NetworkAttachmentDefinitions and pods from the cluster for lint --cluster (loads @kubernetes/client-node lazily).
import type {JsonObject} from '../../cni/json.ts';
import {AgentError, ExitCode} from '../errors.ts';
import {loadKubeConfig} from './api-access.ts';
import {classifyApiError, withTimeout} from './api-errors.ts';

// What the cluster holds, as plain objects, and where it was read from.
export interface ClusterObjects {
	readonly server: string;
	readonly nads: JsonObject[];
	readonly pods: JsonObject[];
}

const TIMEOUT_MS = 30_000;

// Lists NADs and pods (in one namespace, or all) with the kubeconfig from --kubeconfig or $KUBECONFIG.
export async function readClusterObjects(kubeconfig: string | undefined, namespace: string): Promise<ClusterObjects> {
	const k8s = await import('@kubernetes/client-node');
	let config;
	try {
		config = await loadKubeConfig(kubeconfig);
	} catch (error) {
		throw new AgentError(ExitCode.input, `Cannot load the kubeconfig${kubeconfig ? ` ${kubeconfig}` : ''}`, {path: kubeconfig, fix: 'Pass --kubeconfig=FILE or set $KUBECONFIG to a kubeconfig that can list pods and network-attachment-definitions.', cause: error});
	}

	const server = config.getCurrentCluster()?.server ?? '(in-cluster)';
	const custom = config.makeApiClient(k8s.CustomObjectsApi);
	const core = config.makeApiClient(k8s.CoreV1Api);
	const nadQuery = {group: 'k8s.cni.cncf.io', version: 'v1', plural: 'network-attachment-definitions'};
	try {
		const [nadList, podList] = await withTimeout(Promise.all([
			namespace === '' ? custom.listClusterCustomObject(nadQuery) : custom.listNamespacedCustomObject({...nadQuery, namespace}),
			namespace === '' ? core.listPodForAllNamespaces() : core.listNamespacedPod({namespace}),
		]), TIMEOUT_MS, `the API server at ${server}`);
		const nads = ((nadList as {items?: JsonObject[]}).items ?? []).map(item => ({apiVersion: 'k8s.cni.cncf.io/v1', kind: 'NetworkAttachmentDefinition', ...item}));
		const pods = podList.items.map(pod => ({apiVersion: 'v1', kind: 'Pod', metadata: {name: pod.metadata?.name ?? '', namespace: pod.metadata?.namespace ?? 'default', annotations: pod.metadata?.annotations ?? {}}}));
		return {server, nads, pods};
	} catch (error) {
		const failure = classifyApiError(error);
		const fix = failure.kind === 'forbidden'
			? 'Use a kubeconfig that may list pods and network-attachment-definitions (e.g. the cluster admin\'s), or narrow with --namespace.'
			: (failure.kind === 'unreachable' ? 'Check that the API server in the kubeconfig is reachable from here.' : 'Check the kubeconfig and the API server.');
		throw new AgentError(ExitCode.input, `Cannot read NetworkAttachmentDefinitions and pods from ${server}: ${failure.message}`, {fix});
	}
}

// Lists every NAD with the given kubeconfig (and server override); a failure is returned as text, not thrown.
export async function listNetworkAttachmentDefinitions(kubeconfig: string, server: string): Promise<JsonObject[] | string> {
	const k8s = await import('@kubernetes/client-node');
	try {
		const config = await loadKubeConfig(kubeconfig, server || undefined);
		const list = await withTimeout(config.makeApiClient(k8s.CustomObjectsApi).listClusterCustomObject({group: 'k8s.cni.cncf.io', version: 'v1', plural: 'network-attachment-definitions'}), 10_000, 'the API server');
		return (list as {items?: JsonObject[]}).items ?? [];
	} catch (error) {
		return `cannot list NetworkAttachmentDefinitions: ${classifyApiError(error).message}`;
	}
}
