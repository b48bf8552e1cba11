import { sleep } from '@temporalio/workflow';

/** Completes after two workflow tasks, so first and last completed workflow task differ. */
export async function twoStep(name: string): Promise<string> {
  await sleep(1);
  return `done ${name}`;
}
