import test from 'ava';
import {configsShadowing, isPrimaryCandidate, isPrimaryProblem, parsePrimary, selectPrimary} from '../../cni/primary.ts';

const pick = test.macro((t, names: string[], expected: string | undefined, pinned?: string) => {
	t.is(selectPrimary(names, pinned), expected);
});

test('picks the first config in byte order', pick, ['20-b.conflist', '10-ovn-kubernetes.conf', '100-crio-bridge.conflist'], '10-ovn-kubernetes.conf');
test('accepts .json like the runtimes do', pick, ['50-a.json', '60-b.conf'], '50-a.json');
test('never picks our own config (self-delegation, multus-cni #1130)', pick, ['00-multus.conf', '00-multus.conflist', '10-ovn-kubernetes.conf'], '10-ovn-kubernetes.conf');
test('ignores temp, backup and other files', pick, ['.10-a.conf.tmp-1-2-ab', '10-a.conf.old', '10-a.conf.new', 'README', 'multus.d'], undefined);
test('sorts bytewise, not by locale', pick, ['B.conf', 'a.conf'], 'B.conf');
test('a pinned name wins over order', pick, ['05-other.conf', '10-ovn-kubernetes.conf'], '10-ovn-kubernetes.conf', '10-ovn-kubernetes.conf');
test('a pinned name that is missing picks nothing', pick, ['05-other.conf'], undefined, '10-ovn-kubernetes.conf');

test('candidate rule matches the extension exactly', t => {
	t.true(isPrimaryCandidate('10-x.conflist'));
	t.false(isPrimaryCandidate('10-x.conflist.bak'));
	t.false(isPrimaryCandidate('.conf'));
});

test('lists configs that sort before ours', t => {
	t.deepEqual(configsShadowing(['00-a.conf', '00-multus.conf', '10-ovn-kubernetes.conf'], '00-multus.conf'), ['00-a.conf']);
});

test('parses a conflist and unions capabilities (later plugins win, false kept)', t => {
	const result = parsePrimary('10-x.conflist', JSON.stringify({
		cniVersion: '1.0.0',
		name: 'x',
		capabilities: {ignored: true},
		plugins: [{type: 'a', capabilities: {portMappings: true, bandwidth: true}}, {type: 'b', capabilities: {bandwidth: false}}],
	}));
	if (isPrimaryProblem(result)) {
		t.fail(JSON.stringify(result));
		return;
	}

	t.true(result.isList);
	t.deepEqual(result.capabilities, {portMappings: true, bandwidth: false});
});

const problem = test.macro((t, text: string, kind: 'incomplete' | 'invalid', pattern: RegExp) => {
	const result = parsePrimary('10-x.conf', text);
	t.true(isPrimaryProblem(result));
	if (isPrimaryProblem(result)) {
		t.is(result.kind, kind);
		t.regex(result.kind === 'incomplete' ? result.reason : result.error.message, pattern);
	}
});

test('an empty file is incomplete (its owner may be mid-write)', problem, '', 'incomplete', /empty/);
test('truncated JSON is incomplete', problem, '{"cniVersion": "0.4', 'incomplete', /not valid JSON yet/);
test('a missing cniVersion is invalid and says how to fix it', problem, '{"name":"x","type":"y"}', 'invalid', /\$\.cniVersion: is missing\. Add "cniVersion"/);
test('a non-string cniVersion is invalid, not a crash', problem, '{"cniVersion":1,"name":"x","type":"y"}', 'invalid', /\$\.cniVersion: must be a non-empty string, found 1/);
test('a cniVersion that is no version is invalid', problem, '{"cniVersion":"latest","name":"x","type":"y"}', 'invalid', /"latest" is not a CNI version/);
test('a missing name is invalid', problem, '{"cniVersion":"0.4.0","type":"y"}', 'invalid', /\$\.name: is missing/);
test('a .conf without type is invalid', problem, '{"cniVersion":"0.4.0","name":"x"}', 'invalid', /\$\.type: is missing/);
test('an empty plugins list is invalid', problem, '{"cniVersion":"1.0.0","name":"x","plugins":[]}', 'invalid', /\$\.plugins: must be a non-empty array/);
test('a plugin entry that is not an object is invalid', problem, '{"cniVersion":"1.0.0","name":"x","plugins":["a"]}', 'invalid', /\$\.plugins\[0\]: is a string/);
test('a non-bool capability is invalid, not a crash', problem, '{"cniVersion":"0.4.0","name":"x","type":"y","capabilities":{"mac":"yes"}}', 'invalid', /capabilities\.mac: must be true or false/);
test('a JSON array is invalid', problem, '[1]', 'invalid', /JSON array, not an object/);
