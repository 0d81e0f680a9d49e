"""HTML export of an executed notebook that needs no network (kernel/runner).

nbconvert's "lab" template loads MathJax, require.js and a mermaid loader from a CDN,
so offline the maths stays raw TeX. This exporter uses the "ifprobe" template next
to this file (lab without those scripts, plus ifprobe.css) and:

* renders every $...$ and $$...$$ of the Markdown (cells and text/markdown outputs)
  to MathML at export time with latex2mathml (pinned in requirements-notebooks.txt);
  browsers draw MathML natively, and the TeX source stays in an annotation. TeX that
  latex2mathml cannot parse is shown as code with class "ifprobe-tex-failed";
* shows figures as their PNG when they carry one (kernel/nb sends PNG and SVG):
  gonum renders the PNG with its own fonts, so every label sits where it was
  measured, whereas a browser draws the SVG with whatever fonts it has. The PNG is
  rendered at 144 dpi and shown at one pixel per CSS pixel, 1.5 times the SVG's
  size, so the text in figures is larger than nbconvert's default (which picks the
  SVG); an SVG-only figure is enlarged by SVG_SCALE the same way. CSS keeps every
  figure within the page;
* highlights code cells as Go when the kernel's language_info names no Pygments
  lexer (gonb's kernel_info leaves pygments_lexer empty, which nbconvert would read
  as Python).
"""
import html
import os
import re

from latex2mathml.converter import convert
from nbconvert import HTMLExporter
from nbconvert.exporters.html import contextfilter
from nbconvert.filters.highlight import Highlight2HTML
from nbconvert.filters.markdown_mistune import IPythonRenderer, MarkdownWithMath

TEMPLATE_DIR = os.path.dirname(os.path.abspath(__file__))
SVG_SCALE = 1.5

_XMLNS = ' xmlns="http://www.w3.org/1998/Math/MathML"'
_PRIME = re.compile(r"<msup>(<mi>[^<]*</mi>)<mi>&#x02032;</mi></msup>")


def tex_to_mathml(tex, display):
    """MathML for one TeX formula, or the TeX as marked code if it cannot be parsed."""
    try:
        m = convert(tex, display="block" if display else "inline")
    except Exception as e:  # latex2mathml raises many kinds on bad input
        return f'<code class="ifprobe-tex-failed" title="{html.escape(str(e))}">{html.escape(tex)}</code>'
    # HTML needs no namespace; latex2mathml keeps the backslash of \_ inside \text.
    m = m.replace(_XMLNS, "").replace("\\_", "_")
    # h' is <msup><mi>h</mi><mi>′</mi></msup>: without a maths font browsers draw
    # that prime tiny and high; as an operator after h it reads as in print.
    m = _PRIME.sub(r'\1<mo lspace="0" rspace="0">&#x02032;</mo>', m)
    # Keep the source: <math><semantics>rendering<annotation>TeX</annotation></semantics></math>.
    open_end = m.index(">") + 1
    close = m.rindex("</math>")
    ann = f'<annotation encoding="application/x-tex">{html.escape(tex, quote=False)}</annotation>'
    return f"{m[:open_end]}<semantics>{m[open_end:close]}{ann}</semantics></math>"


class MathMLRenderer(IPythonRenderer):
    """nbconvert's Markdown renderer with maths rendered to MathML."""

    def block_math(self, body):
        return tex_to_mathml(body, True)

    def inline_math(self, body):
        return tex_to_mathml(body, False)

    def latex_environment(self, name, body):
        return tex_to_mathml(f"\\begin{{{name}}}{body}\\end{{{name}}}", True)


class OfflineHTMLExporter(HTMLExporter):
    """HTMLExporter with the ifprobe template and MathML maths."""

    def __init__(self, **kw):
        super().__init__(extra_template_basedirs=[TEMPLATE_DIR], template_name="ifprobe", **kw)

    @contextfilter
    def markdown2html(self, context, source):
        cell = context.get("cell", {})
        path = context.get("resources", {}).get("metadata", {}).get("path", "")
        renderer = MathMLRenderer(
            escape=False,
            attachments=cell.get("attachments", {}),
            embed_images=self.embed_images,
            path=path,
            anchor_link_text=self.anchor_link_text,
            exclude_anchor_links=self.exclude_anchor_links,
            **self.lexer_options,
        )
        return MarkdownWithMath(renderer=renderer).render(source)


_SVG_TAG = re.compile(r"<svg\b[^>]*>", re.S)
_LENGTH = re.compile(r"^\s*([0-9.]+)\s*(px|pt|in|cm|mm|)\s*$")
_PX = {"": 1.0, "px": 1.0, "pt": 96 / 72, "in": 96.0, "cm": 96 / 2.54, "mm": 96 / 25.4}


def _attr(tag, name):
    m = re.search(r'\s%s="([^"]*)"' % name, tag)
    return m.group(1) if m else None


def enlarge_svg(svg, scale=SVG_SCALE):
    """svg with its width and height multiplied by scale (in px), the drawing kept by
    a viewBox; svg unchanged when its size is not plain lengths."""
    m = _SVG_TAG.search(svg)
    if not m:
        return svg
    tag = m.group(0)
    w, h = _attr(tag, "width"), _attr(tag, "height")
    mw, mh = _LENGTH.match(w or ""), _LENGTH.match(h or "")
    if not mw or not mh:
        return svg
    wpx, hpx = float(mw.group(1)) * _PX[mw.group(2)], float(mh.group(1)) * _PX[mh.group(2)]
    new = tag
    if _attr(tag, "viewBox") is None:
        # Without a viewBox, user units are CSS px of the original size.
        new = new.replace("<svg", f'<svg viewBox="0 0 {wpx:.2f} {hpx:.2f}"', 1)
    new = re.sub(r'(\s)width="[^"]*"', r'\1width="%.2fpx"' % (wpx * scale), new, count=1)
    new = re.sub(r'(\s)height="[^"]*"', r'\1height="%.2fpx"' % (hpx * scale), new, count=1)
    return svg[: m.start()] + new + svg[m.end() :]


def export_html(nb):
    """The notebook (an nbformat node, changed in place) as one HTML page."""
    for cell in nb.cells:
        for out in cell.get("outputs", []):
            data = out.get("data", {})
            if "image/svg+xml" not in data:
                continue
            if "image/png" in data:
                del data["image/svg+xml"]  # nbconvert would prefer it to the exact PNG
            else:
                data["image/svg+xml"] = enlarge_svg(data["image/svg+xml"])
    langinfo = nb.metadata.get("language_info", {})
    lexer = langinfo.get("pygments_lexer") or langinfo.get("name") or "go"
    exporter = OfflineHTMLExporter()
    exporter.register_filter("highlight_code", Highlight2HTML(pygments_lexer=lexer, parent=exporter))
    body, _ = exporter.from_notebook_node(nb)
    return body
