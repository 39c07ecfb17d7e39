"""A book laid out like the real two-volume textbook, for the profile and layout tests.

Two profiles (``vol1``, ``vol2``) list their own chapters from one ``contents/``
tree; chapters sit in nested folders with their images beside them; the
bibliography lives deep in the tree and is named by a metadata file; the
preface (``index.qmd``) is at the project root and in both volumes.
"""

from __future__ import annotations

import struct
import textwrap
import zlib
from pathlib import Path

CONFIG = """\
project:
  type: book

metadata-files:
  - config/shared.yml

profile:
  default: vol1

book:
  chapters:
    - index.qmd

execute:
  echo: false

format:
  html:
    toc: true
  pdf:
    documentclass: scrbook
"""

SHARED = """\
book:
  author: "The Authors"
bibliography:
  - contents/shared/backmatter/references.bib
"""

VOL1 = """\
book:
  title: "Volume I"
  chapters:
    - index.qmd
    - contents/vol1/intro/intro.qmd
    - part: "Foundations"
      chapters:
        - contents/vol1/frame/frame.qmd
"""

VOL2 = """\
book:
  title: "Volume II"
  chapters:
    - contents/vol2/scale/scale.qmd
"""

BIB = """\
@article{smith2020,
  author = {Smith, Ada},
  title = {Systems of Learning},
  journal = {Journal of Systems},
  year = {2020}
}

@book{jones2021,
  author = {Jones, Bo},
  title = {Scaling Out},
  publisher = {Press},
  year = {2021}
}
"""

# A chapter's own bibliography, beside it, named in its front matter.
CHAPTER_BIB = """\
@misc{lee2022,
  author = {Lee, Cy},
  title = {Wide Clusters},
  year = {2022}
}
"""

CHAPTERS = {
    "index.qmd": """\
        # Preface {.unnumbered}

        ```{python}
        volumes = "2"
        ```

        This book comes in `{python} volumes` volumes.
        """,
    "contents/vol1/intro/intro.qmd": """\
        # Introduction {#sec-intro}

        ```{python}
        speedup = str(6 * 7)
        ```

        The intro speedup is `{python} speedup`x, as @smith2020 measured.
        Read on in [the frameworks chapter](../frame/frame.qmd), especially
        [its second section](../frame/frame.qmd#sec-frame-more), or see @sec-frame.

        ![The intro diagram](images/diagram.png){#fig-intro-diagram}
        """,
    "contents/vol1/frame/frame.qmd": """\
        # Frameworks {#sec-frame}

        Frameworks build on @fig-intro-diagram from [the introduction](../intro/intro.qmd).

        ![The frameworks diagram](images/diagram.png){#fig-frame-diagram}

        ## More about frameworks {#sec-frame-more}

        Quokkaframe is the word to search for.
        """,
    "contents/vol2/scale/scale.qmd": """\
        ---
        bibliography: scale.bib
        ---

        # Scale {#sec-scale}

        ```{python}
        nodes = f"{2 ** 10}"
        ```

        Scaling to `{python} nodes` nodes follows @jones2021 and @lee2022.

        ![The scale diagram](assets/scale.png){#fig-scale}
        """,
}

# Two different pictures under the same name (images/diagram.png) in two chapter folders.
IMAGES = {
    "contents/vol1/intro/images/diagram.png": (200, 30, 30),
    "contents/vol1/frame/images/diagram.png": (30, 30, 200),
    "contents/vol2/scale/assets/scale.png": (30, 160, 30),
}


def png(rgb: tuple[int, int, int], size: int = 8) -> bytes:
    """A small solid-colour PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    row = b"\x00" + bytes(rgb) * size
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(row * size)) + chunk(b"IEND", b""))


def write_two_volume_book(root: Path) -> Path:
    """Write the book under ``root`` and return it."""
    files = {"_quarto.yml": CONFIG, "config/shared.yml": SHARED, "_quarto-vol1.yml": VOL1, "_quarto-vol2.yml": VOL2,
             "contents/shared/backmatter/references.bib": BIB, "contents/vol2/scale/scale.bib": CHAPTER_BIB,
             **{name: textwrap.dedent(text) for name, text in CHAPTERS.items()}}
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    for name, colour in IMAGES.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(png(colour))
    return root
