export * from './model.js';
export { fieldSets } from './fields.js';
export { categories, inventoryTables } from './categories.js';
export * from './schema.js';
export * from './validate.js';
export type * from './generated/event-types.js';
