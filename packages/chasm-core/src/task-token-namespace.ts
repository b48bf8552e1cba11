import { ChasmError, ErrorCode, InvalidArgumentError } from './errors.js';
import type { NamespaceResolver } from './tokens.js';

/**
 * A task token is honoured only in the namespace it was issued for. As Temporal's namespace
 * validator does: a request that names no namespace takes the token's; one that names another
 * namespace, or one that does not exist, is INVALID_ARGUMENT (Temporal's wording) and changes
 * nothing. Shared by every task-token RPC (workflow, query, activity and Nexus tasks).
 */
export async function checkTokenNamespace(namespaces: NamespaceResolver, requestNamespace: string | null | undefined, tokenNamespaceId: string): Promise<void> {
  if (!requestNamespace) return;
  let id: string | undefined;
  try {
    id = await namespaces.idOf(requestNamespace);
  } catch (e) {
    if (!(ChasmError.is(e) && e.code === ErrorCode.NotFound)) throw e;
  }
  if (id !== tokenNamespaceId) {
    throw new InvalidArgumentError('task_token', 'Operation requested with a token from a different namespace.');
  }
}
