// The CRI-O drop-in: valid TOML that makes Multus CRI-O's default network and /run/cni/bin its plugin dir.
// Parsed with Python's tomllib (Python >= 3.11), CRI-O's own format without an npm dependency.
import path from 'node:path';
import test from 'ava';
import {deployDir, run, which} from './helpers.ts';

const PARSE = 'import json, sys, tomllib\nwith open(sys.argv[1], "rb") as f:\n    print(json.dumps(tomllib.load(f)))';

async function problem(): Promise<string | undefined> {
	const python = which('python3');
	if (python === undefined) {
		return 'python3 not found (apt package python3)';
	}

	const probe = await run(python, ['-c', 'import tomllib']);
	return probe.code === 0 ? undefined : `python3 has no tomllib (needs Python 3.11+): ${probe.stderr.trim()}`;
}

const skip = await problem();
if (skip !== undefined) {
	console.log(`skipping the CRI-O drop-in test: ${skip}`);
}

(skip === undefined ? test : test.skip)('12-microshift-multus.conf sets exactly the Multus default network and /run/cni/bin', async t => {
	const file = path.join(deployDir, 'crio/12-microshift-multus.conf');
	const parsed = await run(which('python3')!, ['-c', PARSE, file]);
	t.is(parsed.code, 0, parsed.stderr);
	t.deepEqual(JSON.parse(parsed.stdout), {
		crio: {
			network: {
				// The network name the agent writes into 00-multus.conf (thin_entrypoint's default).
				cni_default_network: 'multus-cni-network',
				// Our bin dir first (and only): the plugins the agent installs win over any RPM's.
				plugin_dirs: ['/run/cni/bin'],
			},
		},
	});
});

(skip === undefined ? test : test.skip)('the parser rejects what CRI-O would reject (the test can fail)', async t => {
	const parsed = await run(which('python3')!, ['-c', 'import sys, tomllib\ntomllib.loads(sys.stdin.read())'], {input: '[crio.network]\nplugin_dirs = ["/run/cni/bin",\n'});
	t.not(parsed.code, 0);
});
