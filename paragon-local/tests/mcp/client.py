"""An MCP client no one here wrote (the reference Python SDK, `mcp` from PyPI) against
paragon-local's MCP server: lists the tools, calls one with valid and with invalid arguments,
and prints what it got as JSON for tests/mcp.rs to check.

    python client.py http <url> <user token>
    python client.py stdio <paragon-local binary> <args...>

The tools called are `<prefix>CREATE_TASK` (and a misspelling of it), the prefix `TASKLAB_`
unless TOOL_PREFIX says otherwise (a derived integration's, in examples/tests/derived_tools.rs).
"""
import asyncio
import json
import os
import sys

import httpx2
from mcp import ClientSession, StdioServerParameters
from mcp.client.stdio import stdio_client
from mcp.client.streamable_http import streamable_http_client


PREFIX = os.environ.get("TOOL_PREFIX", "TASKLAB_")


async def exercise(read, write):
    async with ClientSession(read, write) as session:
        await session.initialize()
        tools = await session.list_tools()
        created = await session.call_tool(
            PREFIX + "CREATE_TASK", {"body": {"title": "Filed by an agent", "status": "todo"}}
        )
        refused = await session.call_tool(PREFIX + "CREATE_TASK", {"body": {"title": ""}})
        unknown = await session.call_tool(PREFIX + "CREATE_TSK", {})
    dump = lambda r: r.model_dump(mode="json", by_alias=True, exclude_none=True)
    return {
        "tools": [dump(t) for t in tools.tools],
        "created": dump(created),
        "refused": dump(refused),
        "unknown": dump(unknown),
    }


async def main():
    mode = sys.argv[1]
    if mode == "http":
        url, token = sys.argv[2], sys.argv[3]
        headers = {"Authorization": f"Bearer {token}"}
        async with httpx2.AsyncClient(headers=headers, timeout=60) as http:
            async with streamable_http_client(url, http_client=http) as streams:
                out = await exercise(streams[0], streams[1])
    else:
        # The server gets this process's environment (the provider's secrets), not the SDK's
        # default minimal one.
        params = StdioServerParameters(command=sys.argv[2], args=sys.argv[3:], env=dict(os.environ))
        async with stdio_client(params) as (read, write):
            out = await exercise(read, write)
    print(json.dumps(out))


asyncio.run(main())
