"""Sphinx extension: no e-notation in prose.

A glued number formatted as `:.1e` reads "3.2e-08" on the page: fine in code and its outputs, not in
a sentence. In the prose of every page (not in code, outputs or maths), such a number is written
3.2×10⁻⁸.
"""

import re

from docutils import nodes

E_NOTATION = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)[eE]([+-]?)(\d+)(?![\w.])")
SUPERSCRIPTS = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
NOT_PROSE = (
    nodes.literal_block,
    nodes.literal,
    nodes.math,
    nodes.math_block,
    nodes.raw,
    nodes.FixedTextElement,
)


def without_e_notation(text: str) -> str:
    """'2e+07 times' -> '2×10⁷ times'; '3.2e-08' -> '3.2×10⁻⁸'."""

    def power_of_ten(match):
        mantissa, sign, exponent = match.groups()
        power = ("-" if sign == "-" else "") + str(int(exponent))
        return f"{mantissa}×10{power.translate(SUPERSCRIPTS)}"

    return E_NOTATION.sub(power_of_ten, text)


def _rewrite_prose(app, doctree, docname):
    for text in list(doctree.findall(nodes.Text)):
        parent = text.parent
        if parent is None or any(isinstance(n, NOT_PROSE) for n in _ancestors(parent)):
            continue
        new = without_e_notation(text.astext())
        if new != text.astext():
            parent.replace(text, nodes.Text(new))


def _ancestors(node):
    while node is not None:
        yield node
        node = node.parent


def setup(app):
    app.connect("doctree-resolved", _rewrite_prose)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
