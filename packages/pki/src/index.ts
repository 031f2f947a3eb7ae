// Vigil's certificate authority: ECDSA P-256 keys, the server's HTTPS certificate, per-agent mTLS client certificates, fingerprints.
// Must never write private keys anywhere: every key is returned to the caller, who decides storage.

export { generateKeyPair, type KeyPairPem } from './keys.js';
export { createCertificateAuthority, type CertificateAuthority, type CreateCertificateAuthorityOptions } from './ca.js';
export {
  issueServerCertificate,
  issueClientCertificate,
  parseCertificate,
  verifyIssuedBy,
  type IssueServerCertificateOptions,
  type ServerCertificate,
  type IssueClientCertificateOptions,
  type ClientCertificate,
  type ParsedCertificate,
} from './certificates.js';
export { certificateFingerprint, formatFingerprint, parseFingerprint } from './fingerprint.js';
export { normalizeSerial } from './serial.js';
