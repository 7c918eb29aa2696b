"""Chinese in the course's figures: matplotlib falls back to a CJK font for the glyphs its
default font lacks, when one is installed (``scripts/ci-setup.sh`` installs WenQuanYi Micro
Hei; Noto Sans CJK serves as well).

Without one, a Chinese label draws as empty boxes and matplotlib warns on stderr for every
glyph; with none installed nothing changes, so an English figure never depends on it.
"""

import logging
from pathlib import Path

import matplotlib
from matplotlib import font_manager

# Where Debian's packages put the fonts, for a font cache made before they were installed.
CJK_FILES = (
    Path("/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"),
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)
CJK_FAMILIES = ("WenQuanYi Micro Hei", "Noto Sans CJK SC", "Noto Sans CJK JP")


def cjk_family() -> str | None:
    """The name of an installed CJK font family matplotlib can use, or None."""
    known = {entry.fname for entry in font_manager.fontManager.ttflist}
    for path in CJK_FILES:
        if path.exists() and str(path) not in known:
            font_manager.fontManager.addfont(str(path))
    installed = {entry.name for entry in font_manager.fontManager.ttflist}
    return next((family for family in CJK_FAMILIES if family in installed), None)


class _OneWeightIsEnough(logging.Filter):
    """CJK fonts ship one weight: for every bold label matplotlib says on stderr that it used
    the regular one instead, which is what a fallback font should do, and a notebook that
    writes on stderr looks broken to a learner."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith("findfont: Failed to find font weight")


def use_cjk_fallback() -> str | None:
    """Let text fall back, glyph by glyph, from the default sans-serif font to a CJK one;
    the family used, or None when no CJK font is installed or the fonts were chosen already
    (a learner's own ``font.family`` is left alone)."""
    if list(matplotlib.rcParams["font.family"]) != ["sans-serif"]:
        return None
    family = cjk_family()
    if family is not None:
        matplotlib.rcParams["font.family"] = ["sans-serif", family]
        log = logging.getLogger("matplotlib.font_manager")
        if not any(isinstance(f, _OneWeightIsEnough) for f in log.filters):
            log.addFilter(_OneWeightIsEnough())
    return family
