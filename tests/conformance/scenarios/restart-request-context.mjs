// restart(requestContext): a run left running by a crash (here: another Mastra on the same store
// whose step never returns) is restarted with a request context; its keys override the stored
// ones, the other stored keys stay.
export default async function ({ createWorkflow, createStep, z, log, RequestContext }) {
  const { Mastra } = await import(process.cwd() + '/node_modules/@mastra/core/dist/mastra/index.js');
  const { InMemoryStore } = await import(process.cwd() + '/node_modules/@mastra/core/dist/storage/index.js');
  const store = new InMemoryStore();
  let hang = true;
  const build = () => {
    const first = createStep({ id: 'first', inputSchema: z.any(), outputSchema: z.any(), execute: async () => 1 });
    const read = createStep({ id: 'read', inputSchema: z.any(), outputSchema: z.any(), execute: async ({ requestContext }) => {
      if (hang) { hang = false; await new Promise(() => {}); }
      return { tenant: requestContext.get('tenant'), user: requestContext.get('user') };
    } });
    return createWorkflow({ id: 'rc', inputSchema: z.any(), outputSchema: z.any() }).then(first).then(read).commit();
  };
  const m1 = new Mastra({ workflows: { wf: build() }, storage: store, logger: false });
  const run = await m1.getWorkflow('wf').createRun();
  const rc = new RequestContext(); rc.set('tenant', 'acme'); rc.set('user', 'ann');
  run.start({ inputData: {}, requestContext: rc });
  await new Promise((r) => setTimeout(r, 200));
  const m2 = new Mastra({ workflows: { wf: build() }, storage: store, logger: false });
  log.note({ before: (await m2.getWorkflow('wf').getWorkflowRunById(run.runId))?.status });
  const again = await m2.getWorkflow('wf').createRun({ runId: run.runId });
  const rc2 = new RequestContext(); rc2.set('user', 'bob');
  log.result(await again.restart({ requestContext: rc2 }));
}
