import type { ErrorCode } from './names.ts';

/**
 * An error thrown on purpose below the transports (the service, and the runs' dream cache that the dream
 * worker serves); its contract code reaches the client unchanged. It lives with the codes so that layers
 * under the service can throw it without importing the service.
 */
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
