// Moved to ../internal/user-names.ts so every source shares one uid/gid name table; kept here for existing imports.
export * from '../internal/user-names.js';
