// Runs one container of a DaemonSet manifest from an assembled image root filesystem, without a container
// engine: a private mount namespace (unshare), the pod's hostPath volumes and service-account token bind-
// mounted where the manifest mounts them, a read-only root when the manifest says so, then chroot with the
// container's user, capability set and no_new_privs (capsh), running the manifest's command and args.
import {spawn, spawnSync, type ChildProcess} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import type * as k8s from '@kubernetes/client-node';
import {loadAllYaml} from '@kubernetes/client-node';
import {createLogWaiter} from '../helpers/log-waiter.ts';

// Commands the runner needs on the host, with the Debian package that has each.
export const RUNNER_TOOLS: Record<string, string> = {unshare: 'util-linux', mount: 'mount', capsh: 'libcap2-bin', chroot: 'coreutils'};

// Returns why containers cannot be run here, or undefined when they can.
export function runnerProblem(): string | undefined {
	if (process.getuid?.() !== 0) {
		return 'not root (unshare --mount, bind mounts and chroot need root)';
	}

	const missing = Object.keys(RUNNER_TOOLS).filter(tool => which(tool) === undefined);
	if (missing.length > 0) {
		return `missing ${missing.map(tool => `${tool} (apt package ${RUNNER_TOOLS[tool]})`).join(', ')}`;
	}

	const probe = spawnSync(which('unshare')!, ['--mount', '--propagation', 'private', '--', 'true'], {encoding: 'utf8'});
	return probe.status === 0 ? undefined : `cannot create a mount namespace here (${probe.stderr.trim() || `exit ${probe.status}`})`;
}

// The first path on PATH (plus the sbin dirs) that holds an executable named command.
export function which(command: string): string | undefined {
	const directories = [...(process.env['PATH'] ?? '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin'];
	for (const directory of directories) {
		const candidate = path.join(directory, command);
		try {
			fs.accessSync(candidate, fs.constants.X_OK);
			return candidate;
		} catch {}
	}

	return undefined;
}

// The DaemonSet named name in a manifest file.
export function loadDaemonSet(file: string, name: string): k8s.V1DaemonSet {
	const documents = loadAllYaml(fs.readFileSync(file, 'utf8')) as Array<{kind?: string; metadata?: {name?: string}}>;
	const found = documents.find(document => document.kind === 'DaemonSet' && document.metadata?.name === name);
	if (found === undefined) {
		throw new Error(`no DaemonSet ${name} in ${file}`);
	}

	return found as k8s.V1DaemonSet;
}

// The container (or init container) named name of a DaemonSet.
export function containerOf(daemonSet: k8s.V1DaemonSet, name: string): k8s.V1Container {
	const spec = daemonSet.spec?.template.spec;
	const found = [...(spec?.initContainers ?? []), ...(spec?.containers ?? [])].find(container => container.name === name);
	if (found === undefined) {
		throw new Error(`no container ${name} in DaemonSet ${daemonSet.metadata?.name}`);
	}

	return found;
}

// One parsed stdout line: JSON when it is JSON, else {msg}.
export type OutputLine = Record<string, unknown> & {event?: string; msg?: string};

// A running container process.
export interface ContainerProcess {
	readonly child: ChildProcess;
	readonly lines: OutputLine[];
	readonly output: () => string;
	readonly exited: Promise<number>;
	waitFor(predicate: string | ((line: OutputLine) => boolean), timeoutMs?: number): Promise<OutputLine>;
	stop(signal?: NodeJS.Signals): Promise<number>;
}

export interface RunOptions {
	/** The assembled image root filesystem (a scratch copy: mount points are created in it). */
	rootfs: string;
	daemonSet: k8s.V1DaemonSet;
	container: k8s.V1Container;
	/** Host path of each hostPath volume → the directory that stands in for it on this machine. */
	hostPaths: Record<string, string>;
	/** The pod's service-account volume (kubelet layout), mounted read-only when the pod mounts a token. */
	serviceAccountDir?: string;
	/** Environment kubelet would give the container (PATH is added). */
	env?: Record<string, string>;
	/** Replace args (e.g. a free port in --health-address); default: the manifest's. */
	args?: string[];
}

const SERVICE_ACCOUNT_PATH = '/var/run/secrets/kubernetes.io/serviceaccount';
const DEVICES = ['null', 'zero', 'random', 'urandom'];

// The mount plan and command line, separate from spawning so tests can assert them.
export function planContainer(options: RunOptions): {mounts: Array<{source: string; target: string; readOnly: boolean}>; argv: string[]; readOnlyRoot: boolean; capabilities: string[]; privileged: boolean} {
	const {container, daemonSet} = options;
	const podSpec = daemonSet.spec?.template.spec;
	const volumes = new Map((podSpec?.volumes ?? []).map(volume => [volume.name, volume]));
	const mounts: Array<{source: string; target: string; readOnly: boolean}> = [];
	for (const mount of container.volumeMounts ?? []) {
		const hostPath = volumes.get(mount.name)?.hostPath?.path;
		if (hostPath === undefined) {
			throw new Error(`volume ${mount.name} of ${container.name} is not a hostPath volume`);
		}

		const source = options.hostPaths[hostPath];
		if (source === undefined) {
			throw new Error(`no stand-in directory for hostPath ${hostPath} (volume ${mount.name})`);
		}

		mounts.push({source, target: mount.mountPath, readOnly: mount.readOnly ?? false});
	}

	if (podSpec?.automountServiceAccountToken !== false && options.serviceAccountDir !== undefined) {
		mounts.push({source: options.serviceAccountDir, target: SERVICE_ACCOUNT_PATH, readOnly: true});
	}

	const security = container.securityContext ?? {};
	const privileged = security.privileged ?? false;
	if (!privileged && security.runAsUser !== 0) {
		throw new Error(`${container.name}: the runner only runs containers as uid 0 (runAsUser ${security.runAsUser})`);
	}

	const drop = security.capabilities?.drop ?? [];
	if (!privileged && !drop.includes('ALL')) {
		throw new Error(`${container.name}: the runner models only "drop: [ALL]" plus adds`);
	}

	const capabilities = privileged ? ['ALL'] : (security.capabilities?.add ?? []).map(name => `cap_${name.toLowerCase().replace(/^cap_/, '')}`);
	const command = container.command ?? [];
	if (command.length === 0) {
		throw new Error(`${container.name}: no command (the image ENTRYPOINT is not modelled)`);
	}

	return {mounts, argv: [...command, ...(options.args ?? container.args ?? [])], readOnlyRoot: security.readOnlyRootFilesystem ?? false, capabilities, privileged};
}

// Starts the container; its stdout lines are parsed as they arrive.
export function runContainer(options: RunOptions): ContainerProcess {
	const plan = planContainer(options);
	const root = options.rootfs;
	// Mount points, as the runtime creates them in the container's root.
	for (const mount of plan.mounts) {
		fs.mkdirSync(path.join(root, mount.target), {recursive: true});
	}

	fs.mkdirSync(path.join(root, 'proc'), {recursive: true});
	fs.mkdirSync(path.join(root, 'dev'), {recursive: true});
	for (const device of DEVICES) {
		fs.closeSync(fs.openSync(path.join(root, 'dev', device), 'a'));
	}

	// $1 = root; then groups of (source, target, ro) triples; the command after "--".
	const script = [
		'set -e',
		'root=$1; shift',
		'mount --bind "$root" "$root"',
		'mount --bind /proc "$root/proc"',
		...DEVICES.map(device => `mount --bind /dev/${device} "$root/dev/${device}"`),
		'while [ "$1" != -- ]; do',
		'  mount --bind "$1" "$root$2"',
		'  if [ "$3" = ro ]; then mount -o remount,bind,ro "$root$2"; fi',
		'  shift 3',
		'done',
		'shift',
		plan.readOnlyRoot ? 'mount -o remount,bind,ro "$root"' : ':',
		'exec "$@"',
	].join('\n');
	const mountArgs = plan.mounts.flatMap(mount => [mount.source, mount.target, mount.readOnly ? 'ro' : 'rw']);
	const [program, ...programArgs] = plan.argv as [string, ...string[]];
	const launcher = plan.privileged
		? [which('chroot')!, root, program, ...programArgs]
		: [which('capsh')!, `--chroot=${root}`, `--drop=${boundingSet().filter(cap => !plan.capabilities.includes(cap)).join(',')}`,
			`--caps=${plan.capabilities.length === 0 ? '=' : `${plan.capabilities.join(',')}=eip`}`, '--no-new-privs', `--shell=${program}`, '--', ...programArgs];
	const env = {PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', HOSTNAME: 'test-node', ...options.env};
	const child = spawn(which('unshare')!, ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', script, 'container', root, ...mountArgs, '--', ...launcher],
		{env, stdio: ['ignore', 'pipe', 'pipe']});
	return track(child);
}

// The capability names in this process's bounding set (all of them, for root).
function boundingSet(): string[] {
	const result = spawnSync(which('capsh')!, ['--print'], {encoding: 'utf8'});
	const line = /^Bounding set =(.*)$/m.exec(result.stdout)?.[1];
	if (line === undefined) {
		throw new Error(`cannot read the bounding set from capsh --print: ${result.stdout}${result.stderr}`);
	}

	return line.split(',').filter(name => name !== '');
}

function track(child: ChildProcess): ContainerProcess {
	const lines: OutputLine[] = [];
	let output = '';
	const waiter = createLogWaiter(child, lines, () => `container output:\n${output}`);
	const wakeAll = (): void => {
		waiter.wake();
	};

	child.stderr!.on('data', (chunk: Buffer) => {
		output += chunk.toString();
	});
	readline.createInterface({input: child.stdout!}).on('line', line => {
		output += `${line}\n`;
		try {
			const parsed = JSON.parse(line) as unknown;
			lines.push(typeof parsed === 'object' && parsed !== null ? parsed as OutputLine : {msg: line});
		} catch {
			lines.push({msg: line});
		}

		wakeAll();
	});
	const exited = new Promise<number>(resolve => {
		child.on('close', (code, signal) => {
			wakeAll();
			resolve(code ?? (signal ? 128 : 1));
		});
	});
	return {
		child,
		lines,
		output: () => output,
		exited,
		async waitFor(predicate, timeoutMs = 20_000) {
			return waiter.waitFor(predicate, timeoutMs);
		},
		async stop(signal = 'SIGTERM') {
			if (child.exitCode === null && child.signalCode === null) {
				child.kill(signal);
			}

			return exited;
		},
	};
}
