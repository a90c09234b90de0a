// The install ledger: one "<sha256>  <name>" line per installed file, the format sha256sum -c reads.
const LINE = /^([\da-f]{64}) {2}([^/\n]+)$/;

// Parses ledger text into name → sha256; lines that do not match are ignored.
export function parseLedger(text: string): Map<string, string> {
	const entries = new Map<string, string>();
	for (const line of text.split('\n')) {
		const match = LINE.exec(line);
		if (match) {
			entries.set(match[2]!, match[1]!);
		}
	}

	return entries;
}

// Renders entries sorted by name, with a header comment a shell script skips.
export function renderLedger(entries: ReadonlyMap<string, string>): string {
	const lines = [...entries].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, hash]) => `${hash}  ${name}`);
	return `${['# Files installed by multus-agent (sha256  name). An uninstall removes a file only while its hash matches.', ...lines].join('\n')}\n`;
}
