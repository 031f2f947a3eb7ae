// The version every Vigil component reports (agents in heartbeats, the server in its API).
export const VIGIL_VERSION = '0.1.0';
