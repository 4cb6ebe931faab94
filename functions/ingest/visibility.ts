import type { Log } from './ports.ts';

/** One message's visibility change. */
export interface VisibilityChange {
  readonly receiptHandle: string;
  readonly seconds: number;
}

/** The queue's side of the messages an invocation holds (SQS ChangeMessageVisibility). */
export interface MessageVisibility {
  change(changes: readonly VisibilityChange[]): Promise<void>;
}

export interface LeaseSettings {
  /** How long a held message stays hidden without a renewal. */
  readonly leaseSeconds: number;
  /** A failed message's first wait; doubled with each receive. */
  readonly backoffSeconds: number;
  readonly maxBackoffSeconds: number;
}

export const DEFAULT_LEASE: LeaseSettings = {
  leaseSeconds: 30,
  backoffSeconds: 5,
  maxBackoffSeconds: 300,
};

/** The defaults, each capped at the queue's visibility timeout, which a short queue's tests set low. */
export function leaseWithin(visibilityTimeoutSeconds: number): LeaseSettings {
  const cap = (seconds: number) => Math.max(1, Math.min(seconds, visibilityTimeoutSeconds));
  return {
    leaseSeconds: cap(DEFAULT_LEASE.leaseSeconds),
    backoffSeconds: cap(DEFAULT_LEASE.backoffSeconds),
    maxBackoffSeconds: cap(DEFAULT_LEASE.maxBackoffSeconds),
  };
}

/** A failed message's wait before its next receive: 5 s, 10 s, 20 s, ... up to the cap. */
export function backoffSeconds(receiveCount: number, settings: LeaseSettings): number {
  const attempt = Math.max(1, Math.floor(receiveCount) || 1);
  return Math.min(settings.maxBackoffSeconds, settings.backoffSeconds * 2 ** (attempt - 1));
}

/**
 * Holds an invocation's messages on a short lease rather than the queue's visibility timeout
 * (six times the function's, half an hour by default): renewed every third of the lease while
 * the invocation runs, so a process that dies (killed, out of memory, timed out) leaves
 * messages that are back on the queue within one lease, not thirty minutes later. A renewal
 * that fails is logged and left: the queue's own timeout still holds the message, and a
 * second delivery of a file is a no-op in the ledger.
 */
export function holdMessages(
  visibility: MessageVisibility,
  receiptHandles: readonly string[],
  settings: LeaseSettings,
  log: Log,
): { release(): Promise<void> } {
  const renew = () =>
    visibility
      .change(
        receiptHandles.map((receiptHandle) => ({ receiptHandle, seconds: settings.leaseSeconds })),
      )
      .catch((error: Error) => log.warn('message lease not renewed', { error }));
  let pending = renew();
  const timer = setInterval(
    () => {
      pending = renew();
    },
    (settings.leaseSeconds * 1000) / 3,
  );
  timer.unref();
  return {
    async release() {
      clearInterval(timer);
      await pending;
    },
  };
}
