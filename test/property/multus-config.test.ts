// Properties of primary selection, primary parsing and Multus config rendering over generated CNI configs.
import assert from 'node:assert/strict';
import test from 'ava';
import fc from 'fast-check';
import {CniConfigError} from '../../cni/errors.ts';
import {DEFAULT_NETWORK_NAME, renderMultusConfig} from '../../cni/multus-config.ts';
import {CONFIG_EXTENSIONS, isPrimaryProblem, OWN_CONFIG_PREFIX, parsePrimary, selectPrimary, sortBytewise} from '../../cni/primary.ts';
import {KNOWN_CNI_VERSIONS, needsConfList} from '../../cni/version.ts';
import {confDirListing, multusInput, oddString, primaryConfig, propertySeed} from './arbitraries.ts';

const isCandidate = (name: string): boolean => !name.startsWith(OWN_CONFIG_PREFIX) && CONFIG_EXTENSIONS.some(extension => name.endsWith(extension) && name.length > extension.length && name.lastIndexOf('.') === name.length - extension.length);

test('the primary is the bytewise-first candidate, never our own file, and a present pinned name always wins', t => {
	fc.assert(fc.property(confDirListing, fc.option(fc.oneof(oddString, fc.constantFrom('10-ovn.conf')), {nil: undefined}), (names, pinned) => {
		const chosen = selectPrimary(names, pinned ?? '');
		if (pinned !== undefined && pinned !== '') {
			return chosen === (names.includes(pinned) ? pinned : undefined);
		}

		const candidates = names.filter(name => isCandidate(name));
		return chosen === sortBytewise(candidates)[0] && (chosen === undefined || !chosen.startsWith(OWN_CONFIG_PREFIX));
	}), {seed: propertySeed(t), numRuns: 2000});
	t.pass();
});

test('parsing any text never throws: a config, or a problem that names the JSON path', t => {
	fc.assert(fc.property(fc.oneof(fc.string(), fc.string({unit: 'binary'}), fc.jsonValue().map(value => JSON.stringify(value)), primaryConfig.map(config => JSON.stringify(config).slice(0, -1))), text => {
		const result = parsePrimary('10-x.conf', text);
		if (!isPrimaryProblem(result)) {
			return (KNOWN_CNI_VERSIONS as readonly string[]).includes(result.cniVersion) || /^\d+\.\d+\.\d+$/.test(result.cniVersion);
		}

		return result.kind === 'incomplete' ? result.reason !== '' : result.error instanceof CniConfigError && result.error.jsonPath.startsWith('$');
	}), {seed: propertySeed(t), numRuns: 2000});
	t.pass();
});

test('every generated primary renders to valid JSON whose delegate equals the primary, with the right file name', t => {
	fc.assert(fc.property(primaryConfig, multusInput, fc.constantFrom('10-ovn-kubernetes.conf', '20-x.conflist', 'z.json'), (config, input, fileName) => {
		const text = JSON.stringify(config);
		const primary = parsePrimary(fileName, text);
		if (isPrimaryProblem(primary)) {
			throw new Error(`a valid primary was rejected: ${JSON.stringify(primary)}`);
		}

		const rendered = renderMultusConfig(primary, input);
		const document = JSON.parse(rendered.text) as Record<string, unknown>;
		const asList = needsConfList(primary.cniVersion);
		const multus = (asList ? (document['plugins'] as Array<Record<string, unknown>>)[0] : document)!;
		const expectedCapabilities = Object.assign({}, ...('plugins' in config ? (config['plugins'] as Array<{capabilities?: object}>) : [config as {capabilities?: object}]).map(entry => entry.capabilities ?? {})) as Record<string, boolean>;
		const expectedOptional: Record<string, unknown> = {
			namespaceIsolation: input.namespaceIsolation ? true : undefined,
			globalNamespaces: input.globalNamespaces || undefined,
			logToStderr: input.logToStderr ? undefined : false,
			logLevel: input.logLevel || undefined,
			logFile: input.logFile || undefined,
			binDir: input.additionalBinDir || undefined,
			confDir: input.confDir,
			readinessindicatorfile: input.readinessIndicatorFile || undefined,
		};
		// node:assert, not t.*, so that fast-check sees a failure and shrinks it to the smallest config.
		assert.deepEqual(multus['delegates'], [JSON.parse(text)], 'the delegate is the primary, semantically');
		assert.equal(rendered.fileName, asList ? '00-multus.conflist' : '00-multus.conf');
		assert.equal(rendered.otherFileName, asList ? '00-multus.conf' : '00-multus.conflist');
		assert.ok(rendered.text.endsWith('\n'));
		assert.equal(document['cniVersion'], primary.cniVersion);
		assert.equal(document['name'], input.overrideNetworkName ? primary.name : DEFAULT_NETWORK_NAME);
		assert.equal(multus['type'], 'multus');
		assert.equal(multus['kubeconfig'], input.kubeconfig);
		assert.deepEqual(multus['capabilities'] ?? {}, expectedCapabilities);
		for (const [key, value] of Object.entries(expectedOptional)) {
			assert.deepEqual(multus[key], value, key);
		}

		return true;
	}), {seed: propertySeed(t), numRuns: 500});
	t.pass();
});

test('a --cni-version the primary does not have is an error naming both, unless forced; forced, it rewrites both', t => {
	fc.assert(fc.property(primaryConfig, fc.constantFrom(...KNOWN_CNI_VERSIONS), multusInput, fc.boolean(), (config, wanted, input, force) => {
		const primary = parsePrimary('10-x.conf', JSON.stringify(config));
		if (isPrimaryProblem(primary)) {
			return false;
		}

		const render = (): ReturnType<typeof renderMultusConfig> => renderMultusConfig(primary, {...input, cniVersion: wanted, forceCniVersion: force});
		if (wanted !== primary.cniVersion && !force) {
			assert.throws(render, (error: unknown) => error instanceof CniConfigError && error.message.includes(`"${primary.cniVersion}"`) && error.message.includes('--cni-version'));
			return true;
		}

		const document = JSON.parse(render().text) as {cniVersion: string; plugins?: Array<{delegates: Array<{cniVersion: string}>}>; delegates?: Array<{cniVersion: string}>};
		const delegate = (document.plugins?.[0]?.delegates ?? document.delegates)![0]!;
		return document.cniVersion === wanted && delegate.cniVersion === wanted && render().fileName === (needsConfList(wanted) ? '00-multus.conflist' : '00-multus.conf');
	}), {seed: propertySeed(t), numRuns: 300});
	t.pass();
});

// V8's JSON.parse key cache: after a key "\\" was parsed at some position, an escaped key such as "\"" at the same
// position reads back as "\\" (nodejs/node#63785, V8 issue 521080746; found here by the render property). This test
// is expected to fail while the bug lasts; once it passes, V8 is fixed and oddKey in arbitraries.ts can allow escapes.
test.failing('JSON.parse reads an escaped key back exactly, whatever it parsed before (fails on V8 with nodejs/node#63785)', t => {
	JSON.parse('{"h":[],"\\\\":0}');
	t.deepEqual(Object.keys(JSON.parse('{"h":1,"\\"":2}')), ['h', '"']);
});
