// The RPMs, built with rpmbuild from this checkout (deploy/rpm/make-rpm.sh) for both architectures: every
// file at MicroShift's path with its mode, the per-arch kustomization appended, and the %post scriptlet.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import test, {type ExecutionContext} from 'ava';
import {ARCHES, deployDir, kubectlProblem, layOutMicroShiftManifests, render, run, which, type Arch} from './helpers.ts';

const MANIFESTS = '/usr/lib/microshift/manifests.d/000-microshift-multus';
const TOOLS: Record<string, string> = {rpmbuild: 'rpm', rpm: 'rpm', rpm2cpio: 'rpm2cpio', cpio: 'cpio', tar: 'tar'};
const missing = Object.keys(TOOLS).filter(tool => which(tool) === undefined);
if (missing.length > 0) {
	console.log(`skipping the RPM tests: ${missing.map(tool => `${tool} (apt package ${TOOLS[tool]})`).join(', ')} not found`);
}

const rpmTest = missing.length === 0 ? test : test.skip;

type Built = {topdir: string; main: string; releaseInfo: string; ms: number};
const builds = new Map<Arch, Promise<Built>>();
const cleanups: string[] = [];

test.after.always(async () => {
	await Promise.all(cleanups.map(async directory => fs.rm(directory, {recursive: true, force: true})));
});

// Builds the RPMs for arch once per test file.
async function build(arch: Arch): Promise<Built> {
	let built = builds.get(arch);
	if (built === undefined) {
		built = (async () => {
			const topdir = await fs.mkdtemp(path.join(os.tmpdir(), `rpmbuild-${arch}-`));
			cleanups.push(topdir);
			const started = performance.now();
			const result = await run(path.join(deployDir, 'rpm/make-rpm.sh'), [topdir], {env: {...process.env, RPM_TARGET: arch}});
			if (result.code !== 0) {
				throw new Error(`make-rpm.sh failed:\n${result.stderr}`);
			}

			const ms = Math.round(performance.now() - started);
			const find = async (directory: string, prefix: string): Promise<string> => {
				const name = (await fs.readdir(path.join(topdir, 'RPMS', directory))).find(file => file.startsWith(prefix));
				if (name === undefined) {
					throw new Error(`no ${prefix}* RPM in ${directory}`);
				}

				return path.join(topdir, 'RPMS', directory, name);
			};

			return {topdir, main: await find(arch, 'microshift-multus-0'), releaseInfo: await find('noarch', 'microshift-multus-release-info-'), ms};
		})();
		builds.set(arch, built);
	}

	return built;
}

async function query(rpmFile: string, ...args: string[]): Promise<string> {
	const result = await run(which('rpm')!, ['-qp', ...args, rpmFile]);
	if (result.code !== 0) {
		throw new Error(`rpm -qp ${args.join(' ')} failed: ${result.stderr}`);
	}

	return result.stdout;
}

// "path mode owner:group flags" per file, sorted.
async function files(rpmFile: string): Promise<string[]> {
	return (await query(rpmFile, '--qf', '[%{FILENAMES} %{FILEMODES:perms} %{FILEUSERNAME}:%{FILEGROUPNAME} %{FILEFLAGS:fflags}\n]')).trim().split('\n').map(line => line.trimEnd()).sort();
}

async function extract(t: ExecutionContext, rpmFile: string): Promise<string> {
	const directory = await fs.mkdtemp(path.join(os.tmpdir(), 'rpm-payload-'));
	t.teardown(async () => fs.rm(directory, {recursive: true, force: true}));
	const result = await run('/bin/sh', ['-c', 'rpm2cpio "$1" | cpio -idm --quiet', 'extract', rpmFile], {cwd: directory});
	t.is(result.code, 0, result.stderr);
	return directory;
}

for (const arch of ARCHES) {
	rpmTest(`microshift-multus.${arch}: every file at its path with its mode, and the ${arch} images`, async t => {
		const built = await build(arch);
		t.log(`built the ${arch} RPMs in ${built.ms} ms`);
		t.is((await query(built.main, '--qf', '%{NAME} %{VERSION} %{ARCH}')), `microshift-multus 0.1.0 ${arch}`);
		t.deepEqual(await files(built.main), [
			'/etc/crio/crio.conf.d/12-microshift-multus.conf -rw-r--r-- root:root cn',
			'/etc/greenboot/check/required.d/41_microshift_running_check_multus.sh -rwxr-xr-x root:root',
			'/usr/bin/microshift-cleanup-plugin-multus -rwxr-xr-x root:root',
			`${MANIFESTS} drwxr-xr-x root:root`,
			...['00-namespace.yaml', '01-crd-networkattachmentdefinition.yaml', '02-service-account.yaml', '03-cluster-role.yaml',
				'04-cluster-role-binding.yaml', '05-multus-cni-token-rbac.yaml', '06-daemonset.yaml', '07-daemonset-dhcp.yaml', 'kustomization.yaml'].map(name => `${MANIFESTS}/${name} -rw-r--r-- root:root`),
		].sort());
		t.regex(await query(built.main, '--requires'), /^microshift$/m);

		// The payload: the repo's files, and kustomization.yaml = base + this architecture's image overrides.
		const payload = await extract(t, built.main);
		const same = async (installed: string, source: string): Promise<void> => {
			t.is(await fs.readFile(path.join(payload, installed), 'utf8'), await fs.readFile(path.join(deployDir, source), 'utf8'), installed);
		};

		await same('etc/crio/crio.conf.d/12-microshift-multus.conf', 'crio/12-microshift-multus.conf');
		await same('etc/greenboot/check/required.d/41_microshift_running_check_multus.sh', 'greenboot/microshift-running-check-multus.sh');
		await same('usr/bin/microshift-cleanup-plugin-multus', 'cleanup/microshift-cleanup-plugin-multus');
		await same(`${MANIFESTS.slice(1)}/06-daemonset.yaml`, 'base/06-daemonset.yaml');
		const kustomization = await fs.readFile(path.join(payload, MANIFESTS.slice(1), 'kustomization.yaml'), 'utf8');
		t.is(kustomization, await fs.readFile(path.join(deployDir, 'base/kustomization.yaml'), 'utf8') + await fs.readFile(path.join(deployDir, `microshift/kustomization.${arch}.yaml`), 'utf8'));

		// And it renders to what the deploy tests check (when the pinned kubectl is there).
		if (kubectlProblem() === undefined) {
			const expected = await layOutMicroShiftManifests(arch, path.join(payload, 'expected'));
			t.is((await render(path.join(payload, MANIFESTS.slice(1)))).yaml, (await render(expected)).yaml);
		} else {
			t.log(`not rendering the payload: ${kubectlProblem()}`);
		}
	});
}

rpmTest('microshift-multus-release-info is noarch and carries both release files', async t => {
	const built = await build('x86_64');
	t.is(await query(built.releaseInfo, '--qf', '%{NAME} %{ARCH}'), 'microshift-multus-release-info noarch');
	t.deepEqual(await files(built.releaseInfo), [
		'/usr/share/microshift/release/release-multus-aarch64.json -rw-r--r-- root:root',
		'/usr/share/microshift/release/release-multus-x86_64.json -rw-r--r-- root:root',
	]);
	const payload = await extract(t, built.releaseInfo);
	for (const arch of ARCHES) {
		t.is(await fs.readFile(path.join(payload, `usr/share/microshift/release/release-multus-${arch}.json`), 'utf8'),
			await fs.readFile(path.join(deployDir, `microshift/release-multus-${arch}.json`), 'utf8'));
	}
});

rpmTest('%post restarts a running CRI-O on first install only, and never fails the install', async t => {
	const built = await build('x86_64');
	const scripts = await query(built.main, '--scripts');
	t.deepEqual([...scripts.matchAll(/^(\w+) scriptlet/gm)].map(match => match[1]), ['postinstall'], 'no other scriptlets (uninstall is not supported)');
	const post = scripts.replace(/^postinstall scriptlet \(using \/bin\/sh\):\n/, '');

	// Runs the scriptlet with a fake systemctl that logs its calls and answers is-active with activeCode.
	const runPost = async (installCount: number, activeCode: number): Promise<{code: number; calls: string}> => {
		const bin = await fs.mkdtemp(path.join(os.tmpdir(), 'rpm-post-'));
		t.teardown(async () => fs.rm(bin, {recursive: true, force: true}));
		await fs.writeFile(path.join(bin, 'systemctl'), `#!/bin/sh\necho "$*" >>"${bin}/calls"\n[ "$1" = is-active ] && exit ${activeCode}\nexit 0\n`, {mode: 0o755});
		const result = await run('/bin/sh', ['-c', post, 'post', String(installCount)], {env: {PATH: `${bin}:/usr/bin:/bin`}});
		return {code: result.code, calls: await fs.readFile(path.join(bin, 'calls'), 'utf8').catch(() => '')};
	};

	t.deepEqual(await runPost(1, 0), {code: 0, calls: 'is-active --quiet crio\nrestart --quiet crio\n'});
	t.deepEqual(await runPost(1, 3), {code: 0, calls: 'is-active --quiet crio\n'});
	t.deepEqual(await runPost(2, 0), {code: 0, calls: ''}, 'an upgrade leaves CRI-O alone');
});
