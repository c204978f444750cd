/**
 * The coordinator function's memory as serverless.yml deploys it; test/deploy/cloudformation.test.ts
 * checks the two agree. Chosen from the demo's measured footprint with a margin (docs/COST.md): the
 * coordinator runs all month, so its memory is the largest fixed cost.
 */
export const COORDINATOR_MEMORY_MB = 512;
