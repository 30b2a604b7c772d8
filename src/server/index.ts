export { createAppServer } from './app-server.ts'
export type { AppServer, AppServerOptions, StaticMount } from './app-server.ts'
