import http from 'node:http';
import https from 'node:https';

// Status and body of one HTTP response.
export type TextResponse = {status: number; body: string};

// Sends one GET (https when options.ca is set) and reads the whole body; fails after timeoutMs.
export function getText(url: string, options: {ca?: string; cert?: string; key?: string; timeoutMs: number}): Promise<TextResponse> {
	const {timeoutMs, ...tls} = options;
	return new Promise((resolve, reject) => {
		const onResponse = (response: http.IncomingMessage) => {
			let body = '';
			response.setEncoding('utf8');
			response.on('data', (chunk: string) => {
				body += chunk;
			});
			response.on('end', () => resolve({status: response.statusCode ?? 0, body}));
			response.on('error', reject);
		};
		const request = url.startsWith('https:') ? https.get(url, {...tls, timeout: timeoutMs}, onResponse) : http.get(url, {timeout: timeoutMs}, onResponse);
		request.on('timeout', () => request.destroy(new Error(`GET ${url} timed out after ${timeoutMs}ms`)));
		request.on('error', reject);
	});
}
