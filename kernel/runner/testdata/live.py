"""A live Jupyter kernel for kernel/runner's tests, started the way JupyterLab starts one.

Usage: python live.py KERNEL_NAME [--cwd DIR]

It starts the kernel through jupyter_client's KernelManager (the class JupyterLab's
server subclasses) with the named kernelspec, then answers one JSON request per line
on stdin with one JSON reply per line on stdout:

  {"op": "info"}                                  -> the kernel_info_reply content
  {"op": "execute", "code": "...", "timeout": s}  -> {"reply": execute_reply content,
                                                      "outputs": [iopub messages]}
  {"op": "complete", "code": "...", "cursor": n}  -> complete_reply content
  {"op": "inspect", "code": "...", "cursor": n}   -> inspect_reply content
  {"op": "alive"}                                 -> {"alive": bool}

Each iopub message in "outputs" is {"msg_type": ..., "content": ...} for the message
types a notebook keeps (stream, display_data, execute_result, error,
update_display_data, clear_output). A failure of the bridge itself is a reply
{"bridge_error": "..."}. At end of input it shuts the kernel down.
"""
import argparse
import json
import queue
import sys
import time

KEEP = {"stream", "display_data", "execute_result", "error", "update_display_data", "clear_output"}


def reply(obj):
    sys.stdout.write(json.dumps(obj, default=str) + "\n")
    sys.stdout.flush()


def shell_reply(kc, msg_id, timeout):
    """The shell reply to msg_id (earlier replies to other requests are dropped)."""
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"no shell reply within {timeout}s")
        msg = kc.get_shell_msg(timeout=left)
        if msg["parent_header"].get("msg_id") == msg_id:
            return msg["content"]


def execute(kc, code, timeout):
    msg_id = kc.execute(code, store_history=True, allow_stdin=False)
    outputs = []
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError(f"cell still running after {timeout}s")
        try:
            msg = kc.get_iopub_msg(timeout=left)
        except queue.Empty:
            continue
        if msg["parent_header"].get("msg_id") != msg_id:
            continue
        t = msg["msg_type"]
        if t in KEEP:
            outputs.append({"msg_type": t, "content": msg["content"]})
        elif t == "status" and msg["content"].get("execution_state") == "idle":
            break
    return {"reply": shell_reply(kc, msg_id, 30), "outputs": outputs}


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("kernel")
    ap.add_argument("--cwd", default=None)
    a = ap.parse_args()
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name=a.kernel)
    km.start_kernel(cwd=a.cwd)
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                req = json.loads(line)
                op = req.get("op")
                if op == "info":
                    reply(shell_reply(kc, kc.kernel_info(), 60))
                elif op == "execute":
                    reply(execute(kc, req["code"], req.get("timeout", 600)))
                elif op == "complete":
                    reply(shell_reply(kc, kc.complete(req["code"], req["cursor"]), req.get("timeout", 120)))
                elif op == "inspect":
                    reply(shell_reply(kc, kc.inspect(req["code"], req["cursor"], detail_level=0), req.get("timeout", 120)))
                elif op == "alive":
                    reply({"alive": km.is_alive()})
                else:
                    reply({"bridge_error": f"unknown op {op!r}"})
            except Exception as e:  # reported to the test, which fails with it
                reply({"bridge_error": f"{type(e).__name__}: {e}"})
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)


if __name__ == "__main__":
    main()
