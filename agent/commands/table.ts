// The subcommands beside the agent; each is loaded only when invoked, so the agent's own process never loads them.
import type {Command} from './command.ts';

// One subcommand: how it is written, what it does, and how to load it.
interface CommandEntry {
	readonly synopsis: string;
	readonly summary: string;
	readonly load: () => Promise<Command>;
}

const COMMANDS: Readonly<Record<string, CommandEntry>> = {
	lint: {synopsis: 'lint [FILE|-]... [--cluster]', summary: 'check NetworkAttachmentDefinitions and pod network annotations', load: async () => (await import('./lint.ts')).runLint},
	doctor: {synopsis: 'doctor [flags]', summary: 'check this node: CRI-O, config order, primary, binaries, kubeconfig, API access, dhcp', load: async () => (await import('./doctor.ts')).runDoctor},
	render: {synopsis: 'render [flags]', summary: 'print the Multus config and kubeconfig the agent would write (token redacted)', load: async () => (await import('./render.ts')).runRender},
	status: {synopsis: 'status [flags]', summary: 'print the agent\'s status file; exit 0 only when the node is ready', load: async () => (await import('./status.ts')).runStatus},
	uninstall: {synopsis: 'uninstall [--dry-run] [flags]', summary: 'remove what the agent installed (ledger-verified binaries, config, multus.d)', load: async () => (await import('./uninstall.ts')).runUninstall},
};

// Finds a subcommand by name.
export function findCommand(name: string | undefined): CommandEntry | undefined {
	return name !== undefined && Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
}

// The usage lines for every subcommand, for the top-level --help.
export function commandUsage(): string {
	const lines = Object.values(COMMANDS).map(entry => `  ${entry.synopsis.padEnd(30)} ${entry.summary}`);
	return `Commands (multus-agent COMMAND --help lists each one's flags and exit codes):\n${lines.join('\n')}`;
}
