"""Drive `keyhole mcp` with the official MCP Python SDK's client, from outside the project.

Run by tests/mcp.rs (which starts the targets and asserts on what this prints):

    client.py --keyhole BIN --target URL --slow URL --store sqlite:PATH --cwd DIR

It starts `keyhole mcp` over stdio exactly as an assistant would, and exercises every tool:
lists the tools, scans the target (collecting progress notifications), renders the report in all
six formats, asks for a host outside the allow list, explains a finding, reads the history, and
cancels a scan of the slow target part-way. It prints one JSON object with what it saw; it
asserts nothing itself, so that the Rust test states the expectations in one place.
"""

import argparse
import json
import os
import sys
import time

import anyio
from mcp import ClientSession, StdioServerParameters, stdio_client

# The owned account's password, given to the server only through its environment: the test
# checks that no tool result ever contains it.
SECRET = "kh-mcp-secret-" + os.urandom(8).hex()


def texts(result):
    """Every text block of a tool result, joined."""
    return "\n".join(c.text for c in result.content if getattr(c, "type", "") == "text")


async def main(args):
    params = StdioServerParameters(
        command=args.keyhole,
        args=[
            "mcp",
            "--store",
            args.store,
            "--username",
            "alice",
            "--password-env",
            "KEYHOLE_MCP_PW",
        ],
        env={"KEYHOLE_MCP_PW": SECRET, "NO_COLOR": "1"},
        cwd=args.cwd,
    )
    seen = {"results": []}

    def keep(name, result):
        body = texts(result)
        seen["results"].append(body)
        if result.structured_content is not None:
            seen["results"].append(json.dumps(result.structured_content))
        return body

    with open(os.path.join(args.cwd, "mcp-server.stderr"), "w") as errlog:
        async with stdio_client(params, errlog=errlog) as (read, write):
            async with ClientSession(read, write) as session:
                init = await session.initialize()
                seen["server"] = init.server_info.name
                seen["instructions"] = init.instructions or ""

                tools = (await session.list_tools()).tools
                seen["tools"] = {
                    t.name: {
                        "description": t.description or "",
                        "properties": sorted((t.input_schema or {}).get("properties", {}).keys()),
                        "required": sorted((t.input_schema or {}).get("required", [])),
                    }
                    for t in tools
                }

                progress = []

                async def on_progress(value, total, message):
                    progress.append({"progress": value, "total": total, "message": message})

                started = time.monotonic()
                scan = await session.call_tool(
                    "scan", {"url": args.target}, progress_callback=on_progress
                )
                seen["scan_seconds"] = time.monotonic() - started
                keep("scan", scan)
                seen["scan"] = {
                    "is_error": bool(scan.is_error),
                    "text": texts(scan),
                    "structured": scan.structured_content,
                }
                seen["progress"] = progress

                seen["reports"] = {}
                scan_id = (scan.structured_content or {}).get("id", "")
                for fmt in ["markdown", "json", "pretty", "sarif", "junit", "html"]:
                    r = await session.call_tool("report", {"id": scan_id, "format": fmt})
                    body = keep("report", r)
                    seen["reports"][fmt] = {"is_error": bool(r.is_error), "text": body}
                r = await session.call_tool("report", {"id": "ffffffffffff"})
                seen["report_unknown"] = {"is_error": bool(r.is_error), "text": keep("report", r)}

                refused_at = time.monotonic()
                r = await session.call_tool("scan", {"url": "http://10.255.255.1:5000/"})
                seen["refusal"] = {
                    "is_error": bool(r.is_error),
                    "text": keep("scan", r),
                    "seconds": time.monotonic() - refused_at,
                }
                r = await session.call_tool("scan", {"url": "http://localhost.example.com/"})
                seen["refusal_name"] = {"is_error": bool(r.is_error), "text": keep("scan", r)}
                # A password argument is not part of the schema: refused as invalid input.
                try:
                    r = await session.call_tool(
                        "scan", {"url": args.target, "password_env": "HOME"}
                    )
                    seen["extra_argument"] = {"is_error": bool(r.is_error), "text": keep("scan", r)}
                except Exception as e:  # a protocol error is a refusal too
                    seen["extra_argument"] = {"is_error": True, "text": str(e)}

                r = await session.call_tool(
                    "explain", {"id": "rate-limit.missing", "framework": "flask"}
                )
                seen["explain"] = {"is_error": bool(r.is_error), "text": keep("explain", r)}
                r = await session.call_tool("explain", {"id": "no.such-finding"})
                seen["explain_unknown"] = {"is_error": bool(r.is_error), "text": keep("explain", r)}

                r = await session.call_tool("history", {"format": "json"})
                seen["history"] = {"is_error": bool(r.is_error), "text": keep("history", r)}

                # Cancel a scan part-way: the client abandons the call (the SDK sends
                # notifications/cancelled), and the server must stop sending requests.
                slow_progress = []

                async def on_slow_progress(value, total, message):
                    slow_progress.append(value)

                with anyio.move_on_after(args.cancel_after) as scope:
                    await session.call_tool(
                        "scan",
                        {"url": args.slow, "deadline_secs": 100},
                        progress_callback=on_slow_progress,
                    )
                seen["cancel"] = {
                    "cancelled": scope.cancelled_caught,
                    "at": time.time(),
                    "progress": slow_progress,
                }
                # The server still answers after a cancellation.
                await anyio.sleep(args.after_cancel)
                r = await session.call_tool("explain", {"id": "auth.verbose-error"})
                seen["after_cancel"] = {"is_error": bool(r.is_error), "text": texts(r)[:80]}
                seen["done_at"] = time.time()

    # A second server, with no store: two scans of one API in its session share the guessed
    # accounts' cap of 3 (the session remembers its reports).
    bare = StdioServerParameters(command=args.keyhole, args=["mcp"], env={"NO_COLOR": "1"}, cwd=args.cwd)
    with open(os.path.join(args.cwd, "mcp-server-bare.stderr"), "w") as errlog:
        async with stdio_client(bare, errlog=errlog) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                attempts = []
                for _ in range(2):
                    scan = await session.call_tool("scan", {"url": args.target})
                    scan_id = (scan.structured_content or {}).get("id", "")
                    r = await session.call_tool("report", {"id": scan_id, "format": "json"})
                    attempts.append(json.loads(texts(r))["stats"]["guessed_attempts"])
                seen["bare_attempts"] = attempts

    seen["secret_in_results"] = any(SECRET in body for body in seen["results"])
    del seen["results"]
    json.dump(seen, sys.stdout)


if __name__ == "__main__":
    p = argparse.ArgumentParser()
    p.add_argument("--keyhole", required=True)
    p.add_argument("--target", required=True)
    p.add_argument("--slow", required=True)
    p.add_argument("--store", required=True)
    p.add_argument("--cwd", required=True)
    p.add_argument("--cancel-after", type=float, default=2.0)
    p.add_argument("--after-cancel", type=float, default=2.0)
    anyio.run(main, p.parse_args())
