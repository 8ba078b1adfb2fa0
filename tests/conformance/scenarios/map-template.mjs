// map({key: {template}}): `${scope.path}` placeholders over inputData, initData, state,
// requestContext (a whole key) and stepResults.<id>. null and missing keys render as '',
// objects and arrays as JSON, numbers and booleans as JavaScript prints them. Bad placeholders
// are refused when the workflow is built; a path through a non-object, or a step without a
// successful output, fails the map step at run time.
export default async function ({ createWorkflow, createStep, z, mastraWith, log, RequestContext }) {
  const first = createStep({ id: 'first', inputSchema: z.any(), outputSchema: z.any(), stateSchema: z.any(),
    execute: async ({ inputData, setState }) => { await setState({ who: 'state-' + inputData.name }); return { greeting: 'hi ' + inputData.name, n: 2 }; } });
  const wf = createWorkflow({ id: 'tpl', inputSchema: z.any(), outputSchema: z.any(), stateSchema: z.any() })
    .then(first)
    .map({
      plain: { template: 'no placeholders, $x and {y}' },
      greeting: { template: '${stepResults.first.greeting}!' },
      whole: { template: '${stepResults.first}' },
      input: { template: 'n=${inputData.n} g=${inputData.greeting}' },
      init: { template: '${initData.name}/${initData.num}/${initData.half}/${initData.yes}/${initData.no}' },
      nulls: { template: '[${initData.nothing}][${initData.missing}]' },
      objects: { template: '${initData.obj} ${initData.list} ${initData.list.1}' },
      root: { template: '${initData}' },
      state: { template: '${state.who}' },
      ctx: { template: '${requestContext.user}|${requestContext.a.b}|${requestContext.none}' },
    })
    .commit();
  const bad = (template) => createStep({ id: 'unused', inputSchema: z.any(), outputSchema: z.any(), execute: async () => template });
  const m = mastraWith({ wf });
  const rc = new RequestContext();
  rc.set('user', 'ann');
  rc.set('a.b', 7);
  const input = { name: 'bob', num: 2.0, half: 1.5, yes: true, no: false, nothing: null, obj: { k: [1, 'two'] }, list: [1, 2, 3] };
  await log.stream((await m.getWorkflow('wf').createRun()).stream({ inputData: input, requestContext: rc }));

  for (const template of ['${ inputData.x }', '${}', '${foo.x}', '${stepResults}', '${stepResults.}', '${requestContext}']) {
    try {
      createWorkflow({ id: 'bad', inputSchema: z.any(), outputSchema: z.any() }).map({ v: { template } });
      log.note({ accepted: template });
    } catch (err) {
      log.error(err);
    }
  }
  for (const template of ['${inputData.missing.deep}', '${stepResults.ghost}', '${inputData.name.length}']) {
    const wf2 = createWorkflow({ id: 'runtime', inputSchema: z.any(), outputSchema: z.any() }).map({ v: { template } }).commit();
    const m2 = mastraWith({ wf2 });
    log.result(await (await m2.getWorkflow('wf2').createRun()).start({ inputData: { name: 'bob' } }));
  }
  void bad;
}
