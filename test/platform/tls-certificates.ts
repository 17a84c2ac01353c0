import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A throw-away certificate authority and a server certificate it signed, for 127.0.0.1 and localhost. */
export interface TestCertificates {
  readonly dir: string;
  /** The CA that signed the server's certificate (for sslrootcert). */
  readonly caFile: string;
  /** Another CA, which did not. */
  readonly wrongCaFile: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly remove: () => void;
}

function openssl(args: readonly string[], cwd: string): void {
  execFileSync('openssl', args, { cwd, stdio: ['ignore', 'ignore', 'pipe'] });
}

function authority(cwd: string, name: string): void {
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', '2', '-subj', `/CN=${name}`], cwd);
}

/** Generated with the openssl CLI (.ci/install-tools.sh installs it where it is missing). */
export function createTestCertificates(): TestCertificates {
  const dir = mkdtempSync(join(tmpdir(), 'pgcarve-tls-'));
  authority(dir, 'pgcarve-test-ca');
  authority(dir, 'pgcarve-other-ca');
  openssl(['req', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost'], dir);
  writeFileSync(join(dir, 'san.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(['x509', '-req', '-in', 'server.csr', '-CA', 'pgcarve-test-ca.crt', '-CAkey', 'pgcarve-test-ca.key', '-CAcreateserial', '-out', 'server.crt', '-days', '2', '-extfile', 'san.ext'], dir);
  return {
    dir,
    caFile: join(dir, 'pgcarve-test-ca.crt'),
    wrongCaFile: join(dir, 'pgcarve-other-ca.crt'),
    serverCert: readFileSync(join(dir, 'server.crt'), 'utf8'),
    serverKey: readFileSync(join(dir, 'server.key'), 'utf8'),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
