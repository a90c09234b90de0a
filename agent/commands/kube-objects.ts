// Sorts parsed documents into what lint checks: NetworkAttachmentDefinitions and pods (or pod templates of workloads).
import {isJsonObject, type JsonObject} from '../../cni/json.ts';

// A NAD to lint, with where it came from.
export interface NadObject {
	readonly source: string;
	readonly label: string;
	readonly object: JsonObject;
}

// Pod metadata to lint (a pod's, or the template's of a Deployment, DaemonSet, Job…).
export interface PodObject {
	readonly source: string;
	readonly label: string;
	readonly namespace: string;
	readonly metadata: JsonObject;
	/** The JSON path of that metadata inside the object, e.g. spec.template.metadata. */
	readonly metadataPath: string;
}

// What a set of documents holds.
export interface KubeObjects {
	readonly nads: NadObject[];
	readonly pods: PodObject[];
	/** Objects that are neither (counted, not linted). */
	readonly skipped: number;
}

const TEMPLATE_PATHS: Readonly<Record<string, readonly string[]>> = {
	Deployment: ['spec', 'template'],
	ReplicaSet: ['spec', 'template'],
	StatefulSet: ['spec', 'template'],
	DaemonSet: ['spec', 'template'],
	Job: ['spec', 'template'],
	ReplicationController: ['spec', 'template'],
	PodTemplate: ['template'],
	CronJob: ['spec', 'jobTemplate', 'spec', 'template'],
};

// Classifies documents (flattening List kinds) into NADs and pods.
export function classifyObjects(documents: ReadonlyArray<{source: string; value?: unknown}>): KubeObjects {
	const nads: NadObject[] = [];
	const pods: PodObject[] = [];
	let skipped = 0;
	const visit = (source: string, value: unknown): void => {
		if (!isJsonObject(value)) {
			return;
		}

		const kind = typeof value['kind'] === 'string' ? value['kind'] : '';
		const metadata = isJsonObject(value['metadata']) ? value['metadata'] : {};
		const namespace = typeof metadata['namespace'] === 'string' && metadata['namespace'] !== '' ? metadata['namespace'] : 'default';
		const label = `${kind || 'object'} ${namespace}/${typeof metadata['name'] === 'string' ? metadata['name'] : '(no name)'}`;
		if (kind.endsWith('List') && Array.isArray(value['items'])) {
			for (const item of value['items']) {
				visit(source, item);
			}

			return;
		}

		if (kind === 'NetworkAttachmentDefinition') {
			nads.push({source, label, object: value});
		} else if (kind === 'Pod') {
			pods.push({source, label, namespace, metadata, metadataPath: 'metadata'});
		} else if (TEMPLATE_PATHS[kind]) {
			const template = dig(value, TEMPLATE_PATHS[kind]);
			const templateMetadata = template && isJsonObject(template['metadata']) ? template['metadata'] : {};
			pods.push({source, label, namespace, metadata: templateMetadata, metadataPath: `${TEMPLATE_PATHS[kind].join('.')}.metadata`});
		} else {
			skipped++;
		}
	};

	for (const document of documents) {
		visit(document.source, document.value);
	}

	return {nads, pods, skipped};
}

function dig(value: JsonObject, keys: readonly string[]): JsonObject | undefined {
	let current: unknown = value;
	for (const key of keys) {
		current = isJsonObject(current) ? current[key] : undefined;
	}

	return isJsonObject(current) ? current : undefined;
}
