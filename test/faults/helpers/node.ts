// A node under attack: a temporary host root with big two-version binaries, distinctive secrets, and a secret scan.
import {createHash, randomBytes} from 'node:crypto';
import {mkdtempSync, rmSync} from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type {ExecutionContext} from 'ava';
import {renderMultusConfig, type MultusConfigFile} from '../../../cni/multus-config.ts';
import {isPrimaryProblem, parsePrimary} from '../../../cni/primary.ts';
import {parseArgs} from '../../../agent/flags.ts';
import {renderLedger} from '../../../agent/ledger.ts';
import {renderKubeconfig, serverUrl} from '../../../agent/kubeconfig.ts';
import {resolveOptions, type Options} from '../../../agent/options.ts';
import {createHostRoot, PLUGINS, type HostRoot} from '../../helpers/host-root.ts';
import {writeProjectedVolume} from '../../helpers/kubelet.ts';
import {spawnAgent, Transcript, type FaultAgent, type SpawnOptions} from './agent.ts';

// The two builds of every binary a trial switches between.
export type Version = 'a' | 'b';

// Every binary the agent installs by default.
export const BINARIES = ['multus', ...PLUGINS] as const;

const MB = 1 << 20;

// The sha256 of each binary in each version, and of the ledger the agent writes for each version.
export interface Builds {
	readonly sha256: Readonly<Record<string, Readonly<Record<Version, string>>>>;
	readonly ledger: Readonly<Record<Version, string>>;
	file(name: string, version: Version): string;
}

// A host root with big binaries in two versions, distinctive secrets, and the agent runner bound to it.
export interface FaultNode extends HostRoot {
	readonly transcript: Transcript;
	readonly builds: Builds;
	/** Every token and CA fragment this node handed out: none may appear outside the kubeconfig. */
	readonly secrets: string[];
	readonly caPem: string;
	token: string;
	/** Points the source binaries (what the agent installs) at a version. */
	useSources(version: Version): Promise<void>;
	/** Puts a version's binaries into the bin dir atomically, as a package manager would. */
	plant(version: Version): Promise<void>;
	/** Publishes a new token (and the CA) the way kubelet does. */
	rotateToken(token?: string): Promise<string>;
	start(extra?: readonly string[], options?: SpawnOptions): FaultAgent;
	options(extra?: readonly string[]): Options;
	/** The kubeconfig the agent must write for a token. */
	kubeconfigFor(token: string): string;
	/** The Multus config the agent must write for a primary config's text. */
	configFor(primaryText: string, extra?: readonly string[], primaryName?: string): MultusConfigFile;
	/** Fails the test if a token or CA fragment is in any agent output or any host file but the kubeconfig. */
	assertNoSecrets(t: ExecutionContext): Promise<void>;
}

let buildsPromise: Promise<{directory: string; builds: Builds}> | undefined;

// Creates the node with version a installed as the sources, a fresh token and CA, and no agent running.
export async function faultNode(t: ExecutionContext, sizes: {multusMb?: number; pluginMb?: number} = {}): Promise<FaultNode> {
	const host = await createHostRoot();
	t.teardown(async () => host.cleanup());
	const {builds} = await (buildsPromise ??= createBuilds(sizes.multusMb ?? 8, sizes.pluginMb ?? 2));
	const transcript = new Transcript();
	const caBody = randomBytes(48).toString('base64');
	const caPem = `-----BEGIN CERTIFICATE-----\n${caBody}\n-----END CERTIFICATE-----\n`;
	const secrets = [caBody, Buffer.from(caPem).toString('base64')];
	const agents: FaultAgent[] = [];
	const node: FaultNode = {
		...host,
		transcript,
		builds,
		secrets,
		caPem,
		token: '',
		async useSources(version) {
			for (const name of BINARIES) {
				await replaceByLink(builds.file(name, version), name === 'multus' ? host.multusSource : path.join(host.sources, name));
			}
		},
		async plant(version) {
			for (const name of BINARIES) {
				await replaceByLink(builds.file(name, version), path.join(host.binDir, name));
			}
		},
		async rotateToken(token = `tok-${randomBytes(18).toString('hex')}`) {
			secrets.push(token);
			node.token = token;
			await writeProjectedVolume(host.serviceAccount, {token, 'ca.crt': caPem, namespace: 'openshift-multus'});
			return token;
		},
		start(extra = [], options = {}) {
			const agent = spawnAgent([...host.args, ...extra], transcript, {...options, env: {...host.env, ...options.env}});
			agents.push(agent);
			return agent;
		},
		options(extra = []) {
			return resolveOptions(parseArgs([...host.args, ...extra]), host.env);
		},
		kubeconfigFor(token) {
			return renderKubeconfig(serverUrl(node.options().kubernetes), {token, ca: caPem});
		},
		configFor(primaryText, extra = [], primaryName = '10-ovn-kubernetes.conf') {
			const primary = parsePrimary(primaryName, primaryText);
			if (isPrimaryProblem(primary)) {
				throw new Error(`test bug: the primary is not usable: ${JSON.stringify(primary)}`);
			}

			return renderMultusConfig(primary, node.options(extra).multusConfig);
		},
		async assertNoSecrets(t) {
			const leaks: string[] = [];
			const output = transcript.text();
			for (const secret of secrets) {
				if (output.includes(secret)) {
					leaks.push(`agent output contains ${describeSecret(secret)}`);
				}
			}

			for (const file of await regularFiles(host.host)) {
				if (file === host.kubeconfig) {
					continue;
				}

				const bytes = await fs.readFile(file);
				for (const secret of secrets) {
					if (bytes.includes(secret)) {
						leaks.push(`${path.relative(host.root, file)} contains ${describeSecret(secret)}`);
					}
				}
			}

			t.deepEqual(leaks, [], 'no token or CA material outside the kubeconfig');
		},
	};
	t.teardown(async () => {
		await Promise.all(agents.map(async agent => agent.stop('SIGKILL')));
	});
	await node.useSources('a');
	await node.rotateToken();
	return node;
}

// Every regular file under a directory (symlinks are not followed).
export async function regularFiles(directory: string): Promise<string[]> {
	const files: string[] = [];
	for (const entry of await fs.readdir(directory, {recursive: true, withFileTypes: true}).catch(() => [])) {
		if (entry.isFile()) {
			files.push(path.join(entry.parentPath, entry.name));
		}
	}

	return files;
}

// The sha256 of a file, or undefined when it is gone.
export async function sha256Of(file: string): Promise<string | undefined> {
	try {
		return createHash('sha256').update(await fs.readFile(file)).digest('hex');
	} catch {
		return undefined;
	}
}

// Names in a directory that are the agent's temp files.
export async function tempsIn(...directories: string[]): Promise<string[]> {
	const temps: string[] = [];
	for (const directory of directories) {
		for (const name of await fs.readdir(directory).catch(() => [] as string[])) {
			if (name.includes('.tmp-')) {
				temps.push(path.join(directory, name));
			}
		}
	}

	return temps;
}

// Temp files that outlive a write: present now and still there half a second later (one in flight is not a leak).
export async function leakedTemps(...directories: string[]): Promise<string[]> {
	const before = await tempsIn(...directories);
	if (before.length === 0) {
		return [];
	}

	await new Promise(resolve => {
		setTimeout(resolve, 500);
	});
	const after = new Set(await tempsIn(...directories));
	return before.filter(file => after.has(file));
}

async function replaceByLink(source: string, target: string): Promise<void> {
	const staged = path.join(path.dirname(target), '..', `.staged-${path.basename(target)}-${randomBytes(4).toString('hex')}`);
	await fs.link(source, staged);
	await fs.rename(staged, target);
}

async function createBuilds(multusMb: number, pluginMb: number): Promise<{directory: string; builds: Builds}> {
	const directory = mkdtempSync(path.join(os.tmpdir(), 'multus-fault-builds-'));
	process.once('exit', () => {
		rmSync(directory, {recursive: true, force: true});
	});
	const sha256: Record<string, Record<Version, string>> = {};
	const file = (name: string, version: Version): string => path.join(directory, version, name);
	for (const version of ['a', 'b'] as const) {
		await fs.mkdir(path.join(directory, version));
		for (const name of BINARIES) {
			const bytes = Buffer.concat([Buffer.from(`#!/bin/sh\n# ${name} ${version}\nexit 0\n`), randomBytes((name === 'multus' ? multusMb : pluginMb) * MB)]);
			await fs.writeFile(file(name, version), bytes, {mode: 0o755});
			(sha256[name] ??= {a: '', b: ''})[version] = createHash('sha256').update(bytes).digest('hex');
		}
	}

	const ledger = (version: Version): string => renderLedger(new Map(BINARIES.map(name => [name, sha256[name]![version]])));
	return {directory, builds: {sha256, ledger: {a: ledger('a'), b: ledger('b')}, file}};
}

function describeSecret(secret: string): string {
	return `a secret (${secret.slice(0, 6)}…, ${secret.length} chars)`;
}
