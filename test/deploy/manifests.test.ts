// deploy/: both flavours render with the pinned kubectl, say what MicroShift needs, and apply to a real
// kube-apiserver with strict server-side field validation.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type * as k8s from '@kubernetes/client-node';
import test, {type ExecutionContext} from 'ava';
import {parseArgs} from '../../agent/flags.ts';
import {resolveOptions} from '../../agent/options.ts';
import {checkKubeBinaries, startKubeApiserver} from '../helpers/kube-apiserver.ts';
import {ARCHES, deployDir, kubectl, kubectlProblem, layOutMicroShiftManifests, packageVersion, releaseImages, render, run, type KubeObject} from './helpers.ts';

const missingKubectl = kubectlProblem();
if (missingKubectl !== undefined) {
	console.log(`skipping the kustomize tests: ${missingKubectl}`);
}

const missingApiserver = missingKubectl ?? checkKubeBinaries();
if (missingApiserver !== undefined) {
	console.log(`skipping the server-side apply test: ${missingApiserver}`);
}

const kubectlTest = missingKubectl === undefined ? test : test.skip;
const apiserverTest = missingApiserver === undefined ? test : test.skip;

const PLACEHOLDERS = ['multus-cni-microshift', 'containernetworking-plugins-microshift'];
const EXPECTED_OBJECTS = [
	'Namespace//openshift-multus',
	'CustomResourceDefinition//network-attachment-definitions.k8s.cni.cncf.io',
	'ServiceAccount/openshift-multus/multus',
	'ClusterRole//multus',
	'ClusterRoleBinding//multus',
	'ServiceAccount/openshift-multus/multus-cni',
	'ClusterRole//multus-cni',
	'ClusterRoleBinding//multus-cni',
	'Role/openshift-multus/multus-token-minter',
	'RoleBinding/openshift-multus/multus-token-minter',
	'DaemonSet/openshift-multus/multus',
	'DaemonSet/openshift-multus/dhcp-daemon',
].sort();

const key = (object: KubeObject): string => `${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;

function daemonSet(objects: KubeObject[], name: string): k8s.V1DaemonSet {
	const found = objects.find(object => object.kind === 'DaemonSet' && object.metadata.name === name);
	if (found === undefined) {
		throw new Error(`no DaemonSet ${name}`);
	}

	return found as unknown as k8s.V1DaemonSet;
}

function podSpec(set: k8s.V1DaemonSet): k8s.V1PodSpec {
	return set.spec!.template.spec!;
}

function images(objects: KubeObject[]): string[] {
	return objects.filter(object => object.kind === 'DaemonSet').flatMap(object => {
		const spec = podSpec(object as unknown as k8s.V1DaemonSet);
		return [...(spec.initContainers ?? []), ...spec.containers].map(container => container.image!);
	});
}

async function tempDir(t: ExecutionContext, prefix: string): Promise<string> {
	const directory = await fs.mkdtemp(path.join(os.tmpdir(), prefix));
	t.teardown(async () => fs.rm(directory, {recursive: true, force: true}));
	return directory;
}

kubectlTest('the base renders the OpenShift names, with image placeholders', async t => {
	const {objects} = await render(path.join(deployDir, 'base'));
	t.deepEqual(objects.map(key).sort(), EXPECTED_OBJECTS);
	t.deepEqual(images(objects).sort(), ['containernetworking-plugins-microshift', 'containernetworking-plugins-microshift', 'multus-cni-microshift']);
});

kubectlTest('the multus DaemonSet runs the agent with MicroShift\'s arguments, probes and least privilege', async t => {
	const {objects, yaml} = await render(path.join(deployDir, 'base'));
	const set = daemonSet(objects, 'multus');
	const spec = podSpec(set);
	t.is(spec.serviceAccountName, 'multus');
	t.true(spec.hostNetwork);
	t.is(spec.priorityClassName, 'system-node-critical');
	t.deepEqual(spec.tolerations, [{operator: 'Exists'}]);
	t.is(spec.terminationGracePeriodSeconds, 10);
	t.deepEqual(spec.nodeSelector, {'kubernetes.io/os': 'linux'});
	t.is(spec.initContainers, undefined, 'no copy-script init container: the agent installs the binaries');
	t.deepEqual(spec.containers.map(container => container.name), ['kube-multus']);
	const container = spec.containers[0]!;
	t.deepEqual(container.command, ['/usr/bin/node', '--lite-mode', '/usr/lib/multus-agent/multus-agent.mjs']);
	t.deepEqual(container.args, [
		'--multus-conf-file=auto',
		'--cni-bin-dir=/host/run/cni/bin',
		'--multus-autoconfig-dir=/host/etc/cni/net.d',
		'--readiness-indicator-file=/etc/cni/net.d/10-ovn-kubernetes.conf',
		'--health-address=127.0.0.1:9781',
	]);
	t.is(container.lifecycle, undefined, 'no preStop rm: the config must survive restarts (multus-cni #1527)');
	t.false(yaml.includes('/bin/bash'), 'no bash anywhere');
	t.false(yaml.includes('cni-copy-resources'));

	// The agent accepts the arguments, and they point where MicroShift's host paths are mounted.
	const options = resolveOptions(parseArgs(container.args!), {KUBERNETES_SERVICE_HOST: '10.43.0.1', KUBERNETES_SERVICE_PORT: '443'});
	t.false(options.cleanupConfigOnExit);
	t.is(options.cniConfDir, '/host/etc/cni/net.d');
	t.is(options.cniBinDir, '/host/run/cni/bin');
	t.is(options.paths.kubeconfig, '/host/etc/cni/net.d/multus.d/multus.kubeconfig');
	t.is(options.healthAddress, '127.0.0.1:9781');
	t.deepEqual(options.cniPlugins, ['bridge', 'macvlan', 'ipvlan', 'host-local', 'dhcp', 'static']);
	const volumes = new Map((spec.volumes ?? []).map(volume => [volume.name, volume]));
	t.deepEqual(
		(container.volumeMounts ?? []).map(mount => [mount.mountPath, volumes.get(mount.name)?.hostPath?.path]).sort(),
		[['/host/etc/cni/net.d', '/etc/cni/net.d'], ['/host/run/cni/bin', '/run/cni/bin']],
		'hostPath mounts only for what the agent writes',
	);
	t.is(volumes.size, 2);

	// Probes: httpGet on the agent's loopback health address.
	const [host, port] = options.healthAddress.split(':');
	t.deepEqual({...container.readinessProbe?.httpGet}, {host, port: Number(port), path: '/readyz'});
	t.deepEqual({...container.livenessProbe?.httpGet}, {host, port: Number(port), path: '/healthz'});
	t.is(container.readinessProbe?.exec, undefined);

	t.deepEqual(container.resources?.requests, {cpu: '5m', memory: '64Mi'});
	t.is(container.resources?.limits, undefined);
	const security = container.securityContext!;
	t.false(security.privileged);
	t.is(security.runAsUser, 0);
	t.false(security.allowPrivilegeEscalation);
	t.true(security.readOnlyRootFilesystem);
	t.deepEqual(security.capabilities?.drop, ['ALL']);
	t.is(security.capabilities?.add, undefined);
	t.is(security.seLinuxOptions?.type, 'spc_t');
	t.is(security.seccompProfile?.type, 'RuntimeDefault');
});

kubectlTest('the dhcp-daemon DaemonSet has MicroShift\'s mounts and removes only a stale socket', async t => {
	const {objects} = await render(path.join(deployDir, 'base'));
	const spec = podSpec(daemonSet(objects, 'dhcp-daemon'));
	t.true(spec.hostNetwork);
	t.deepEqual(spec.tolerations, [{operator: 'Exists'}]);
	t.false(spec.automountServiceAccountToken);
	const [init] = spec.initContainers ?? [];
	t.is(init?.name, 'dhcp-daemon-initialization');
	t.deepEqual(init?.command, ['/usr/bin/node', '/usr/lib/multus-agent/dhcp-socket-cleanup.mjs', '/host/run/cni/dhcp.sock']);
	t.false(JSON.stringify(init).includes('rm -f'), 'no blind rm -f of a socket a live daemon may own');
	const daemon = spec.containers.find(container => container.name === 'dhcp-daemon')!;
	t.deepEqual(daemon.command, ['/usr/src/plugins/bin/dhcp']);
	t.deepEqual(daemon.args, ['daemon', '-hostprefix', '/host']);
	const volumes = new Map((spec.volumes ?? []).map(volume => [volume.name, volume.hostPath?.path]));
	t.deepEqual(
		(daemon.volumeMounts ?? []).map(mount => [volumes.get(mount.name), mount.mountPath, mount.mountPropagation ?? '']).sort(),
		[['/proc', '/host/proc', ''], ['/run/cni', '/host/run/cni', ''], ['/run/netns', '/host/var/run/netns', 'HostToContainer']],
	);
	t.deepEqual(init?.volumeMounts?.map(mount => [volumes.get(mount.name), mount.mountPath]), [['/run/cni', '/host/run/cni']]);
});

kubectlTest('the MicroShift flavour renders per architecture with our image and matches the release files', async t => {
	const version = await packageVersion();
	for (const arch of ARCHES) {
		const directory = await layOutMicroShiftManifests(arch, path.join(await tempDir(t, 'microshift-manifests-'), '000-microshift-multus'));
		const {objects} = await render(directory);
		t.deepEqual(objects.map(key).sort(), EXPECTED_OBJECTS, arch);
		const release = await releaseImages(arch);
		t.deepEqual(Object.keys(release).sort(), [...PLACEHOLDERS].sort(), `${arch} release keys`);
		t.is(release['multus-cni-microshift'], release['containernetworking-plugins-microshift'], 'our image replaces both');
		const image = release['multus-cni-microshift']!;
		t.regex(image, /^quay\.io\/microshift-multus\/multus-agent(:[\w.-]+|@sha256:[\da-f]{64})$/);
		if (image.includes(':') && !image.includes('@')) {
			t.is(image.split(':').at(-1), version, 'the image tag follows package.json');
		}

		t.deepEqual([...new Set(images(objects))], [image], `${arch}: every container runs the release image`);
		const releaseFile = JSON.parse(await fs.readFile(path.join(deployDir, `microshift/release-multus-${arch}.json`), 'utf8')) as {release: {base: string}};
		t.is(typeof releaseFile.release.base, 'string');
	}
});

kubectlTest('the RPM spec version follows package.json', async t => {
	const spec = await fs.readFile(path.join(deployDir, 'rpm/microshift-multus.spec'), 'utf8');
	t.is(/^Version:\s+(\S+)$/m.exec(spec)?.[1], await packageVersion());
});

apiserverTest('the MicroShift flavour applies server-side to a real kube-apiserver, idempotently, and binds the RBAC', async t => {
	const server = await startKubeApiserver();
	t.teardown(async () => server.stop());
	const work = await tempDir(t, 'microshift-apply-');
	const directory = await layOutMicroShiftManifests('x86_64', path.join(work, '000-microshift-multus'));
	const kube = async (...args: string[]) => run(kubectl, [`--kubeconfig=${server.adminKubeconfigPath}`, `--cache-dir=${path.join(work, 'cache')}`, ...args]);

	const started = performance.now();
	const applied = await kube('apply', '--server-side', '--field-manager=microshift', '-k', directory);
	t.is(applied.code, 0, applied.stderr);
	t.log(`applied in ${Math.round(performance.now() - started)} ms`);
	t.regex(applied.stdout, /daemonset\.apps\/multus serverside-applied/);
	t.regex(applied.stdout, /daemonset\.apps\/dhcp-daemon serverside-applied/);

	const established = await kube('wait', '--for=condition=Established', '--timeout=30s', 'crd/network-attachment-definitions.k8s.cni.cncf.io');
	t.is(established.code, 0, established.stderr);

	const get = async (...args: string[]): Promise<Record<string, unknown>> => {
		const result = await kube('get', '-o', 'json', ...args);
		t.is(result.code, 0, result.stderr);
		return JSON.parse(result.stdout) as Record<string, unknown>;
	};

	const multus = await get('-n', 'openshift-multus', 'daemonset', 'multus') as unknown as k8s.V1DaemonSet;
	t.is(podSpec(multus).containers[0]!.image, (await releaseImages('x86_64'))['multus-cni-microshift']);
	t.is(podSpec(multus).containers[0]!.readinessProbe?.httpGet?.path, '/readyz');
	const dhcp = await get('-n', 'openshift-multus', 'daemonset', 'dhcp-daemon') as unknown as k8s.V1DaemonSet;
	t.is(podSpec(dhcp).initContainers?.[0]?.name, 'dhcp-daemon-initialization');
	const binding = await get('clusterrolebinding', 'multus') as {roleRef: {name: string}; subjects: Array<{name: string; namespace: string}>};
	t.is(binding.roleRef.name, 'multus');
	t.deepEqual(binding.subjects.map(subject => `${subject.namespace}/${subject.name}`), ['openshift-multus/multus']);
	await get('-n', 'openshift-multus', 'serviceaccount', 'multus');
	await get('namespace', 'openshift-multus');

	// The ServiceAccount may do what the multus binary does on a CNI ADD, and not more.
	const canI = async (...args: string[]): Promise<string> => (await kube('auth', 'can-i', '--as=system:serviceaccount:openshift-multus:multus', ...args)).stdout.trim();
	t.is(await canI('get', 'pods', '-n', 'default'), 'yes');
	t.is(await canI('update', 'pods', '--subresource=status', '-n', 'default'), 'yes');
	t.is(await canI('update', 'pods', '-n', 'default'), 'no');
	t.is(await canI('list', 'network-attachment-definitions.k8s.cni.cncf.io', '-n', 'default'), 'yes');
	t.is(await canI('create', 'events', '-n', 'default'), 'yes');
	t.is(await canI('delete', 'pods', '-n', 'default'), 'no');
	t.is(await canI('get', 'secrets', '-n', 'openshift-multus'), 'no');

	// Validation is strict: a misspelt field fails the apply instead of vanishing.
	const misspelt = await layOutMicroShiftManifests('x86_64', path.join(work, 'misspelt'));
	const daemonSetFile = path.join(misspelt, '06-daemonset.yaml');
	await fs.writeFile(daemonSetFile, (await fs.readFile(daemonSetFile, 'utf8')).replace('terminationGracePeriodSeconds:', 'terminationGracePeriodSecond:'));
	const rejected = await kube('apply', '--server-side', '--dry-run=server', '--field-manager=microshift', '-k', misspelt);
	t.not(rejected.code, 0);
	t.regex(rejected.stderr, /\.spec\.template\.spec\.terminationGracePeriodSecond: field not declared in schema/);

	// Applying the same manifests again changes nothing.
	const versions = async (): Promise<string[]> => (await Promise.all([
		get('-n', 'openshift-multus', 'daemonset', 'multus'),
		get('-n', 'openshift-multus', 'daemonset', 'dhcp-daemon'),
		get('clusterrole', 'multus'),
	])).map(object => String((object['metadata'] as {resourceVersion: string}).resourceVersion));
	const before = await versions();
	const again = await kube('apply', '--server-side', '--field-manager=microshift', '-k', directory);
	t.is(again.code, 0, again.stderr);
	t.deepEqual(await versions(), before);
});
