import type { ErrorCode } from '../contract/names.ts';

/** An error the service throws on purpose; its code reaches the client unchanged. */
export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export const notFound = (message: string) => new ServiceError('not_found', message);
export const conflict = (message: string) => new ServiceError('conflict', message);

/** JSON has no NaN/Infinity and the contract refuses them: statistics of empty sets become 0. */
export function finite(x: number): number {
  return Number.isFinite(x) ? x : 0;
}
