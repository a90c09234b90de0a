// Bundles the agent into one file (dist/multus-agent.mjs) so the node process loads only what it runs.
import {build} from 'esbuild';

await build({
	entryPoints: ['agent/main.ts'],
	outfile: 'dist/multus-agent.mjs',
	bundle: true,
	platform: 'node',
	format: 'esm',
	target: 'node24',
	minifyWhitespace: true,
	minifySyntax: true,
	legalComments: 'linked',
	external: ['@kubernetes/client-node'],
	banner: {
		// Some CommonJS dependencies (pino, tar) call require(); give the ESM bundle one.
		js: "import {createRequire as __createRequire} from 'node:module'; const require = __createRequire(import.meta.url);",
	},
	logLevel: 'warning',
});
