import { CustomerMirror1764000000000 } from './1764000000000-CustomerMirror';

/** Every migration, in order. A new migration is generated (npm run migration:generate) and added here. */
export const MIGRATIONS = [CustomerMirror1764000000000];
