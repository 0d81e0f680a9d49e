"""Puts notebooks in the form JupyterLab saves them with the ifprobe kernel, or checks it.

Usage (with the checkout's venv):
  .venv/bin/python scripts/notebooks-canonical.py notebooks/*.ipynb          # rewrite
  .venv/bin/python scripts/notebooks-canonical.py --check notebooks/*.ipynb  # exit 1 if any differs

When JupyterLab opens a notebook it writes the kernel's kernel_info_reply
language_info and the kernelspec's name, display name and language into the
notebook's metadata; when it saves, the server writes nbformat's JSON (sorted keys,
one-space indent, cell ids, a final newline). A committed notebook that differs from
that form is marked modified as soon as it is opened. This script asks the installed
kernel itself (started through jupyter_client, as JupyterLab does) for language_info,
unless --language-info gives it as JSON, and writes each notebook in that form. It
also drops outputs and execution counts: committed notebooks carry no outputs
(`ifprobe notebooks run` writes executed copies elsewhere).
"""
import argparse
import json
import os
import sys

import nbformat


def kernel_language_info(name):
    from jupyter_client.manager import KernelManager

    km = KernelManager(kernel_name=name)
    km.start_kernel()
    kc = km.client()
    kc.start_channels()
    try:
        kc.wait_for_ready(timeout=120)
        msg_id = kc.kernel_info()
        while True:
            msg = kc.get_shell_msg(timeout=60)
            if msg["parent_header"].get("msg_id") == msg_id:
                return msg["content"]["language_info"]
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=False)  # lets gonb stop its gopls


def kernelspec_metadata(name):
    from jupyter_client.kernelspec import KernelSpecManager

    spec = KernelSpecManager().get_kernel_spec(name)
    return {"display_name": spec.display_name, "language": spec.language, "name": name}


def canonical(text, kernelspec, language_info):
    """The notebook text as JupyterLab would save it after opening it."""
    nb = nbformat.reads(text, as_version=4)
    nb.nbformat_minor = max(nb.nbformat_minor, 5)  # 4.5: cells have ids
    nb.metadata["kernelspec"] = kernelspec
    nb.metadata["language_info"] = language_info
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.outputs = []
            cell.execution_count = None
    nbformat.validator.normalize(nb)
    nbformat.validate(nb)
    s = nbformat.writes(nb, version=nbformat.NO_CONVERT)
    return s if s.endswith("\n") else s + "\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("notebooks", nargs="+")
    ap.add_argument("--check", action="store_true", help="change nothing; exit 1 when a notebook differs")
    ap.add_argument("--kernel", default="ifprobe")
    ap.add_argument("--language-info", default="", help="the kernel's language_info as JSON (default: ask the kernel)")
    a = ap.parse_args()
    info = json.loads(a.language_info) if a.language_info else kernel_language_info(a.kernel)
    spec = kernelspec_metadata(a.kernel)
    differ = []
    for path in a.notebooks:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        want = canonical(text, spec, info)
        if want == text:
            continue
        differ.append(path)
        if not a.check:
            tmp = path + ".tmp"
            with open(tmp, "w", encoding="utf-8") as f:
                f.write(want)
            os.replace(tmp, path)
    verb = "not in canonical form" if a.check else "rewritten"
    for p in differ:
        print(f"{p}: {verb}")
    if a.check and differ:
        print("fix: .venv/bin/python scripts/notebooks-canonical.py " + " ".join(differ), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
