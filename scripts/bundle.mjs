// Bundles the agent into one file (dist/multus-agent.mjs) so the node process loads only what it runs.
// Run from the repository root (paths are relative to the working directory). --analyze prints what the bundle holds;
// --outfile=FILE writes elsewhere (bench variants).
import {builtinModules} from 'node:module';
import {build} from 'esbuild';

// Node built-ins reach the bundle as require() calls, not import statements. An ESM import of a built-in makes
// Node build the module's ESM facade, which reads every export, lazy getters included: `import … from 'node:http'`
// alone loads tls, http2, zlib, crypto, perf_hooks, worker_threads and undici (http's lazy WebSocket et al.),
// which an idle agent never uses (measured: 4.3 MB of RSS, 2.5 MB of it anonymous). require() returns the CommonJS
// object and leaves the getters lazy.
const BUILTINS = new Set(builtinModules.map(name => name.replace(/^node:/, '')));
const builtinsByRequire = {
	name: 'builtins-by-require',
	setup(builder) {
		builder.onResolve({filter: /^(node:)?[a-z_][\w/-]*$/}, ({path, namespace}) => {
			const name = path.replace(/^node:/, '');
			if (!BUILTINS.has(name) && !path.startsWith('node:')) {
				return undefined;
			}

			// The stand-in module's own require() stays a runtime require of the real built-in.
			return namespace === 'builtin' ? {path: `node:${name}`, external: true} : {path: `node:${name}`, namespace: 'builtin'};
		});
		builder.onLoad({filter: /.*/, namespace: 'builtin'}, ({path}) => ({
			contents: `module.exports = require(${JSON.stringify(path)});`,
			loader: 'js',
		}));
	},
};

const analyze = process.argv.includes('--analyze');
// For measuring what the plugin saves (bench/lib/variants.ts); never used for the image.
const esmBuiltins = process.argv.includes('--esm-builtins');
const result = await build({
	entryPoints: ['agent/main.ts'],
	outfile: process.argv.find(arg => arg.startsWith('--outfile='))?.slice('--outfile='.length) ?? 'dist/multus-agent.mjs',
	bundle: true,
	platform: 'node',
	format: 'esm',
	target: 'node24',
	minifyWhitespace: true,
	minifySyntax: true,
	legalComments: 'linked',
	external: ['@kubernetes/client-node'],
	plugins: esmBuiltins ? [] : [builtinsByRequire],
	banner: {
		// CommonJS dependencies (pino, tar) and the built-ins above call require(); give the ESM bundle one.
		js: "import {createRequire as __createRequire} from 'node:module'; const require = __createRequire(import.meta.url);",
	},
	metafile: analyze,
	logLevel: 'warning',
});

if (analyze) {
	const {analyzeMetafile} = await import('esbuild');
	process.stdout.write(await analyzeMetafile(result.metafile));
}
