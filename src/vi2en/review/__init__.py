"""The review desk: a web app over the output folder and the translation memory (app.py),
its accounts and request protections (accounts.py) and the editor's tools (tools.py)."""

from vi2en.review.app import create_app, load_article, scan

__all__ = ["create_app", "load_article", "scan"]
