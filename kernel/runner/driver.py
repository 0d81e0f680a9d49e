"""Executes one notebook with nbclient for kernel/runner (embedded in the Go binary).

Usage: python driver.py IN.ipynb OUT.ipynb STATUS.json --kernel NAME --timeout SECONDS
       [--html OUT.html] [--cwd DIR]

It runs every code cell in order in a fresh kernel and stops at the first cell that
fails. Whatever happened, it writes the executed notebook to OUT.ipynb (cells after a
failure keep no outputs), optionally its HTML export, and STATUS.json:
  {"ok": bool, "missing": "" | "nbclient" | "kernel", "error": null | {"cell": i,
   "ename": ..., "evalue": ..., "message": ...}, "cells": [{"index": i, "seconds": s}],
   "language": "...", "html_error": "" | "why the HTML export failed"}
The Go side inspects OUT.ipynb itself (error outputs, images); STATUS.json says where
execution stopped and why. Exit status: 0 when it wrote STATUS.json, 2 on bad usage.
The HTML export is htmlexport/export.py (next to this file): it needs no network.
"""
import argparse
import json
import os
import sys
import time


def write_status(path, status):
    with open(path, "w") as f:
        json.dump(status, f)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("inp")
    ap.add_argument("out")
    ap.add_argument("status")
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--html", default="")
    ap.add_argument("--cwd", default="")
    a = ap.parse_args()
    status = {"ok": False, "missing": "", "error": None, "cells": [], "language": "", "html_error": ""}
    try:
        import nbformat
        from nbclient import NotebookClient
        from nbclient.exceptions import CellExecutionError
        from jupyter_client.kernelspec import NoSuchKernel
    except ImportError as e:
        status["missing"] = "nbclient"
        status["error"] = {"cell": -1, "ename": "ImportError", "evalue": str(e), "message": str(e)}
        write_status(a.status, status)
        return 0

    nb = nbformat.read(a.inp, as_version=4)
    current = {"index": -1, "t0": 0.0}

    def on_cell_start(cell, cell_index):
        current["index"], current["t0"] = cell_index, time.monotonic()

    def on_cell_executed(cell, cell_index, execute_reply):
        status["cells"].append({"index": cell_index, "seconds": round(time.monotonic() - current["t0"], 3)})

    client = NotebookClient(
        nb,
        kernel_name=a.kernel,
        timeout=a.timeout,
        allow_errors=False,
        resources={"metadata": {"path": a.cwd}} if a.cwd else {},
        on_cell_start=on_cell_start,
        on_cell_executed=on_cell_executed,
    )
    try:
        client.execute()
        status["ok"] = True
    except NoSuchKernel as e:
        status["missing"] = "kernel"
        status["error"] = {"cell": -1, "ename": "NoSuchKernel", "evalue": str(e), "message": str(e)}
    except CellExecutionError as e:
        status["error"] = {"cell": current["index"], "ename": e.ename, "evalue": e.evalue, "message": str(e)}
    except Exception as e:  # timeouts, a dead kernel, ...
        status["error"] = {"cell": current["index"], "ename": type(e).__name__, "evalue": str(e), "message": str(e)}
    status["language"] = nb.metadata.get("language_info", {}).get("name", "")
    nbformat.write(nb, a.out)
    if a.html:
        # htmlexport/ sits next to this file (kernel/runner writes both): an export
        # that loads nothing from the network, maths rendered to MathML.
        sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "htmlexport"))
        from export import export_html

        try:
            body = export_html(nb)
            with open(a.html + ".tmp", "w", encoding="utf-8") as f:
                f.write(body)
            os.replace(a.html + ".tmp", a.html)
        except Exception as e:  # reported by kernel/runner as a failed export
            status["html_error"] = f"{type(e).__name__}: {e}"
    write_status(a.status, status)
    return 0


if __name__ == "__main__":
    sys.exit(main())
