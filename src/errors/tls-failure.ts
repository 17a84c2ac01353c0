/** Node's codes for a server certificate that does not verify (tls.TLSSocket verifyError codes). */
const CERTIFICATE_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_SIGNATURE_FAILURE',
  'CERT_UNTRUSTED',
  'CERT_REVOKED',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

/**
 * What went wrong when a TLS connection to PostgreSQL failed, and what to check in the URL, or
 * undefined when `error` is not a TLS failure. The driver's own text ("unable to verify the first
 * certificate") names neither the URL parameter nor the remedy.
 */
export function describeTlsFailure(error: unknown): string | undefined {
  const { code, message } = (typeof error === 'object' && error !== null ? error : {}) as { code?: unknown; message?: unknown };
  const text = typeof message === 'string' ? message : '';
  if (typeof code === 'string' && CERTIFICATE_CODES.has(code)) {
    const what = code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? "the server's certificate is not for this host name" : "the server's TLS certificate could not be verified";
    return (
      `${what} (${code}: ${text}): check that sslrootcert in the URL names the CA that signed the server's certificate ` +
      `and that the URL's host is one the certificate names (sslmode=verify-full checks both; sslmode=verify-ca only the CA, with uselibpqcompat=true)`
    );
  }
  if (typeof code === 'string' && code.startsWith('ERR_SSL_')) {
    return `the TLS handshake with the server failed (${code}: ${text}): check the server's ssl settings and the sslmode, sslcert and sslkey parameters of the URL`;
  }
  if (/server does not support SSL/i.test(text)) {
    return `the server does not accept TLS connections but the URL asks for TLS (sslmode): turn ssl on in the server's postgresql.conf, or set sslmode=disable in the URL if the network is trusted`;
  }
  return undefined;
}
