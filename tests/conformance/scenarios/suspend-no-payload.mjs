// suspend() with no payload leaves no suspendPayload key; on resume the step sees its earlier
// suspend payload as suspendData (checked with a second step that suspends with a payload).
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const V = z.object({ value: z.string() });
  const bare = createStep({ id: 'bare', inputSchema: V, outputSchema: V, resumeSchema: z.object({ go: z.boolean() }),
    execute: async ({ inputData, resumeData, suspend }) => {
      if (!resumeData) return await suspend();
      return { value: inputData.value + ' bare' };
    } });
  const remembers = createStep({ id: 'remembers', inputSchema: V, outputSchema: z.object({ value: z.string(), seen: z.any() }),
    resumeSchema: z.object({ go: z.boolean() }),
    execute: async ({ inputData, resumeData, suspendData, suspend }) => {
      if (!resumeData) return await suspend({ ticket: 'T-1', note: inputData.value });
      return { value: inputData.value, seen: suspendData };
    } });
  const wf = createWorkflow({ id: 'bare-suspend', inputSchema: V, outputSchema: z.any() }).then(bare).then(remembers).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  const first = await log.stream(run.stream({ inputData: { value: 'x' } }));
  // The step record and the suspended event carry no suspendPayload (the JSON has no such key).
  log.note({ noPayload: first.steps.bare.suspendPayload === undefined, suspended: first.suspended });
  log.result(await run.resume({ resumeData: { go: true } }));
  log.result(await run.resume({ resumeData: { go: true } }));
}
