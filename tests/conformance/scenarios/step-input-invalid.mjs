// A step whose input breaks its schema mid-workflow fails the run (start resolves, it does not
// reject); the message starts "Step input validation failed"; the next step never runs.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const produce = createStep({ id: 'produce', inputSchema: z.object({ n: z.number() }), outputSchema: z.object({ result: z.string() }),
    execute: async ({ inputData }) => ({ result: 'got ' + inputData.n }) });
  const consume = createStep({ id: 'consume', inputSchema: z.object({ start: z.string() }), outputSchema: z.object({ done: z.boolean() }),
    execute: async () => ({ done: true }) });
  const never = createStep({ id: 'never', inputSchema: z.any(), outputSchema: z.any(), execute: async ({ inputData }) => inputData });
  const wf = createWorkflow({ id: 'bad-step-input', inputSchema: z.object({ n: z.number() }), outputSchema: z.any() })
    .then(produce).then(consume).then(never).commit();
  const m = mastraWith({ wf });
  await log.stream((await m.getWorkflow('wf').createRun()).stream({ inputData: { n: 1 } }));
  const result = log.result(await (await m.getWorkflow('wf').createRun()).start({ inputData: { n: 2 } }));
  log.note({ mentionsField: result.error.message.includes('start') });
}
