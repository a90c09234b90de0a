// Removes a stale CNI dhcp daemon socket before the daemon starts, and only a stale one.
//
// Usage: node dhcp-socket-cleanup.mjs [SOCKET]   (default /host/run/cni/dhcp.sock)
//
// The dhcp daemon exits with "address already in use" when its socket is left over from a run that
// was killed before it could remove it (containernetworking/plugins #760). A blind `rm -f` would also
// delete the socket of a daemon that is still serving (say, another pod's during a rollout), and every
// later dhcp ADD/DEL on the node would then fail. So this script removes the path only if
//   1. it is a socket (never a regular file, directory or symlink), and
//   2. connecting to it is refused (ECONNREFUSED: no process listens on it), and
//   3. it is still the same inode right before the unlink.
// Exit 0: nothing there, or the stale socket was removed. Exit 1: left alone, with the reason.
// Node.js rather than sh: the image carries node for the agent, and no shell or nc.
import fs from 'node:fs';
import net from 'node:net';

const CONNECT_TIMEOUT_MS = 5000;
const socketPath = process.argv[2] ?? '/host/run/cni/dhcp.sock';

function say(message) {
	console.log(`dhcp-socket-cleanup: ${message}`);
}

function lstat(file) {
	try {
		return fs.lstatSync(file);
	} catch (error) {
		if (error.code === 'ENOENT') {
			return undefined;
		}

		throw error;
	}
}

function kind(stat) {
	if (stat.isSymbolicLink()) {
		return 'a symlink';
	}

	if (stat.isDirectory()) {
		return 'a directory';
	}

	return stat.isFile() ? 'a regular file' : 'not a socket';
}

// Resolves 'listening', 'refused', 'gone', or another error code.
function probe(file) {
	return new Promise(resolve => {
		const connection = net.createConnection({path: file});
		const finish = outcome => {
			clearTimeout(timer);
			connection.destroy();
			resolve(outcome);
		};

		const timer = setTimeout(() => finish('timeout'), CONNECT_TIMEOUT_MS);
		connection.once('connect', () => finish('listening'));
		connection.once('error', error => {
			switch (error.code) {
				case 'ECONNREFUSED': {
					finish('refused');
					break;
				}

				case 'ENOENT': {
					finish('gone');
					break;
				}

				// A full accept backlog: someone is listening.
				case 'EAGAIN': {
					finish('listening');
					break;
				}

				default: {
					finish(error.code ?? String(error));
				}
			}
		});
	});
}

async function main() {
	const before = lstat(socketPath);
	if (before === undefined) {
		say(`${socketPath} does not exist: nothing to remove`);
		return 0;
	}

	if (!before.isSocket()) {
		say(`${socketPath} is ${kind(before)}, not a socket: leaving it; the dhcp daemon cannot listen there until someone removes it`);
		return 1;
	}

	const outcome = await probe(socketPath);
	if (outcome === 'gone') {
		say(`${socketPath} disappeared while checking: nothing to remove`);
		return 0;
	}

	if (outcome === 'listening' || outcome === 'timeout') {
		say(`${socketPath} has a live listener (another dhcp daemon is serving on it): leaving it`);
		return 1;
	}

	if (outcome !== 'refused') {
		say(`cannot tell whether ${socketPath} is stale (connect failed with ${outcome}): leaving it`);
		return 1;
	}

	const after = lstat(socketPath);
	if (after === undefined) {
		say(`${socketPath} disappeared while checking: nothing to remove`);
		return 0;
	}

	if (!after.isSocket() || after.ino !== before.ino || after.dev !== before.dev) {
		say(`${socketPath} was replaced while checking: leaving it`);
		return 1;
	}

	fs.unlinkSync(socketPath);
	say(`removed stale socket ${socketPath} (connection refused: no daemon listens on it)`);
	return 0;
}

process.exitCode = await main();
