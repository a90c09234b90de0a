// A tiny network tool the end-to-end tests run inside a network namespace (ip netns exec <ns> node this-file):
//   forward <port> <unix-socket>   listen on 127.0.0.1:<port>, relay each connection to <unix-socket>
//   serve <address> <port> <text>   answer every TCP connection with <text> (MicroShift's "Hello MicroShift" pod)
//   fetch <address> <port> <ms>     connect, print what the server sends, exit 0; exit 1 on error or timeout
// "ready" on stdout means a listener is bound, so a test can wait for that line instead of sleeping.
import net from 'node:net';

const [command, ...args] = process.argv.slice(2);

function fail(message: string): never {
	process.stderr.write(`${message}\n`);
	process.exit(1);
}

function relay(a: net.Socket, b: net.Socket): void {
	a.pipe(b);
	b.pipe(a);
	const close = (): void => {
		a.destroy();
		b.destroy();
	};

	a.on('error', close);
	b.on('error', close);
	a.on('close', close);
	b.on('close', close);
}

function listen(server: net.Server, port: number, address: string): void {
	server.on('error', error => {
		fail(`cannot listen on ${address}:${port}: ${error.message}`);
	});
	server.listen(port, address, () => {
		process.stdout.write('ready\n');
	});
}

switch (command) {
	case 'forward': {
		const [port, socketPath] = args;
		if (port === undefined || socketPath === undefined) {
			fail('usage: forward <port> <unix-socket>');
		}

		listen(net.createServer(client => {
			relay(client, net.connect(socketPath));
		}), Number(port), '127.0.0.1');
		break;
	}

	case 'serve': {
		const [address, port, text] = args;
		if (address === undefined || port === undefined || text === undefined) {
			fail('usage: serve <address> <port> <text>');
		}

		listen(net.createServer(client => {
			client.on('error', () => undefined);
			client.end(`${text}\n`);
		}), Number(port), address);
		break;
	}

	case 'fetch': {
		const [address, port, timeoutMs] = args;
		if (address === undefined || port === undefined) {
			fail('usage: fetch <address> <port> <timeout-ms>');
		}

		const socket = net.connect({host: address, port: Number(port), timeout: Number(timeoutMs ?? 2000)});
		let received = '';
		socket.on('data', (chunk: Buffer) => {
			received += chunk.toString();
		});
		socket.on('timeout', () => {
			fail(`no answer from ${address}:${port} within ${timeoutMs} ms`);
		});
		socket.on('error', error => {
			fail(`cannot reach ${address}:${port}: ${error.message}`);
		});
		socket.on('end', () => {
			process.stdout.write(received);
			process.exit(0);
		});
		break;
	}

	default: {
		fail(`unknown command "${command ?? ''}"; use forward, serve or fetch`);
	}
}
