import {execFile} from 'node:child_process';
import {generateKeyPair} from 'node:crypto';
import {readFile, writeFile} from 'node:fs/promises';
import path from 'node:path';
import {promisify} from 'node:util';

const execFileAsync = promisify(execFile);
const generateKeyPairAsync = promisify(generateKeyPair);

// Host names and IPs the serving certificate is valid for.
export const servingNames = ['IP:127.0.0.1', 'DNS:localhost', 'DNS:kubernetes', 'DNS:kubernetes.default', 'DNS:kubernetes.default.svc'];

// Files (and the PEM texts tests need) of a throwaway cluster PKI.
export type KubePki = {
	caFile: string;
	caPem: string;
	servingCertFile: string;
	servingKeyFile: string;
	adminCertPem: string;
	adminKeyPem: string;
	serviceAccountPublicKeyFile: string;
	serviceAccountPrivateKeyFile: string;
};

// Creates a CA, a serving and an admin (system:masters) certificate and a service-account key pair in dir.
export async function createKubePki(dir: string): Promise<KubePki> {
	const file = (name: string) => path.join(dir, name);
	// A config without default extensions, so each certificate gets exactly the -addext ones.
	await writeFile(file('openssl.cnf'), '[req]\ndistinguished_name = dn\n[dn]\n');

	await createCertificate(dir, 'ca', ['-subj', '/CN=microshift-multus-test-ca',
		'-addext', 'basicConstraints=critical,CA:TRUE',
		'-addext', 'keyUsage=critical,keyCertSign,cRLSign',
		'-addext', 'subjectKeyIdentifier=hash']);
	await createCertificate(dir, 'serving', ['-CA', 'ca.crt', '-CAkey', 'ca.key', '-subj', '/CN=kube-apiserver',
		...leafExtensions('serverAuth'),
		'-addext', `subjectAltName=${servingNames.join(',')}`]);
	await createCertificate(dir, 'admin', ['-CA', 'ca.crt', '-CAkey', 'ca.key', '-subj', '/O=system:masters/CN=admin',
		...leafExtensions('clientAuth')]);
	await writeServiceAccountKeys(file('sa.key'), file('sa.pub'));

	return {
		caFile: file('ca.crt'),
		caPem: await readFile(file('ca.crt'), 'utf8'),
		servingCertFile: file('serving.crt'),
		servingKeyFile: file('serving.key'),
		adminCertPem: await readFile(file('admin.crt'), 'utf8'),
		adminKeyPem: await readFile(file('admin.key'), 'utf8'),
		serviceAccountPublicKeyFile: file('sa.pub'),
		serviceAccountPrivateKeyFile: file('sa.key'),
	};
}

function leafExtensions(extendedKeyUsage: 'serverAuth' | 'clientAuth'): string[] {
	return ['-addext', 'basicConstraints=critical,CA:FALSE',
		'-addext', 'keyUsage=critical,digitalSignature',
		'-addext', `extendedKeyUsage=${extendedKeyUsage}`,
		'-addext', 'authorityKeyIdentifier=keyid'];
}

// Writes <name>.key and <name>.crt: a P-256 key and a 2-day certificate (self-signed unless -CA is given).
async function createCertificate(dir: string, name: string, args: string[]): Promise<void> {
	const command = ['req', '-x509', '-config', 'openssl.cnf', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1',
		'-noenc', '-days', '2', '-keyout', `${name}.key`, '-out', `${name}.crt`, ...args];
	try {
		await execFileAsync('openssl', command, {cwd: dir});
	} catch (error) {
		const detail = (error as {stderr?: string}).stderr?.trim() || String(error);
		throw new Error(`openssl failed to create the ${name} certificate (is the openssl CLI, version 3 or newer, installed?): ${detail}`);
	}
}

async function writeServiceAccountKeys(privateKeyFile: string, publicKeyFile: string): Promise<void> {
	const {privateKey, publicKey} = await generateKeyPairAsync('ec', {
		namedCurve: 'P-256',
		privateKeyEncoding: {type: 'pkcs8', format: 'pem'},
		publicKeyEncoding: {type: 'spki', format: 'pem'},
	});
	await writeFile(privateKeyFile, privateKey, {mode: 0o600});
	await writeFile(publicKeyFile, publicKey);
}
