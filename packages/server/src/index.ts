/**
 * @module @chasm/server
 * Composes the packages into a server: the Temporal gRPC front door, namespaces, config and CLI.
 */
export { startServer, type RunningServer, type StartOptions } from './server.js';
export { devConfig, type NamespaceSeed, type ServerConfig } from './config/server-config.js';
export { ConfigError, loadConfigFile, parseConfig } from './config/parse-config.js';
export { PACKAGE_CATALOGUE, UnknownPackageError, loadPackageModules, type PackageLoader } from './packages.js';
export { coreModule } from './modules/core-module.js';
export { ServerTokens } from './server-tokens.js';
export { GRPC_STATUS, toGrpcStatus, statusDetailOf } from './grpc/grpc-status.js';
export { decodeStatusDetails, type StatusDetail } from './grpc/status-details.js';
export { HandlerTableError } from './grpc/handler-table.js';
export { NamespaceNotFoundError, NamespaceAlreadyExistsError } from './namespaces/namespace-errors.js';
export type { Namespaces } from './namespaces/namespaces.js';
export { SERVER_VERSION } from './system/system-handlers.js';
