export * from './config.js';
export * from './server.js';
export { ControlPlane, type Role } from './control-plane/sqlite.js';
