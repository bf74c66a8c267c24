// Starts the local 3-node cluster once before the first test file and stops it after the last.
import { startCluster, stopCluster } from './cluster.js';

export async function setup(): Promise<void> {
  const began = Date.now();
  await startCluster();
  console.log(`cluster c1-c3 started in ${Date.now() - began} ms`);
}

/** Stops the cluster, unless METRO_CLUSTER_KEEP=1 (while working on these tests, to skip the restart). */
export async function teardown(): Promise<void> {
  if (process.env['METRO_CLUSTER_KEEP'] !== '1') await stopCluster();
}
