// Checks what the multus binary's kubeconfig may do: who it authenticates as, and each permission Multus needs.
import type {KubeConfig} from '@kubernetes/client-node';
import {classifyApiError, withTimeout, type ApiFailure} from './api-errors.ts';

// One API permission: a verb on a resource (and subresource) of an API group ("" is the core group).
export interface Permission {
	readonly verb: string;
	readonly group: string;
	readonly resource: string;
	readonly subresource?: string;
	/** Why the multus binary needs it. */
	readonly why: string;
}

// Every call the thin multus binary makes on CNI ADD/DEL (see deploy/base/03-cluster-role.yaml).
export const MULTUS_PERMISSIONS: readonly Permission[] = [
	{verb: 'get', group: '', resource: 'pods', why: 'read the pod\'s k8s.v1.cni.cncf.io/networks annotation'},
	{verb: 'update', group: '', resource: 'pods', subresource: 'status', why: 'write the k8s.v1.cni.cncf.io/network-status annotation'},
	{verb: 'get', group: 'k8s.cni.cncf.io', resource: 'network-attachment-definitions', why: 'resolve each requested network to its NetworkAttachmentDefinition'},
	{verb: 'create', group: '', resource: 'events', why: 'record AddedInterface and NoNetworkFound events on the pod'},
];

// The answer for one permission.
export interface PermissionResult extends Permission {
	readonly allowed: boolean;
	readonly reason?: string;
}

// What the API server said about the kubeconfig.
export interface ApiAccessReport {
	readonly server: string;
	/** The user the token authenticates as (SelfSubjectReview), when the server says. */
	readonly user?: string;
	/** Set when the check could not finish: unreachable, TLS, token rejected… */
	readonly failure?: ApiFailure;
	readonly permissions: readonly PermissionResult[];
}

const DEFAULT_TIMEOUT_MS = 10_000;

// Names a permission the way RBAC rules are read: "update pods/status", "get network-attachment-definitions.k8s.cni.cncf.io".
export function describePermission(permission: Permission): string {
	const resource = permission.subresource ? `${permission.resource}/${permission.subresource}` : permission.resource;
	return `${permission.verb} ${resource}${permission.group ? `.${permission.group}` : ''}`;
}

// Authenticates with the kubeconfig (SelfSubjectReview) and asks SelfSubjectAccessReview for each Multus permission.
export async function checkApiAccess(kubeconfigPath: string, options: {server?: string; timeoutMs?: number} = {}): Promise<ApiAccessReport> {
	const k8s = await import('@kubernetes/client-node');
	const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
	let config: KubeConfig;
	try {
		config = await loadKubeConfig(kubeconfigPath, options.server);
	} catch (error) {
		return {server: options.server ?? '', failure: {kind: 'error', message: `cannot load the kubeconfig: ${(error as Error).message}`}, permissions: []};
	}

	const server = config.getCurrentCluster()?.server ?? '';
	let user: string | undefined;
	try {
		const review = await withTimeout(config.makeApiClient(k8s.AuthenticationV1Api).createSelfSubjectReview({body: {}}), timeoutMs, `the API server at ${server}`);
		user = review.status?.userInfo?.username;
	} catch (error) {
		const failure = classifyApiError(error);
		if (failure.kind !== 'forbidden' && failure.status !== 404) {
			return {server, failure, permissions: []};
		}
	}

	const authorization = config.makeApiClient(k8s.AuthorizationV1Api);
	const permissions: PermissionResult[] = [];
	for (const permission of MULTUS_PERMISSIONS) {
		try {
			const review = await withTimeout(authorization.createSelfSubjectAccessReview({body: {spec: {resourceAttributes: {verb: permission.verb, group: permission.group, resource: permission.resource, subresource: permission.subresource}}}}), timeoutMs, `the API server at ${server}`);
			permissions.push({...permission, allowed: review.status?.allowed === true, reason: review.status?.reason || review.status?.evaluationError || undefined});
		} catch (error) {
			return {server, user, failure: classifyApiError(error), permissions};
		}
	}

	return {server, user, permissions};
}

// Loads a kubeconfig file with client-node, optionally pointing it at another server URL.
export async function loadKubeConfig(file: string | undefined, server?: string): Promise<KubeConfig> {
	const k8s = await import('@kubernetes/client-node');
	const config = new k8s.KubeConfig();
	if (file === undefined) {
		config.loadFromDefault();
	} else {
		config.loadFromFile(file);
	}

	if (server === undefined || server === '') {
		return config;
	}

	const current = config.getCurrentCluster();
	const overridden = new k8s.KubeConfig();
	overridden.loadFromOptions({
		clusters: config.clusters.map(cluster => (cluster.name === current?.name ? {...cluster, server} : cluster)),
		users: config.users,
		contexts: config.contexts,
		currentContext: config.currentContext,
	});
	return overridden;
}
