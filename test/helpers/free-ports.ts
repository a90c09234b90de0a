import net from 'node:net';

// Finds `count` distinct free TCP ports on 127.0.0.1 by binding port 0, then releases them.
export async function findFreePorts(count: number): Promise<number[]> {
	const servers: net.Server[] = [];
	try {
		for (let i = 0; i < count; i++) {
			servers.push(await listenOnAnyPort());
		}
		return servers.map((server) => (server.address() as net.AddressInfo).port);
	} finally {
		await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
	}
}

function listenOnAnyPort(): Promise<net.Server> {
	return new Promise((resolve, reject) => {
		const server = net.createServer();
		server.once('error', (error) => reject(new Error(`cannot bind a free port on 127.0.0.1: ${error.message}`)));
		server.listen(0, '127.0.0.1', () => resolve(server));
	});
}
