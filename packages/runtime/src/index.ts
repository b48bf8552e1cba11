/**
 * @module @chasm/runtime
 * A server runtime that knows no feature: the Temporal gRPC front door, namespaces, config,
 * plugin loading and checking, logs, metrics and the CLI. Plugins (component packages) are
 * chosen by config; the app in @chasm/server adds the catalogue of built-in ones.
 */
export { startServer, type RunningServer, type StartOptions } from './server.js';
export { runCli, type CliOptions } from './run-cli.js';
export { devConfig, followingPort, FOLLOWING_PORT_OFFSETS, type Listener, type NamespaceSeed, type ServerConfig } from './config/server-config.js';
export type { TracesConfig } from './telemetry/traces-config.js';
export { PortInUseError } from './ports/port-in-use-error.js';
export { formatBanner, describeStore, type BannerInfo } from './dev-banner.js';
export { ConfigError, loadConfigFile, parseConfig } from './config/parse-config.js';
export { loadPlugins, type PluginCatalogue, type PluginLoader } from './plugins/load-plugins.js';
export { checkPlugins } from './plugins/check-plugins.js';
export { PluginSetError } from './plugins/plugin-errors.js';
export { coreModule } from './modules/core-module.js';
export { ServerTokens } from './server-tokens.js';
export { GRPC_STATUS, toGrpcStatus, statusDetailOf } from './grpc/grpc-status.js';
export { decodeStatusDetails, type StatusDetail } from './grpc/status-details.js';
export { HandlerTableError } from './grpc/handler-table.js';
export { NamespaceNotFoundError, NamespaceAlreadyExistsError } from './namespaces/namespace-errors.js';
export type { Namespaces } from './namespaces/namespaces.js';
export { SERVER_VERSION } from './system/system-handlers.js';
export { AuthTokens } from './auth/auth-tokens.js';
export { Role, UnauthenticatedError, type AuthDecision, type AuthInfo, type Authorizer, type CallTarget, type ClaimMapper, type Claims } from './auth/claims.js';
export { DefaultAuthorizer } from './auth/default-authorizer.js';
export { JwtClaimMapper, type JwtClaimMapperOptions } from './auth/jwt-claim-mapper.js';
export { Access, accessOf } from './auth/api-access.js';
export type { AuthConfig } from './auth/auth-config.js';
export type { TlsConfig } from './tls/tls-config.js';
export { DEFAULT_RPC_LIMITS, type RpcLimits } from './limits/rpc-limits.js';
export type { Quota } from './limits/priority-rate-limiter.js';
export { RPC_CLASSES, classOfMethod, type RpcClass } from './limits/rpc-class.js';
export { QuotaExceededError } from './limits/quota-exceeded-error.js';
