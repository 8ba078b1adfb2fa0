// Retries: with workflow retryConfig attempts=2, a step failing twice then succeeding runs three
// times (retryCount 0, 1, 2) and the run succeeds; a step's own retries: 1 overrides the workflow's
// attempts, so an always-failing step runs twice before the run fails.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const flakySeen = [];
  const flaky = createStep({ id: 'flaky', inputSchema: N, outputSchema: N, execute: async ({ inputData, retryCount }) => {
    flakySeen.push(retryCount);
    if (flakySeen.length < 3) throw new Error('flaky failure ' + flakySeen.length);
    return { n: inputData.n + retryCount };
  } });
  const wf1 = createWorkflow({ id: 'retry-wf', inputSchema: N, outputSchema: N, retryConfig: { attempts: 2, delay: 1 } }).then(flaky).commit();

  const brokenSeen = [];
  const broken = createStep({ id: 'broken', inputSchema: N, outputSchema: N, retries: 1, execute: async ({ retryCount }) => {
    brokenSeen.push(retryCount);
    throw new Error('always broken');
  } });
  const wf2 = createWorkflow({ id: 'retry-step', inputSchema: N, outputSchema: N, retryConfig: { attempts: 5, delay: 1 } }).then(broken).commit();

  const m = mastraWith({ wf1, wf2 });
  await log.stream((await m.getWorkflow('wf1').createRun()).stream({ inputData: { n: 1 } }));
  log.note({ attempts: flakySeen.length, retryCount: flakySeen });
  await log.stream((await m.getWorkflow('wf2').createRun()).stream({ inputData: { n: 1 } }));
  log.note({ attempts: brokenSeen.length, retryCount: brokenSeen });
}
