// The image's root filesystem, assembled by image/rootfs/assemble.sh (what the Containerfile's final stage
// copies), run without a container engine exactly as the DaemonSets run it: the manifest's command, args,
// hostPath mounts, read-only root, user and capability set (see container.ts). Needs root.
import {execFile, spawn, spawnSync} from 'node:child_process';
import {createHash} from 'node:crypto';
import {watch} from 'node:fs';
import fs from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import {pipeline} from 'node:stream/promises';
import {Writable} from 'node:stream';
import {promisify} from 'node:util';
import {createGzip} from 'node:zlib';
import test from 'ava';
import {findFreePorts} from '../helpers/free-ports.ts';
import {getText} from '../helpers/http-get.ts';
import {OVN_PRIMARY, TEST_CA} from '../helpers/host-root.ts';
import {writeProjectedVolume} from '../helpers/kubelet.ts';
import {containerOf, loadDaemonSet, runContainer, runnerProblem, which, type ContainerProcess} from './container.ts';

const repo = path.resolve(import.meta.dirname, '../..');
const binDir = path.join(repo, '.cache/bin/current');
const nodeBin = path.join(repo, 'node_modules/node/bin/node');
const GO_BINARIES = {'usr/src/multus-cni/bin': ['multus'], 'usr/src/plugins/bin': ['bridge', 'macvlan', 'ipvlan', 'host-local', 'dhcp', 'static']};
const SIZE_BUDGET = 1.2;

function problem(): string | undefined {
	const runner = runnerProblem();
	if (runner !== undefined) {
		return runner;
	}

	for (const tool of ['ldd', 'tar']) {
		if (which(tool) === undefined) {
			return `missing ${tool}`;
		}
	}

	const missing = Object.values(GO_BINARIES).flat().filter(name => spawnSync('test', ['-x', path.join(binDir, name)]).status !== 0);
	if (missing.length > 0) {
		return `no ${missing.join(', ')} in ${binDir}: run image/build-binaries.sh`;
	}

	return spawnSync('test', ['-x', nodeBin]).status === 0 ? undefined : `no ${nodeBin}: run npm ci`;
}

const skipReason = problem();
if (skipReason !== undefined) {
	console.log(`skipping the image rootfs tests: ${skipReason}`);
}

const rootTest = skipReason === undefined ? test.serial : test.serial.skip;

type Assembled = {work: string; rootfs: string; log: string; ms: number};
let assembled: Promise<Assembled> | undefined;

// Bundles the current sources and assembles the rootfs once for all tests in this file.
async function assemble(): Promise<Assembled> {
	assembled ??= (async () => {
		const started = performance.now();
		const work = await fs.mkdtemp(path.join(os.tmpdir(), 'multus-rootfs-'));
		// `npm run build` from the repo root (so the bundle is byte-identical to dist/), but with dist/ bind-
		// mounted to a temp dir in a private mount namespace: other tests may be reading dist/ right now.
		const dist = path.join(work, 'dist');
		await fs.mkdir(dist);
		await promisify(execFile)(which('unshare')!, ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c',
			'mkdir -p dist && mount --bind "$1" dist && exec "$2" scripts/bundle.mjs', 'bundle', dist, nodeBin], {cwd: repo});
		const rootfs = path.join(work, 'rootfs');
		const {stdout, stderr} = await promisify(execFile)(path.join(repo, 'image/rootfs/assemble.sh'), [rootfs],
			{env: {...process.env, BUNDLE: path.join(dist, 'multus-agent.mjs'), BIN_DIR: binDir, NODE_BIN: nodeBin}});
		return {work, rootfs: stdout.trim().split('\n').at(-1)!, log: stderr, ms: Math.round(performance.now() - started)};
	})();
	return assembled;
}

test.after.always(async () => {
	if (assembled !== undefined) {
		const {work} = await assembled.catch(() => ({work: undefined}));
		if (work !== undefined) {
			await fs.rm(work, {recursive: true, force: true});
		}
	}
});

// Every entry under root: relative path → lstat.
async function walk(root: string): Promise<Map<string, import('node:fs').Stats>> {
	const entries = new Map<string, import('node:fs').Stats>();
	for (const entry of await fs.readdir(root, {recursive: true, withFileTypes: true})) {
		const file = path.join(entry.parentPath, entry.name);
		entries.set(path.relative(root, file), await fs.lstat(file));
	}

	return entries;
}

async function sha256(file: string): Promise<string> {
	return createHash('sha256').update(await fs.readFile(file)).digest('hex');
}

// Bytes of the rootfs as one gzip-compressed tar layer (numeric root ownership, sorted names).
async function gzipLayerBytes(rootfs: string): Promise<number> {
	const tar = spawn(which('tar')!, ['--sort=name', '--numeric-owner', '--owner=0', '--group=0', '-C', rootfs, '-cf', '-', '.'], {stdio: ['ignore', 'pipe', 'inherit']});
	let bytes = 0;
	await pipeline(tar.stdout, createGzip(), new Writable({
		write(chunk: Buffer, _encoding, callback) {
			bytes += chunk.length;
			callback();
		},
	}));
	return bytes;
}

rootTest('the rootfs carries exactly the runtime, its libraries, the agent and the binaries, within the size budget', async t => {
	const {rootfs, log, ms} = await assemble();
	t.log(`bundled and assembled in ${ms} ms`);
	const entries = await walk(rootfs);
	const files = [...entries].filter(([, stat]) => !stat.isDirectory()).map(([name]) => name).sort();

	// Libraries: exactly what ldd resolves for node (the assemble log names each).
	const libraries = [...log.matchAll(/^\[assemble\] library \/(.+)$/gm)].map(match => match[1]!).sort();
	t.true(libraries.some(name => /\/libc\.so\.6$/.test(name)) && libraries.some(name => /ld-linux/.test(name)), `no libc or loader among ${libraries.join(', ')}`);
	// Packages the bundle keeps external (if any) and their dependencies, each under node_modules.
	const packages = [...log.matchAll(/^\[assemble\] package (\S+) \S+$/gm)].map(match => `usr/lib/multus-agent/node_modules/${match[1]!}`);
	const moduleFiles = files.filter(name => name.startsWith('usr/lib/multus-agent/node_modules/'));
	t.is(moduleFiles.length > 0, packages.length > 0, 'node_modules exactly when the bundle keeps a package external');
	for (const file of moduleFiles) {
		t.true(packages.some(directory => file.startsWith(`${directory}/`)), `${file} belongs to no copied package`);
		t.false(/\.(d\.[cm]?ts|map)$/.test(file), `${file}: types and source maps never run`);
	}

	if (packages.length > 0) {
		t.log(`the bundle keeps ${[...log.matchAll(/keeps (.+) external/g)].map(match => match[1]).join(', ')} external: ${packages.length} packages in node_modules`);
	}

	const expected = [
		...moduleFiles,
		'etc/group',
		'etc/passwd',
		'usr/bin/node',
		'usr/lib/multus-agent/dhcp-socket-cleanup.mjs',
		'usr/lib/multus-agent/multus-agent.mjs',
		'usr/lib/multus-agent/multus-agent.mjs.LEGAL.txt',
		'usr/lib/multus-agent/versions.json',
		...Object.entries(GO_BINARIES).flatMap(([directory, names]) => names.map(name => `${directory}/${name}`)),
		...libraries,
	].sort();
	t.deepEqual(files, expected);
	t.false(files.some(name => /^(usr\/)?s?bin\/(sh|bash|dash|busybox|npm|npx|apt|apt-get|dnf|yum|microdnf|rpm)$/.test(name)), 'a shell or package manager in the image');

	// The binaries are the pinned builds and the runtime is the npm node@24 binary, byte for byte.
	for (const [directory, names] of Object.entries(GO_BINARIES)) {
		for (const name of names) {
			t.is(await sha256(path.join(rootfs, directory, name)), await sha256(path.join(binDir, name)), name);
			t.is(entries.get(`${directory}/${name}`)!.mode & 0o7777, 0o755, `${name} mode`);
		}
	}

	t.is(await sha256(path.join(rootfs, 'usr/bin/node')), await sha256(nodeBin));
	t.is(entries.get('tmp')!.mode & 0o7777, 0o1777);

	// Sizes: everything must be something the image has to carry, plus at most 20 % (it is ~0 today).
	const size = (name: string): number => entries.get(name)!.size;
	const mustCarry = {
		node: size('usr/bin/node'),
		libraries: libraries.reduce((sum, name) => sum + size(name), 0),
		bundle: size('usr/lib/multus-agent/multus-agent.mjs'),
		nodeModules: moduleFiles.reduce((sum, name) => sum + size(name), 0),
		goBinaries: Object.entries(GO_BINARIES).flatMap(([directory, names]) => names.map(name => size(`${directory}/${name}`))).reduce((a, b) => a + b, 0),
	};
	const mustCarryTotal = Object.values(mustCarry).reduce((a, b) => a + b, 0);
	const total = files.reduce((sum, name) => sum + size(name), 0);
	const started = performance.now();
	const gzipped = await gzipLayerBytes(rootfs);
	const mb = (bytes: number): string => `${(bytes / 1e6).toFixed(1)} MB`;
	t.log(`rootfs ${mb(total)} uncompressed, ${mb(gzipped)} as a gzip tar layer (compressed in ${Math.round(performance.now() - started)} ms)`);
	t.log(`must carry ${mb(mustCarryTotal)}: node ${mb(mustCarry.node)}, libraries ${mb(mustCarry.libraries)}, bundle ${(mustCarry.bundle / 1e3).toFixed(0)} kB, node_modules ${mb(mustCarry.nodeModules)}, Go binaries ${mb(mustCarry.goBinaries)}`);
	t.true(total <= SIZE_BUDGET * mustCarryTotal, `rootfs ${total} bytes > ${SIZE_BUDGET} × ${mustCarryTotal}`);
	t.true(gzipped < total, 'the gzip layer is not smaller than the tree');
});

rootTest('kube-multus runs from the rootfs as the DaemonSet runs it: installs, waits, writes, follows a token rotation', async t => {
	const {rootfs, work} = await assemble();
	const daemonSet = loadDaemonSet(path.join(repo, 'deploy/base/06-daemonset.yaml'), 'multus');
	const container = containerOf(daemonSet, 'kube-multus');
	// runContainer applies whatever the manifest says; this pins today's choice: no capability at all.
	t.deepEqual(container.securityContext?.capabilities?.drop, ['ALL']);
	t.is(container.securityContext?.capabilities?.add, undefined);
	t.true(container.securityContext?.readOnlyRootFilesystem);

	// The node: only the two host dirs the DaemonSet mounts, plus the pod's token volume.
	const node = await fs.mkdtemp(path.join(work, 'node-'));
	const confDir = path.join(node, 'etc/cni/net.d');
	const cniBin = path.join(node, 'run/cni/bin');
	await fs.mkdir(confDir, {recursive: true});
	const serviceAccount = path.join(node, 'pod-serviceaccount');
	await writeProjectedVolume(serviceAccount, {token: 'token-1', 'ca.crt': TEST_CA});

	// The manifest's args, with a free port instead of 9781 (this test shares the host network).
	const [port] = await findFreePorts(1) as [number];
	const args = (container.args ?? []).map(arg => arg.startsWith('--health-address=') ? `--health-address=127.0.0.1:${port}` : arg);
	t.true(args.some(arg => arg.startsWith('--health-address=127.0.0.1:')), 'the manifest has no --health-address');
	const started = performance.now();
	const agent: ContainerProcess = runContainer({
		rootfs,
		daemonSet,
		container,
		args,
		// DirectoryOrCreate: kubelet creates /run/cni/bin; the test leaves that to the bind mount source.
		hostPaths: {'/etc/cni/net.d': confDir, '/run/cni/bin': await fs.mkdir(cniBin, {recursive: true}).then(() => cniBin)},
		serviceAccountDir: serviceAccount,
		env: {KUBERNETES_SERVICE_HOST: '127.0.0.1', KUBERNETES_SERVICE_PORT: '1'},
	});
	t.teardown(async () => agent.stop('SIGKILL'));

	// Installs the binaries, then waits for ovn-kubernetes' config (the readiness indicator).
	await agent.waitFor(line => line.event === 'waiting' && String(line['reason']).includes('readiness indicator'));
	t.log(`waiting for the readiness indicator after ${Math.round(performance.now() - started)} ms`);
	const notReady = await getText(`http://127.0.0.1:${port}/readyz`, {timeoutMs: 2000});
	t.is(notReady.status, 503);
	t.false((await fs.readdir(confDir)).includes('00-multus.conf'));

	await fs.writeFile(path.join(confDir, '.10-ovn-kubernetes.conf.partial'), JSON.stringify(OVN_PRIMARY));
	await fs.rename(path.join(confDir, '.10-ovn-kubernetes.conf.partial'), path.join(confDir, '10-ovn-kubernetes.conf'));
	await agent.waitFor('ready');
	t.log(`ready ${Math.round(performance.now() - started)} ms after start`);
	t.is((await getText(`http://127.0.0.1:${port}/readyz`, {timeoutMs: 2000})).status, 200);

	// It really runs confined: the process (unshare, sh and capsh exec'd into node) is rooted in the image,
	// uid 0 with no capability in any set and no_new_privs.
	const pid = agent.child.pid!;
	t.is(await fs.readlink(`/proc/${pid}/root`), rootfs);
	t.is(path.basename(await fs.readlink(`/proc/${pid}/exe`)), 'node');
	const status = await fs.readFile(`/proc/${pid}/status`, 'utf8');
	t.regex(status, /^Uid:\s+0\s+0\s+0\s+0$/m);
	for (const set of ['CapInh', 'CapPrm', 'CapEff', 'CapBnd', 'CapAmb']) {
		t.regex(status, new RegExp(`^${set}:\\s+0+$`, 'm'), set);
	}

	t.regex(status, /^NoNewPrivs:\s+1$/m);

	// Installs: multus and the six plugins, the image's bytes, 0755, with the ledger.
	for (const [directory, names] of Object.entries(GO_BINARIES)) {
		for (const name of names) {
			t.is(await sha256(path.join(cniBin, name)), await sha256(path.join(rootfs, directory, name)), `${name} installed`);
			t.is((await fs.stat(path.join(cniBin, name))).mode & 0o777, 0o755);
		}
	}

	const ledger = await fs.readFile(path.join(cniBin, '.multus-agent.sha256'), 'utf8');
	t.is(ledger.split('\n').filter(line => /^[\da-f]{64} {2}\S+$/.test(line)).length, 7);

	// Writes: 00-multus.conf (0600) delegating to ovn-kubernetes, and the kubeconfig (0600) with the token.
	const config = JSON.parse(await fs.readFile(path.join(confDir, '00-multus.conf'), 'utf8')) as Record<string, unknown>;
	t.is(config['name'], 'multus-cni-network');
	t.deepEqual(config['delegates'], [OVN_PRIMARY]);
	t.is(config['readinessindicatorfile'], '/etc/cni/net.d/10-ovn-kubernetes.conf');
	t.is(config['kubeconfig'], '/etc/cni/net.d/multus.d/multus.kubeconfig');
	t.is((await fs.stat(path.join(confDir, '00-multus.conf'))).mode & 0o777, 0o600);
	const kubeconfig = path.join(confDir, 'multus.d/multus.kubeconfig');
	t.is((await fs.stat(kubeconfig)).mode & 0o777, 0o600);
	t.regex(await fs.readFile(kubeconfig, 'utf8'), /token: "token-1"/);

	// Watches: kubelet rotates the token; the agent rewrites the kubeconfig.
	await writeProjectedVolume(serviceAccount, {token: 'token-2', 'ca.crt': TEST_CA});
	await agent.waitFor('kubeconfig-written');
	t.regex(await fs.readFile(kubeconfig, 'utf8'), /token: "token-2"/);

	// The read-only root stayed untouched and SIGTERM ends it with 0 well within the grace period.
	const stopping = performance.now();
	t.is(await agent.stop('SIGTERM'), 0, agent.output());
	const grace = daemonSet.spec?.template.spec?.terminationGracePeriodSeconds ?? 30;
	t.true(performance.now() - stopping < Math.min(1000 * grace, 2000), `stopping took ${Math.round(performance.now() - stopping)} ms`);
	t.true((await fs.readdir(confDir)).includes('00-multus.conf'), 'the config stays after a stop (no --cleanup-config-on-exit)');
	t.false(agent.output().includes('EROFS'), 'the agent tried to write to its read-only root');
});

// A socket file with no listener, as a killed daemon leaves it.
async function createStaleSocket(file: string): Promise<void> {
	const child = spawn(process.execPath, ['-e', `require('node:net').createServer().listen(${JSON.stringify(file)}, () => process.kill(process.pid, 'SIGKILL'))`]);
	await new Promise(resolve => child.on('close', resolve));
	if (!(await fs.lstat(file)).isSocket()) {
		throw new Error(`${file} is not a socket`);
	}
}

function connects(file: string): Promise<boolean> {
	return new Promise(resolve => {
		const connection = net.createConnection({path: file});
		connection.once('connect', () => {
			connection.destroy();
			resolve(true);
		});
		connection.once('error', () => resolve(false));
	});
}

// Resolves once a unix socket at file accepts a connection (woken by its directory's events, not polling).
async function socketAccepts(file: string, timeoutMs = 10_000): Promise<void> {
	let wake = (): void => undefined;
	const watcher = watch(path.dirname(file), () => wake());
	const deadline = Date.now() + timeoutMs;
	try {
		while (!(await connects(file))) {
			const remaining = deadline - Date.now();
			if (remaining <= 0) {
				throw new Error(`${file} accepts no connection after ${timeoutMs} ms`);
			}

			await new Promise<void>(resolve => {
				const timer = setTimeout(resolve, remaining);
				wake = () => {
					clearTimeout(timer);
					resolve();
				};
			});
		}
	} finally {
		watcher.close();
	}
}

rootTest('dhcp-daemon runs from the rootfs as the DaemonSet runs it: a stale socket is removed, a live one is not', async t => {
	const {rootfs, work} = await assemble();
	const daemonSet = loadDaemonSet(path.join(repo, 'deploy/base/07-daemonset-dhcp.yaml'), 'dhcp-daemon');
	const init = containerOf(daemonSet, 'dhcp-daemon-initialization');
	const daemon = containerOf(daemonSet, 'dhcp-daemon');
	const node = await fs.mkdtemp(path.join(work, 'dhcp-node-'));
	const runCni = path.join(node, 'run/cni');
	const netns = path.join(node, 'run/netns');
	await fs.mkdir(runCni, {recursive: true});
	await fs.mkdir(netns, {recursive: true});
	const hostPaths = {'/run/cni': runCni, '/proc': '/proc', '/run/netns': netns};
	const socket = path.join(runCni, 'dhcp.sock');

	// A socket left behind by a killed daemon: the init container removes it.
	await createStaleSocket(socket);
	const first = runContainer({rootfs, daemonSet, container: init, hostPaths});
	t.is(await first.exited, 0, first.output());
	t.regex(first.output(), /removed stale socket/);
	await t.throwsAsync(fs.lstat(socket), {code: 'ENOENT'});

	// The daemon starts and listens on /host/run/cni/dhcp.sock (= the node's /run/cni/dhcp.sock).
	const running = runContainer({rootfs, daemonSet, container: daemon, hostPaths});
	t.teardown(async () => running.stop('SIGKILL'));
	await socketAccepts(socket);

	// A second pod's init container finds a live listener: it leaves the socket and fails, so kubelet retries.
	const second = runContainer({rootfs, daemonSet, container: init, hostPaths});
	t.is(await second.exited, 1, second.output());
	t.regex(second.output(), /live listener/);
	t.true((await fs.lstat(socket)).isSocket());
	await socketAccepts(socket);

	// SIGTERM: the daemon removes its own socket and exits.
	await running.stop('SIGTERM');
	await t.throwsAsync(fs.lstat(socket), {code: 'ENOENT'});
});

