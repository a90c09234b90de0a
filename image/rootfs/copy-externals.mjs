// Copies the packages the bundle leaves external (scripts/bundle.mjs: @kubernetes/client-node), with their
// runtime dependency closure, from an installed node_modules (pinned by package-lock.json) into the image.
// Used by assemble.sh only when the bundle imports such a package.
//
// Usage: node copy-externals.mjs FROM_NODE_MODULES TO_NODE_MODULES PACKAGE...
//
// It follows Node's resolution (a package's own node_modules, then each ancestor's) through dependencies,
// optionalDependencies and peerDependencies that are installed, keeps npm's layout (so every require and
// import resolves as it did), and leaves out what never runs: @types/* packages, *.d.ts and source maps.
// Prints one line per package to stdout: "<path relative to node_modules> <version>".
import fs from 'node:fs';
import path from 'node:path';

const [fromArgument, toArgument, ...names] = process.argv.slice(2);
if (fromArgument === undefined || toArgument === undefined || names.length === 0) {
	console.error('usage: node copy-externals.mjs FROM_NODE_MODULES TO_NODE_MODULES PACKAGE...');
	process.exit(2);
}

const from = fs.realpathSync(fromArgument);
const top = path.dirname(from);
const to = path.resolve(toArgument);
const SKIPPED_FILE = /\.(d\.[cm]?ts|map)$/;

function readManifest(directory) {
	return JSON.parse(fs.readFileSync(path.join(directory, 'package.json'), 'utf8'));
}

// The installed directory of package name as seen from directory (a package dir, or the project dir).
function resolvePackage(name, directory) {
	for (let current = directory; ; current = path.dirname(current)) {
		if (path.basename(current) !== 'node_modules') {
			const candidate = path.join(current, 'node_modules', name);
			if (fs.existsSync(path.join(candidate, 'package.json'))) {
				return candidate;
			}
		}

		if (current === top || current === path.dirname(current)) {
			return undefined;
		}
	}
}

const closure = new Map();
function visit(name, directory, required) {
	if (name.startsWith('@types/')) {
		return;
	}

	const found = resolvePackage(name, directory);
	if (found === undefined) {
		if (required) {
			throw new Error(`${name} (needed from ${path.relative(top, directory) || 'the project'}) is not installed in ${from}: run npm ci`);
		}

		return;
	}

	if (closure.has(found)) {
		return;
	}

	const manifest = readManifest(found);
	closure.set(found, manifest.version);
	for (const dependency of Object.keys(manifest.dependencies ?? {})) {
		visit(dependency, found, true);
	}

	for (const dependency of Object.keys({...manifest.optionalDependencies, ...manifest.peerDependencies})) {
		visit(dependency, found, false);
	}
}

for (const name of names) {
	visit(name, top, true);
}

for (const [directory, version] of [...closure].sort(([a], [b]) => a.localeCompare(b))) {
	const relative = path.relative(from, directory);
	const ownModules = path.join(directory, 'node_modules');
	fs.cpSync(directory, path.join(to, relative), {
		recursive: true,
		preserveTimestamps: true,
		filter: source => source !== ownModules && !SKIPPED_FILE.test(source),
	});
	console.log(`${relative} ${version}`);
}
