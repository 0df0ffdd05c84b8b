export { ServiceError, notFound, conflict } from '../contract/service-error.ts';

/** JSON has no NaN/Infinity and the contract refuses them: statistics of empty sets become 0. */
export function finite(x: number): number {
  return Number.isFinite(x) ? x : 0;
}
