// A readiness endpoint for the DaemonSet's probe: kubelet's httpGet costs nothing in the agent at idle.
import {createServer, type Server} from 'node:http';
import {usageError} from './errors.ts';

// Serves /readyz (200 when ready() is true, 503 with the reason otherwise) and /healthz on address host:port.
export async function serveHealth(address: string, ready: () => {ok: boolean; reason: string}): Promise<Server> {
	const separator = address.lastIndexOf(':');
	const host = address.slice(0, separator).replace(/^\[|\]$/g, '');
	const port = Number(address.slice(separator + 1));
	if (separator <= 0 || !Number.isInteger(port) || port < 0 || port > 65_535) {
		throw usageError(`Flag --health-address must be host:port, got "${address}"`, 'Write --health-address=127.0.0.1:9781, or leave it empty to disable.');
	}

	const server = createServer((request, response) => {
		const state = request.url === '/healthz' ? {ok: true, reason: 'alive'} : (request.url === '/readyz' ? ready() : undefined);
		response.writeHead(state === undefined ? 404 : (state.ok ? 200 : 503), {'content-type': 'text/plain'});
		response.end(`${state?.reason ?? 'not found'}\n`);
	});
	await new Promise<void>((resolve, reject) => {
		server.once('error', reject);
		server.listen(port, host, resolve);
	});
	return server;
}
