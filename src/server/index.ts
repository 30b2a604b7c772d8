export { createAppServer, DEFAULT_LIMITS } from './app-server.ts'
export type { AppServer, AppServerOptions, ServerLimits, StaticMount } from './app-server.ts'
export { rawJson, serialiseJson, type ApiEndpoint, type ApiRoute } from './api-cache.ts'
export { pageContentSecurityPolicy } from './security-headers.ts'
