import { WORKFLOW_SERVICE } from '@chasm/core';

/**
 * Which Temporal methods installed packages implement. Filled once the front door has built
 * its routing table; capability flags (GetSystemInfo, DescribeNamespace) are derived from it
 * so they follow the installed packages instead of being edited by hand in the server.
 */
export class ServerFeatures {
  private implemented = new Set<string>();

  /** Called by the server with `service/method` keys answered by a package. */
  setImplemented(keys: Iterable<string>): void {
    this.implemented = new Set(keys);
  }

  /** Whether a WorkflowService method (e.g. 'CreateSchedule') is implemented by a package. */
  has(method: string, service: string = WORKFLOW_SERVICE): boolean {
    return this.implemented.has(`${service}/${method}`);
  }
}
