// The shell scripts that ship (greenboot check, cleanup plugin) and the build scripts are shellcheck-clean;
// the cleanup plugin as POSIX sh (it runs under /bin/sh, which is dash on Debian and bash on RHEL).
import path from 'node:path';
import test from 'ava';
import {repo, run, which} from './helpers.ts';

const shellcheck = which('shellcheck');
if (shellcheck === undefined) {
	console.log('skipping the shellcheck tests: shellcheck not found (apt package shellcheck)');
}

const lintTest = shellcheck === undefined ? test.skip : test;

const SCRIPTS: Array<[string, string]> = [
	['deploy/greenboot/microshift-running-check-multus.sh', 'bash'],
	['deploy/cleanup/microshift-cleanup-plugin-multus', 'sh'],
	['deploy/rpm/make-rpm.sh', 'bash'],
	['image/rootfs/assemble.sh', 'bash'],
];

for (const [script, dialect] of SCRIPTS) {
	lintTest(`${script} is shellcheck-clean as ${dialect}`, async t => {
		const result = await run(shellcheck!, ['--shell', dialect, '--severity', 'style', path.join(repo, script)]);
		t.is(result.code, 0, result.stdout + result.stderr);
	});
}

lintTest('shellcheck finds a bash-ism in POSIX sh (the lint can fail)', async t => {
	const result = await run(shellcheck!, ['--shell', 'sh', '-'], {input: '#!/bin/sh\nif [[ -n "$1" ]]; then echo "$1"; fi\n'});
	t.not(result.code, 0);
	t.regex(result.stdout, /SC3010/);
});
