// Public library API.
export * from './model/classes.js';
