/**
 * Which messages of a batch Lambda deletes after an invocation, by the rules it applies to
 * an SQS event source (ReportBatchItemFailures):
 * - a function error (or timeout) fails the whole batch;
 * - without the setting, any successful response deletes the whole batch;
 * - with it: a null or empty response, or an empty or null `batchItemFailures`, is success;
 *   invalid JSON, or a failure whose itemIdentifier is null, empty or not in the batch, fails
 *   the whole batch; otherwise all but the listed messages are deleted.
 */
export function messagesToDelete(
  messageIds: readonly string[],
  outcome: { readonly failed: boolean; readonly payload?: string },
  reportBatchItemFailures: boolean,
): string[] {
  if (outcome.failed) return [];
  if (!reportBatchItemFailures) return [...messageIds];
  const text = outcome.payload ?? '';
  if (text.trim() === '') return [...messageIds];
  let response: unknown;
  try {
    response = JSON.parse(text);
  } catch {
    return [];
  }
  if (response === null) return [...messageIds];
  if (typeof response !== 'object' || Array.isArray(response)) return [];
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (failures === undefined || failures === null) return [...messageIds];
  if (!Array.isArray(failures)) return [];
  const ids = new Set(messageIds);
  const failed = new Set<string>();
  for (const failure of failures) {
    const id = (failure as { itemIdentifier?: unknown } | null)?.itemIdentifier;
    if (typeof id !== 'string' || id === '' || !ids.has(id)) return [];
    failed.add(id);
  }
  return messageIds.filter((id) => !failed.has(id));
}
