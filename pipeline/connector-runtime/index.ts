/**
 * The connector runtime: what every connector's server.ts imports. See _template/README.md.
 */
export { createConnectorServer, type ConnectorServerOptions, type ConnectorServerResult, type StartupCode } from './server.ts';
export { runConnectorStdio, isEntryPoint } from './stdio.ts';
export { scopeHandler, ok, fail, type ScopeHandler, type ScopeHandlers, type HandlerContext, type HandlerOutcome } from './handlers.ts';
// Firearm licences are decided in the registry by the runtime itself (licence-gate.ts): there is
// deliberately no checker for connector code to install.
export { LICENCE_META_KEY } from './licence.ts';
export { SecretValues, DEFAULT_SITE_URL, type SecretLoader, type VaultOptions } from './secrets.ts';
export { vaultReaderLoader } from './vault-reader.ts';
export { ERROR_CODES } from './tool-results.ts';
export { toolNamesForScopes, sanitizeScopeName, TOOL_NAME_PATTERN, MAX_TOOL_NAME } from './tool-names.ts';
export {
  toolSpecsFor,
  annotationsFor,
  effectiveAccess,
  META_SCOPE,
  META_PROVIDER,
  META_ACCESS,
  META_FIREARM_TYPE,
  META_REQUIRES_FIREARM,
  type ToolSpec,
} from './tool-specs.ts';
