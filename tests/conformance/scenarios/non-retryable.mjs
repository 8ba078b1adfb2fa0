// A step that throws Mastra's non-retryable error stops its retries at once, and its failed record
// says so (`nonRetryable: true`), from start() and from stream().
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  // the engine's own module instance (ESM), so the engine's `instanceof` check sees the class
  const { MastraNonRetryableError } = await import(process.env.ORACLE_DIR + '/node_modules/@mastra/core/dist/error/index.js');
  const N = z.object({ n: z.number() });
  let attempts = 0;
  const call = createStep({ id: 'call', inputSchema: N, outputSchema: N, retries: 3, execute: async () => {
    attempts += 1;
    throw new MastraNonRetryableError('permanent failure');
  } });
  const wf = createWorkflow({ id: 'non-retryable', inputSchema: N, outputSchema: N }).then(call).commit();
  const m = mastraWith({ wf });
  const run = await m.getWorkflow('wf').createRun();
  const started = log.result(await run.start({ inputData: { n: 1 } }));
  log.note({ attempts, nonRetryable: started.steps.call.nonRetryable ?? null });
  attempts = 0;
  const streamed = await log.stream((await m.getWorkflow('wf').createRun()).stream({ inputData: { n: 1 } }));
  log.note({ attempts, nonRetryable: streamed.steps.call.nonRetryable ?? null });
  const stored = await m.getWorkflow('wf').getWorkflowRunById(run.runId);
  log.note({ stored: stored.steps.call.nonRetryable ?? null });
}
