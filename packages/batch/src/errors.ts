import { NotFoundError } from '@chasm/core';

/** No batch operation with this job id in the namespace (gRPC NOT_FOUND). */
export class BatchNotFoundError extends NotFoundError {
  constructor(readonly jobId: string) {
    super(`batch operation '${jobId}' not found`, { jobId });
  }
}
