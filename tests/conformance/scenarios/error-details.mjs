// A step error keeps its custom property (statusCode) and its cause chain in the run result,
// both from start() and from stream(). Read explicitly: property names differ between languages.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const N = z.object({ n: z.number() });
  const call = createStep({ id: 'call', inputSchema: N, outputSchema: N, execute: async () => {
    const err = new Error('API call failed', { cause: new Error('HTTP request failed') });
    err.statusCode = 429;
    throw err;
  } });
  const wf = createWorkflow({ id: 'errors', inputSchema: N, outputSchema: N }).then(call).commit();
  const m = mastraWith({ wf });
  const describe = (e) => ({ message: e?.message, cause: e?.cause?.message, statusCode: e?.statusCode });
  const started = log.result(await (await m.getWorkflow('wf').createRun()).start({ inputData: { n: 1 } }));
  log.note({ run: describe(started.error), step: describe(started.steps.call.error) });
  const streamed = await log.stream((await m.getWorkflow('wf').createRun()).stream({ inputData: { n: 1 } }));
  log.note({ run: describe(streamed.error), step: describe(streamed.steps.call.error) });
}
