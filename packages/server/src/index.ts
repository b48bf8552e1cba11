/**
 * @module @chasm/server
 * Composes the packages into a server: the Temporal gRPC front door, namespaces, config and CLI.
 */
export {};
