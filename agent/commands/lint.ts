// multus-agent lint: checks NetworkAttachmentDefinitions and pod network annotations before any pod uses them.
import fs from 'node:fs/promises';
import path from 'node:path';
import {lintPodNetworks, type IsolationPolicy, type NetworkIndex} from '../../cni/annotation.ts';
import {isJsonObject} from '../../cni/json.ts';
import {lintNetworkAttachmentDefinition, lintNetworkSet, referencedPluginTypes, type LintEnvironment, type NetworkSummary} from '../../cni/nad-lint.ts';
import {usageError} from '../errors.ts';
import type {FlagSpec, ParsedArgs} from '../flags.ts';
import {readClusterObjects} from './cluster-objects.ts';
import {agentFlags, boolFlag, COMMAND_FLAGS, CommandExit, parseCommandArgs, textFlag, type Command} from './command.ts';
import {readDocuments, type SourceDocument} from './documents.ts';
import {classifyObjects, type NadObject, type PodObject} from './kube-objects.ts';
import {countFindings, printLintReport, type ObjectFinding} from './lint-report.ts';
import {readNodeInterfaces} from './node-interfaces.ts';
import {readPluginCatalog} from './plugin-catalog.ts';

const USAGE = `Usage: multus-agent lint [FILE|-]... [--cluster] [flags]

Checks NetworkAttachmentDefinitions (YAML or JSON, one or many documents, List kinds too) and the
k8s.v1.cni.cncf.io/networks annotation of pods and pod templates, before any pod uses them.
With --cluster it reads them from the cluster; with FILEs and --cluster, references are resolved there.
On a node (--host-prefix, --cni-bin-dir) it also asks the installed plugins and checks master interfaces.

Exit codes: 0 no errors (warnings allowed), 10 errors found, 2 usage, 3 unreadable input or cluster.`;

const SPECS: readonly FlagSpec[] = [
	{name: 'host-prefix', type: 'string', default: '', help: 'Lint for this node: its plugins (<host-prefix>/opt/cni/bin unless --cni-bin-dir), its interfaces (<host-prefix>/sys/class/net) and the isolation settings of its Multus config.'},
	{name: 'cni-bin-dir', type: 'string', default: '', help: 'Ask the plugins in this dir for their versions and check every type has a binary (MicroShift: <host-prefix>/run/cni/bin).'},
	...agentFlags('namespace-isolation', 'global-namespaces'),
	COMMAND_FLAGS.cluster,
	COMMAND_FLAGS.adminKubeconfig,
	COMMAND_FLAGS.namespace,
	COMMAND_FLAGS.output,
];

// Runs lint and returns 10 when any finding is an error.
export const runLint: Command = async (argv, context) => {
	const args = parseCommandArgs(argv, SPECS, USAGE, context);
	if (args === undefined) {
		return 0;
	}

	const files = args.positionals;
	const cluster = boolFlag(args, 'cluster');
	if (files.length === 0 && !cluster) {
		throw usageError('lint needs input: FILE..., - for stdin, or --cluster', 'Run multus-agent lint nad.yaml pod.yaml, or multus-agent lint --cluster.');
	}

	const documents: SourceDocument[] = [];
	for (const file of files) {
		documents.push(...await readDocuments(file, context.stdin));
	}

	const local = classifyObjects(documents.filter(document => document.error === undefined));
	const remote = cluster ? await readClusterObjects(textFlag(args, 'kubeconfig') || context.env['KUBECONFIG'] || undefined, textFlag(args, 'namespace')) : undefined;
	const remoteObjects = classifyObjects([...remote?.nads ?? [], ...remote?.pods ?? []].map(value => ({source: 'cluster', value})));
	const nads = files.length > 0 ? local.nads : remoteObjects.nads;
	const pods = files.length > 0 ? local.pods : remoteObjects.pods;
	const notes: string[] = [];
	const environment = await readEnvironment(args, nads, notes);
	const findings: ObjectFinding[] = documents.filter(document => document.error !== undefined).map(document => ({source: document.source, object: 'document', severity: 'error', path: '', message: document.error!, fix: 'Fix the syntax; nothing in this document was checked.'}));
	const networks = new Map<string, NetworkSummary>();
	const results = nads.map(nad => lintNetworkAttachmentDefinition(nad.object, environment));
	const between = lintNetworkSet(results);
	for (const [index, nad] of nads.entries()) {
		const result = results[index]!;
		networks.set(`${result.summary.namespace}/${result.summary.name}`, result.summary);
		findings.push(...[...result.findings, ...between[index]!].map(finding => ({source: nad.source, object: nad.label, ...finding})));
	}

	if (remote && files.length > 0) {
		for (const nad of remoteObjects.nads) {
			const summary = lintNetworkAttachmentDefinition(nad.object, {catalog: undefined, node: undefined}).summary;
			const key = `${summary.namespace}/${summary.name}`;
			if (!networks.has(key)) {
				networks.set(key, summary);
			}
		}
	}

	if (remote) {
		notes.push(`NetworkAttachmentDefinitions and pods read from ${remote.server}${textFlag(args, 'namespace') ? ` (namespace ${textFlag(args, 'namespace')})` : ''}`);
	}

	const index: NetworkIndex = {networks, complete: remote !== undefined};
	findings.push(...lintPods(pods, index, await readPolicy(args, notes)));
	printLintReport({findings, objects: nads.length + pods.length, notes}, textFlag(args, 'output'), context);
	return countFindings(findings).errors > 0 ? CommandExit.lintErrors : 0;
};

function lintPods(pods: readonly PodObject[], index: NetworkIndex, policy: IsolationPolicy): ObjectFinding[] {
	return pods.flatMap(pod => lintPodNetworks(pod.metadata, pod.namespace, pod.metadataPath, index, policy).map(finding => ({source: pod.source, object: pod.label, ...finding})));
}

async function readEnvironment(args: ParsedArgs, nads: readonly NadObject[], notes: string[]): Promise<LintEnvironment> {
	const hostPrefix = textFlag(args, 'host-prefix');
	const binDir = textFlag(args, 'cni-bin-dir') || (hostPrefix === '' ? '' : path.join(hostPrefix, 'opt/cni/bin'));
	let catalog;
	if (binDir !== '') {
		if (await fs.stat(binDir).then(stat => stat.isDirectory(), () => false)) {
			catalog = await readPluginCatalog(binDir, nads.flatMap(nad => referencedPluginTypes(nad.object)));
			notes.push(`plugin binaries and their versions checked in ${binDir}`);
		} else {
			notes.push(`${binDir} is not a directory: plugin binaries not checked (on MicroShift pass --cni-bin-dir=<host-prefix>/run/cni/bin)`);
		}
	}

	const node = hostPrefix === '' ? undefined : await readNodeInterfaces(hostPrefix);
	if (node) {
		notes.push(`interfaces checked in ${node.interfacesDir}`);
	} else if (hostPrefix !== '') {
		notes.push(`${path.join(hostPrefix, 'sys/class/net')} does not exist: master interfaces not checked`);
	}

	return {catalog, node};
}

async function readPolicy(args: ParsedArgs, notes: string[]): Promise<IsolationPolicy> {
	const fromFlags = (): IsolationPolicy => ({namespaceIsolation: boolFlag(args, 'namespace-isolation'), globalNamespaces: splitNamespaces(textFlag(args, 'global-namespaces'))});
	const hostPrefix = textFlag(args, 'host-prefix');
	if (args.explicit.has('namespace-isolation') || args.explicit.has('global-namespaces') || hostPrefix === '') {
		return fromFlags();
	}

	for (const name of ['00-multus.conf', '00-multus.conflist']) {
		const file = path.join(hostPrefix, 'etc/cni/net.d', name);
		const plugin = await readMultusPlugin(file);
		if (plugin) {
			const policy = {namespaceIsolation: plugin['namespaceIsolation'] === true, globalNamespaces: splitNamespaces(typeof plugin['globalNamespaces'] === 'string' ? plugin['globalNamespaces'] : '')};
			notes.push(`namespace isolation ${policy.namespaceIsolation ? `on (global namespaces: ${policy.globalNamespaces.join(', ')})` : 'off'}, as ${file} says`);
			return policy;
		}
	}

	return fromFlags();
}

async function readMultusPlugin(file: string): Promise<Record<string, unknown> | undefined> {
	try {
		const config = JSON.parse(await fs.readFile(file, 'utf8')) as unknown;
		const plugin = isJsonObject(config) && Array.isArray(config['plugins']) ? config['plugins'][0] : config;
		return isJsonObject(plugin) && plugin['type'] === 'multus' ? plugin : undefined;
	} catch {
		return undefined;
	}
}

// Multus's globalNamespaces: "default" unless the setting is given, and then exactly what it lists.
function splitNamespaces(value: string): string[] {
	const names = value.split(',').map(name => name.trim()).filter(name => name !== '');
	return names.length === 0 ? ['default'] : names;
}
