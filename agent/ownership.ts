// One writer per node: the newest agent claims the node, and an older one (a maxSurge rollout) stands by.
import {randomUUID} from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import {hostWriteError} from './errors.ts';
import {writeFileAtomic} from './fs-atomic.ts';

// The claim file's name, beside the kubeconfig in the root-only multus.d.
export const OWNER_FILE_NAME = 'agent-owner.json';

// This process's identity in the claim file.
export const instanceId = randomUUID();

// Claims the node for this process; a later claim by a newer agent wins.
export async function claimNode(directory: string): Promise<void> {
	const file = path.join(directory, OWNER_FILE_NAME);
	const claim = `${JSON.stringify({instance: instanceId, pid: process.pid, claimedAt: new Date().toISOString()})}\n`;
	try {
		await writeFileAtomic(file, claim, 0o600);
	} catch (error) {
		throw hostWriteError(file, error);
	}
}

// The instance that holds the claim now, or undefined when nobody does.
export async function currentOwner(directory: string): Promise<string | undefined> {
	try {
		const claim = JSON.parse(await fs.readFile(path.join(directory, OWNER_FILE_NAME), 'utf8')) as {instance?: unknown};
		return typeof claim.instance === 'string' ? claim.instance : undefined;
	} catch {
		return undefined;
	}
}

// Tells whether this process still owns the node (nobody else has claimed it since).
export async function ownsNode(directory: string): Promise<boolean> {
	const owner = await currentOwner(directory);
	return owner === undefined || owner === instanceId;
}
