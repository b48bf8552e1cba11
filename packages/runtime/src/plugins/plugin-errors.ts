/**
 * A chosen set of plugins that cannot run together, or a plugin that cannot be loaded. The
 * message is one line meant for the operator ('workflow-update needs workflow'), so the CLI
 * prints it without a stack.
 */
export class PluginSetError extends Error {
  override readonly name = 'PluginSetError';
}
