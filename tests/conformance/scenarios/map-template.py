"""map({key: {"template": ...}}): `${scope.path}` placeholders, in Pythonic (input_data, ...) and
Mastra's (inputData, ...) spelling; rendering rules, definition-time and run-time errors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from stepstream import RequestContext, StepContext, WorkflowDefinitionError, create_step, create_workflow

if TYPE_CHECKING:
    from tests.conformance._transcript import Log


async def first_execute(ctx: StepContext) -> dict[str, Any]:
    await ctx.set_state({"who": "state-" + ctx.input_data["name"]})
    return {"greeting": "hi " + ctx.input_data["name"], "n": 2}


async def scenario(log: Log) -> None:
    first = create_step(id="first", execute=first_execute, state_schema=Any)
    wf = (
        create_workflow(id="tpl", input_schema=Any, output_schema=Any, state_schema=Any)
        .then(first)
        .map(
            {
                "plain": {"template": "no placeholders, $x and {y}"},
                "greeting": {"template": "${step_results.first.greeting}!"},
                "whole": {"template": "${stepResults.first}"},
                "input": {"template": "n=${input_data.n} g=${inputData.greeting}"},
                "init": {"template": "${init_data.name}/${init_data.num}/${initData.half}/${init_data.yes}/${init_data.no}"},
                "nulls": {"template": "[${init_data.nothing}][${init_data.missing}]"},
                "objects": {"template": "${init_data.obj} ${init_data.list} ${init_data.list.1}"},
                "root": {"template": "${init_data}"},
                "state": {"template": "${state.who}"},
                "ctx": {"template": "${request_context.user}|${requestContext.a.b}|${request_context.none}"},
            }
        )
        .commit()
    )
    rc = RequestContext({"user": "ann", "a.b": 7})
    data = {"name": "bob", "num": 2.0, "half": 1.5, "yes": True, "no": False, "nothing": None, "obj": {"k": [1, "two"]}, "list": [1, 2, 3]}
    await log.stream((await wf.create_run()).stream(input_data=data, request_context=rc))

    for template in ("${ inputData.x }", "${}", "${foo.x}", "${stepResults}", "${stepResults.}", "${requestContext}"):
        try:
            create_workflow(id="bad", input_schema=Any, output_schema=Any).map({"v": {"template": template}})
            log.note({"accepted": template})
        except WorkflowDefinitionError as err:
            log.error(err)
    for template in ("${inputData.missing.deep}", "${stepResults.ghost}", "${inputData.name.length}"):
        wf2 = create_workflow(id="runtime", input_schema=Any, output_schema=Any).map({"v": {"template": template}}).commit()
        log.result(await (await wf2.create_run()).start(input_data={"name": "bob"}))
