// cloneStep / cloneWorkflow: the same definition under a new id. A cloned step is a separate
// step in the flow (its own record and events); a cloned workflow runs the same flow, and both
// the original and the clone can be nested side by side.
export default async function ({ createWorkflow, createStep, z, mastraWith, log }) {
  const { cloneStep, cloneWorkflow } = await import(process.cwd() + '/node_modules/@mastra/core/dist/workflows/index.js');
  const N = z.object({ n: z.number() });
  const add = createStep({ id: 'add', description: 'adds one', inputSchema: N, outputSchema: N, execute: async ({ inputData }) => ({ n: inputData.n + 1 }) });
  const add2 = cloneStep(add, { id: 'add2' });
  log.note({ id: add2.id, description: add2.description });
  const twice = createWorkflow({ id: 'twice', inputSchema: N, outputSchema: N }).then(add).then(add2).commit();
  const inner = createWorkflow({ id: 'inner', inputSchema: N, outputSchema: N }).then(add).commit();
  const inner2 = cloneWorkflow(inner, { id: 'inner2' });
  log.note({ id: inner2.id });
  const outer = createWorkflow({ id: 'outer', inputSchema: N, outputSchema: N }).then(inner).then(inner2).commit();
  const m = mastraWith({ twice, outer, inner2 });
  await log.stream((await m.getWorkflow('twice').createRun()).stream({ inputData: { n: 0 } }));
  await log.stream((await m.getWorkflow('outer').createRun()).stream({ inputData: { n: 10 } }));
  log.result(await (await m.getWorkflow('inner2').createRun()).start({ inputData: { n: 100 } }));
}
