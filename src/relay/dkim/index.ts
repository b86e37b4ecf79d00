// DKIM signing (RFC 6376, Ed25519 per RFC 8463): relaxed/relaxed, body hash once per body, signatures made in worker threads.
export { DkimSigner, prepareBody, type DkimSignerOptions, type PreparedBody } from './dkim-signer.js';
export {
  DkimError,
  type DkimErrorKind,
  type DkimAlgorithm,
  type DkimKey,
  type DkimKeyConfig,
  DKIM_ALGORITHMS,
  MIN_RSA_BITS,
  loadDkimKey,
  keysForDomain,
  publicKeyValue,
  dkimRecordText,
  dkimZoneLine,
  parseDkimRecord,
} from './dkim-key.js';
export { SIGNED_HEADERS } from './signature-header.js';
export { relaxedBody, relaxedBodyHash, relaxedHeader } from './canonicalization.js';
