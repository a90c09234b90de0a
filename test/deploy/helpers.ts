// Shared by the deploy tests: paths, running tools, the MicroShift manifests layout and kubectl.
import {execFile} from 'node:child_process';
import fs from 'node:fs/promises';
import {accessSync, constants} from 'node:fs';
import path from 'node:path';
import {loadAllYaml} from '@kubernetes/client-node';

export const repo = path.resolve(import.meta.dirname, '../..');
export const deployDir = path.join(repo, 'deploy');
export const ARCHES = ['x86_64', 'aarch64'] as const;
export type Arch = typeof ARCHES[number];

// Where test/kube/build.sh leaves kubectl (pinned with kube-apiserver; a fresh machine has no other).
export const kubectl = path.join(repo, '.cache/kube/current/kubectl');

// Why kubectl cannot be used, or undefined.
export function kubectlProblem(): string | undefined {
	return isExecutable(kubectl) ? undefined : `${kubectl} not found: run test/kube/build.sh`;
}

export function isExecutable(file: string): boolean {
	try {
		accessSync(file, constants.X_OK);
		return true;
	} catch {
		return false;
	}
}

// The first executable named command on PATH (plus the sbin dirs), or undefined.
export function which(command: string): string | undefined {
	for (const directory of [...(process.env['PATH'] ?? '').split(':'), '/usr/local/sbin', '/usr/sbin', '/sbin']) {
		if (directory !== '' && isExecutable(path.join(directory, command))) {
			return path.join(directory, command);
		}
	}

	return undefined;
}

export type RunResult = {code: number; stdout: string; stderr: string};

// Runs a command to completion; never throws for a non-zero exit.
export async function run(command: string, args: readonly string[], options: {cwd?: string; env?: NodeJS.ProcessEnv; input?: string} = {}): Promise<RunResult> {
	return new Promise((resolve, reject) => {
		const child = execFile(command, args, {cwd: options.cwd, env: options.env ?? process.env, maxBuffer: 64 << 20}, (error, stdout, stderr) => {
			if (error && typeof error.code !== 'number') {
				reject(error);
				return;
			}

			resolve({code: typeof error?.code === 'number' ? error.code : 0, stdout, stderr});
		});
		child.stdin?.end(options.input);
	});
}

// Lays out the MicroShift manifests dir exactly as the RPM's %install does: deploy/base/0*.yaml and
// kustomization.yaml, with deploy/microshift/kustomization.<arch>.yaml appended.
export async function layOutMicroShiftManifests(arch: Arch, destination: string): Promise<string> {
	await fs.mkdir(destination, {recursive: true});
	const base = path.join(deployDir, 'base');
	for (const name of (await fs.readdir(base)).filter(name => /^0.*\.yaml$/.test(name))) {
		await fs.copyFile(path.join(base, name), path.join(destination, name));
	}

	const kustomization = await fs.readFile(path.join(base, 'kustomization.yaml'), 'utf8');
	const overrides = await fs.readFile(path.join(deployDir, `microshift/kustomization.${arch}.yaml`), 'utf8');
	await fs.writeFile(path.join(destination, 'kustomization.yaml'), kustomization + overrides);
	return destination;
}

// A rendered Kubernetes object, as far as these tests look into it.
export type KubeObject = {apiVersion: string; kind: string; metadata: {name: string; namespace?: string}} & Record<string, unknown>;

// kubectl kustomize DIR: the YAML text and the objects as plain data. The objects go through client-node's
// typed models, which drop fields they do not know; the server-side apply test (strict field validation)
// is what catches a misspelt field.
export async function render(directory: string): Promise<{yaml: string; objects: KubeObject[]}> {
	const result = await run(kubectl, ['kustomize', directory]);
	if (result.code !== 0) {
		throw new Error(`kubectl kustomize ${directory} failed: ${result.stderr}`);
	}

	return {yaml: result.stdout, objects: JSON.parse(JSON.stringify(loadAllYaml(result.stdout))) as KubeObject[]};
}

// The release file's image map of one architecture.
export async function releaseImages(arch: Arch): Promise<Record<string, string>> {
	const release = JSON.parse(await fs.readFile(path.join(deployDir, `microshift/release-multus-${arch}.json`), 'utf8')) as {images: Record<string, string>};
	return release.images;
}

// The package version (the image tag and the RPM version follow it).
export async function packageVersion(): Promise<string> {
	return (JSON.parse(await fs.readFile(path.join(repo, 'package.json'), 'utf8')) as {version: string}).version;
}
