// The spool's public API: the Spool, its types and errors, and queue ids. The record format is in record-format.ts.
export { Spool } from './spool.js';
export { SPOOL_ID_PATTERN, createSpoolId } from './spool-id.js';
export {
  SpoolFullError,
  SpoolMessageError,
  SpoolUnknownMessageError,
  SpoolWriteError,
  type DeliveryOutcome,
  type RecipientStatus,
  type SpoolEntry,
  type SpoolFs,
  type SpoolMessage,
  type SpoolOptions,
  type SpoolRecipient,
  type SpoolRecipientState,
  type SpoolRecovery,
} from './types.js';
