// A nested workflow that succeeds, streamed: the parent emits step events for the nested workflow
// ('inner') around its inner steps' events, named 'inner.<step>'; the parent step after it gets
// the nested result.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const V = z.object({ value: z.string() });
  const up = createStep({ id: 'up', inputSchema: V, outputSchema: V, execute: async ({ inputData }) => ({ value: inputData.value.toUpperCase() }) });
  const bang = createStep({ id: 'bang', inputSchema: V, outputSchema: V, execute: async ({ inputData }) => ({ value: inputData.value + '!' }) });
  const inner = createWorkflow({ id: 'inner', inputSchema: V, outputSchema: V }).then(up).then(bang).commit();
  const before = createStep({ id: 'before', inputSchema: V, outputSchema: V, execute: async ({ inputData }) => ({ value: '<' + inputData.value }) });
  const after = createStep({ id: 'after', inputSchema: V, outputSchema: V, execute: async ({ inputData }) => ({ value: inputData.value + '>' }) });
  const wf = createWorkflow({ id: 'outer', inputSchema: V, outputSchema: V }).then(before).then(inner).then(after).commit();
  const run = await mastraWith({ wf }).getWorkflow('wf').createRun();
  await log.stream(run.stream({ inputData: { value: 'hi' } }));
}
