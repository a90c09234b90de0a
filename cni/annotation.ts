// The pod annotation k8s.v1.cni.cncf.io/networks (pure): parsed as Multus parses it, then checked against the known NADs.
import {isJsonObject, jsonTypeOf, type JsonObject} from './json.ts';
import type {NetworkSummary} from './nad-lint.ts';
import {interfaceNameProblem, isMacAddress} from './plugins/common.ts';
import {childPath, createFindings, type Finding, type Findings} from './plugins/finding.ts';
import {parseCidr, parseIp} from './plugins/ip.ts';
import {array, checkKeys, object, readKey, string, type KeyTable} from './plugins/keys.ts';

// The annotation that asks Multus for additional networks.
export const NETWORKS_ANNOTATION = 'k8s.v1.cni.cncf.io/networks';

// One requested attachment, with the namespace defaulted to the pod's.
export interface NetworkSelection {
	readonly name: string;
	readonly namespace: string;
	readonly interface: string | undefined;
	readonly ips: readonly string[];
	readonly mac: string | undefined;
	/** The JSON path of this element (for findings). */
	readonly path: string;
}

// How Multus is configured to resolve references (--namespace-isolation, --global-namespaces).
export interface IsolationPolicy {
	readonly namespaceIsolation: boolean;
	/** The namespaces every pod may use; Multus defaults to ["default"], and --global-namespaces replaces that list. */
	readonly globalNamespaces: readonly string[];
}

// The NADs that exist (namespace/name), and whether that list is the whole truth (the cluster) or only the inputs.
export interface NetworkIndex {
	readonly networks: ReadonlyMap<string, NetworkSummary>;
	readonly complete: boolean;
}

const ELEMENT_KEYS: KeyTable = {
	name: string,
	namespace: string,
	ips: array,
	mac: string,
	'infiniband-guid': string,
	interface: string,
	interfaceRequest: string,
	portMappings: array,
	bandwidth: object,
	deviceID: string,
	'cni-args': object,
	'default-route': array,
};
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

// The JSON path of the annotation inside a pod (or a pod template, given its metadata path).
export function annotationPath(metadataPath = 'metadata'): string {
	return `${metadataPath}.annotations[${JSON.stringify(NETWORKS_ANNOTATION)}]`;
}

// Lints the networks annotation of one pod (or pod template) whose metadata is at metadataPath; [] when there is none.
export function lintPodNetworks(metadata: JsonObject, podNamespace: string, metadataPath: string, index: NetworkIndex, policy: IsolationPolicy): Finding[] {
	const annotations = metadata['annotations'];
	const value = isJsonObject(annotations) ? annotations[NETWORKS_ANNOTATION] : undefined;
	const findings = createFindings();
	const path = annotationPath(metadataPath);
	if (value === undefined || value === null) {
		return [];
	}

	if (typeof value !== 'string') {
		findings.error(path, `must be a string, found ${jsonTypeOf(value)}`, 'Quote the value: annotations are strings (for the JSON form write it as a JSON string).');
		return findings.list;
	}

	checkSelections(parseNetworksAnnotation(value, podNamespace, path, findings), podNamespace, index, policy, findings);
	return findings.list;
}

// Parses the annotation like Multus's parsePodNetworkAnnotation; problems go to findings, usable elements are returned.
export function parseNetworksAnnotation(value: string, podNamespace: string, path: string, findings: Findings): NetworkSelection[] {
	if (value.trim() === '') {
		findings.warning(path, 'is empty, so Multus adds no networks', `Remove the annotation, or list NAD names: "${NETWORKS_ANNOTATION}: my-net".`);
		return [];
	}

	return /[[{"]/.test(value) ? parseJsonForm(value, podNamespace, path, findings) : parseTextForm(value, podNamespace, path, findings);
}

// Checks parsed selections: namespace isolation, existence (NoNetworkFound), interface names, and what the NAD supports.
export function checkSelections(selections: readonly NetworkSelection[], podNamespace: string, index: NetworkIndex, policy: IsolationPolicy, findings: Findings): void {
	const interfaces = new Map<string, string>();
	for (const selection of selections) {
		const key = `${selection.namespace}/${selection.name}`;
		if (policy.namespaceIsolation && selection.namespace !== podNamespace && !policy.globalNamespaces.includes(selection.namespace)) {
			findings.error(selection.path, `namespace isolation enabled, annotation violates permission, pod is in namespace ${podNamespace} but refers to target namespace ${selection.namespace}`, `Create the NAD in ${podNamespace}, or add ${selection.namespace} to the agent's --global-namespaces (now: ${policy.globalNamespaces.join(',') || 'none'}).`);
			continue;
		}

		const network = index.networks.get(key);
		if (network === undefined) {
			const message = `cannot find a network-attachment-definition (${selection.name}) in namespace (${selection.namespace})`;
			const fix = `Create NetworkAttachmentDefinition ${selection.name} in namespace ${selection.namespace}, or correct the name; until then the pod stays in ContainerCreating with a NoNetworkFound event.`;
			if (index.complete) {
				findings.error(selection.path, message, fix);
			} else {
				findings.warning(selection.path, `${message} among the linted inputs`, `${fix} (Run with --cluster to check the cluster.)`);
			}
		} else {
			checkCapabilities(selection, network, findings);
		}

		if (selection.interface !== undefined) {
			if (selection.interface === 'eth0') {
				findings.error(childPath(selection.path, 'interface'), '"eth0" is the pod\'s default network interface', 'Request another name, e.g. "net1", or leave it out (Multus names them net1, net2, ...).');
			}

			const previous = interfaces.get(selection.interface);
			if (previous !== undefined) {
				findings.error(childPath(selection.path, 'interface'), `"${selection.interface}" is already requested for ${previous}`, 'Give every attachment its own interface name.');
			}

			interfaces.set(selection.interface, key);
		}
	}
}

function parseTextForm(value: string, podNamespace: string, path: string, findings: Findings): NetworkSelection[] {
	const selections: NetworkSelection[] = [];
	for (const [index, raw] of value.split(',').entries()) {
		const item = raw.trim();
		const at = childPath(path, index);
		if (item === '') {
			findings.error(at, 'is an empty entry (a stray comma?); Multus looks up a NAD with an empty name and fails with NoNetworkFound', 'Remove the extra comma.');
			continue;
		}

		const slashes = item.split('/');
		if (slashes.length > 2) {
			findings.error(at, `"${item}" has more than one "/" (Multus fails with "Invalid network object (failed at '/')")`, 'Write namespace/name@interface with at most one "/".');
			continue;
		}

		const namespace = slashes.length === 2 ? slashes[0]!.trim() : '';
		const ats = slashes.at(-1)!.split('@');
		if (ats.length > 2) {
			findings.error(at, `"${item}" has more than one "@" (Multus fails with "Invalid network object (failed at '@')")`, 'Write name@interface with one "@".');
			continue;
		}

		const name = ats[0]!.trim();
		const interfaceName = ats.length === 2 ? ats[1]!.trim() : '';
		const bad = [namespace, name].find(part => part !== '' && !DNS_LABEL.test(part));
		if (bad !== undefined) {
			findings.error(at, `"${bad}" is not a valid name: names must be lower-case letters, digits and "-", starting and ending with a letter or digit (Multus fails with "mismatch @ '${bad}'")`, `Use the NAD's exact name${/[A-Z]/.test(bad) ? ` (lower case: "${bad.toLowerCase()}")` : ''}, or the JSON form for unusual names.`);
			continue;
		}

		if (name === '') {
			findings.error(at, `"${item}" names no network`, 'Write the NAD name before "@", e.g. "my-net@net1".');
			continue;
		}

		if (interfaceName !== '') {
			const problem = interfaceNameProblem(interfaceName);
			if (problem !== undefined) {
				findings.error(at, `interface ${problem} (Multus fails with "Failed to parse interface name")`, 'Use an interface name of at most 15 characters without "/" or spaces, e.g. net1.');
				continue;
			}
		}

		selections.push({name, namespace: namespace || podNamespace, interface: interfaceName || undefined, ips: [], mac: undefined, path: at});
	}

	return selections;
}

function parseJsonForm(value: string, podNamespace: string, path: string, findings: Findings): NetworkSelection[] {
	let parsed: unknown;
	try {
		parsed = JSON.parse(value);
	} catch (error) {
		findings.error(path, `looks like JSON but does not parse: ${(error as Error).message} (Multus fails with "failed to parse pod Network Attachment Selection Annotation JSON format")`, 'Write a JSON list: [{"name": "my-net", "interface": "net1"}], or the short form "my-net@net1" without brackets, braces or quotes.');
		return [];
	}

	if (!Array.isArray(parsed)) {
		findings.error(path, `must be a JSON list of objects, found ${jsonTypeOf(parsed)}`, `Wrap it in brackets: [${value.trim()}].`);
		return [];
	}

	const selections: NetworkSelection[] = [];
	for (const [index, element] of parsed.entries()) {
		const at = childPath(path, index);
		if (!isJsonObject(element)) {
			findings.error(at, `must be an object like {"name": "my-net"}, found ${jsonTypeOf(element)}`, 'Write each element as {"name": "<nad>", "namespace": "<ns>", "interface": "net1"}.');
			continue;
		}

		const selection = parseElement(element, podNamespace, at, findings);
		if (selection) {
			selections.push(selection);
		}
	}

	return selections;
}

function parseElement(element: JsonObject, podNamespace: string, path: string, findings: Findings): NetworkSelection | undefined {
	const before = findings.list.filter(finding => finding.severity === 'error').length;
	checkKeys(element, ELEMENT_KEYS, path, 'network selection', findings);
	const name = readKey(element, 'name');
	if (name === undefined || name === null || name === '') {
		findings.error(childPath(path, 'name'), 'is missing; Multus looks up a NAD with an empty name and fails with NoNetworkFound', 'Add "name": "<nad name>".');
		return undefined;
	}

	const namespace = readKey(element, 'namespace');
	for (const [key, value] of [['name', name], ['namespace', namespace]] as const) {
		if (typeof value === 'string' && value !== '' && !/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/.test(value)) {
			findings.error(childPath(path, key), `"${value}" cannot be the ${key} of any object (lower-case letters, digits, "-" and ".")`, `Use the exact ${key}${/[A-Z]/.test(value) ? ` (lower case: "${value.toLowerCase()}")` : ''}.`);
		}
	}

	const deprecated = readKey(element, 'interfaceRequest');
	if (deprecated !== undefined && readKey(element, 'interface') === undefined) {
		findings.warning(childPath(path, 'interfaceRequest'), 'is the pre-3.2 spelling; Multus still reads it for compatibility', 'Rename it to "interface".');
	}

	const interfaceName = readKey(element, 'interface') ?? deprecated;
	if (typeof interfaceName === 'string' && interfaceName !== '') {
		const problem = interfaceNameProblem(interfaceName);
		if (problem !== undefined) {
			findings.error(childPath(path, 'interface'), problem, 'Use an interface name of at most 15 characters without "/", ":" or spaces, e.g. net1.');
		}
	}

	const mac = readKey(element, 'mac');
	if (typeof mac === 'string' && mac !== '' && !isMacAddress(mac)) {
		findings.error(childPath(path, 'mac'), `"${mac}" is not a MAC address (Multus fails with "failed to mac")`, 'Write six hex pairs separated by colons, e.g. "c2:b0:57:49:47:f1".');
	}

	const ips = checkIps(readKey(element, 'ips'), childPath(path, 'ips'), findings);
	const routes = readKey(element, 'default-route');
	if (Array.isArray(routes)) {
		for (const [index, gateway] of routes.entries()) {
			if (typeof gateway !== 'string' || parseIp(gateway) === undefined) {
				findings.error(childPath(childPath(path, 'default-route'), index), `${JSON.stringify(gateway)} is not an IP address`, 'List gateway IP addresses, e.g. ["10.10.0.1"].');
			}
		}
	}

	if (typeof name !== 'string' || findings.list.filter(finding => finding.severity === 'error').length > before) {
		return undefined;
	}

	return {
		name,
		namespace: typeof namespace === 'string' && namespace !== '' ? namespace : podNamespace,
		interface: typeof interfaceName === 'string' && interfaceName !== '' ? interfaceName : undefined,
		ips,
		mac: typeof mac === 'string' && mac !== '' ? mac : undefined,
		path,
	};
}

function checkIps(value: unknown, path: string, findings: Findings): string[] {
	if (!Array.isArray(value)) {
		return [];
	}

	const ips: string[] = [];
	for (const [index, ip] of value.entries()) {
		const at = childPath(path, index);
		if (typeof ip !== 'string') {
			findings.error(at, `must be a string, found ${jsonTypeOf(ip)}`, 'Write each address as a string, e.g. "10.10.0.5/24".');
			continue;
		}

		const valid = ip.includes('/') ? parseCidr(ip) !== undefined : parseIp(ip) !== undefined;
		if (!valid) {
			findings.error(at, `"${ip}" is not an IP address or CIDR (Multus fails with "failed to parse ${ip.includes('/') ? 'CIDR' : 'IP address'}")`, 'Write an address such as "10.10.0.5/24".');
			continue;
		}

		ips.push(ip);
	}

	return ips;
}

function checkCapabilities(selection: NetworkSelection, network: NetworkSummary, findings: Findings): void {
	const key = `${network.namespace}/${network.name}`;
	if (selection.ips.length > 0 && !network.capabilities.has('ips')) {
		findings.warning(childPath(selection.path, 'ips'), `${key} does not declare the "ips" capability, so the requested addresses are ignored`, `Add "capabilities": {"ips": true} to the plugin in ${key} (static IPAM reads them), or drop "ips".`);
	}

	if (selection.mac !== undefined && !network.capabilities.has('mac')) {
		findings.warning(childPath(selection.path, 'mac'), `${key} does not declare the "mac" capability, so the requested MAC is ignored`, `Add "capabilities": {"mac": true} to the plugin in ${key} (bridge and macvlan read it), or drop "mac".`);
	}
}
