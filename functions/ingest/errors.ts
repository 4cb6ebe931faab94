/** Base of the ingest function's own failures. */
export class IngestError extends Error {
  override name = 'IngestError';
}

/**
 * The SQS message is not an S3 notification. Retrying cannot fix it, but failing it sends
 * it, after maxReceiveCount receives, to the dead-letter queue where someone will look.
 */
export class MalformedMessageError extends IngestError {
  override name = 'MalformedMessageError';
}

/** A row's event_id is already stored: the load must take the merging path. */
export class DuplicateKeyError extends IngestError {
  override name = 'DuplicateKeyError';
}
