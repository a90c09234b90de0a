// The table macro for plugin lint tests: a config in, the exact findings (severity, path, message) out.
import test from 'ava';
import {lintNetworkAttachmentDefinition, type LintEnvironment} from '../../../cni/nad-lint.ts';
import type {JsonObject} from '../../../cni/json.ts';
import type {InterfaceFacts, NodeFacts} from '../../../cni/plugins/plugin.ts';

// A finding as the tables write it.
export type Expected = [severity: 'error' | 'warning', path: string, message: string];

// No bin dir and no node: what lint knows off a node.
export const OFF_NODE: LintEnvironment = {catalog: undefined, node: undefined};

// Wraps a CNI config in a NetworkAttachmentDefinition.
export function nad(config: unknown, name = 'test-net', namespace?: string): JsonObject {
	return {apiVersion: 'k8s.cni.cncf.io/v1', kind: 'NetworkAttachmentDefinition', metadata: namespace ? {name, namespace} : {name}, spec: {config: typeof config === 'string' ? config : JSON.stringify(config)}};
}

// A node with the given interfaces (name → partial facts), read from /host/sys/class/net.
export function nodeWith(interfaces: Record<string, Partial<InterfaceFacts>>): NodeFacts {
	return {interfacesDir: '/host/sys/class/net', interfaces: new Map(Object.entries(interfaces).map(([name, facts]) => [name, {mtu: 1500, bridge: false, wireless: false, ...facts}]))};
}

// Lints config as a NAD and compares every finding exactly.
export const lints = test.macro({
	exec(t, config: unknown, expected: Expected[], environment: LintEnvironment = OFF_NODE) {
		const {findings} = lintNetworkAttachmentDefinition(nad(config), environment);
		t.deepEqual(findings.map(finding => [finding.severity, finding.path, finding.message]), expected);
		for (const finding of findings) {
			t.true(finding.fix.length > 10 && /[.)]$/.test(finding.fix), `the fix reads as a sentence: ${finding.fix}`);
		}
	},
	title: providedTitle => providedTitle ?? 'lint',
});
