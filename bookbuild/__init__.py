"""bookbuild: the engine that checks and renders a computed-prose book written as Quarto chapters.

Pipeline: ``_quarto.yml`` -> Book (project.py) -> Chapter (qmd.py) ->
ExecutedChapter (execute/) -> rendered pages (render/).
"""
