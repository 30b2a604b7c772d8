/**
 * The library face of webtensor for pages and Node programs: `connect` to a subnet and `ask` its
 * miners. Above the roles (it joins the mesh as they do), beside the app and the CLI.
 */
export { AskRefusedError, ClientError, connect, fetchServerConfig, type AskAnswer, type AskOptions, type ConnectOptions, type Network, type ServerJoinConfig } from './connect.ts'
export { verifyAnswer } from './verify-answer.ts'
