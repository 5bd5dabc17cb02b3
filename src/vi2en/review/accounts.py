"""Who may use the review desk, and the protections every request goes through.

- Accounts live in the translation memory (memory.py: argon2 hashes); sessions are Flask-Login's,
  in a signed cookie that is HttpOnly and SameSite=Strict.
- Without any account the desk is one person's tool on their own machine: every request is
  theirs, but only when it comes from a loopback address (the command line also refuses to
  listen anywhere else without accounts).
- CSRF tokens (Flask-WTF) on every state-changing request: forms carry a hidden field, the
  page's fetch() calls the X-CSRFToken header; a Host allow-list defeats DNS rebinding.
- Security headers: a CSP without inline script or style, no framing, no sniffing.
"""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlsplit

from flask import Flask, abort, redirect, render_template, request, url_for
from flask_login import LoginManager, UserMixin, current_user, login_user, logout_user
from flask_wtf.csrf import CSRFProtect

from vi2en.memory import Memory, User

LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1", "[::1]")
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
MAX_BODY = 2 * 1024 * 1024  # an approve-all of a long article is a few hundred kilobytes


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


@dataclass
class Account(UserMixin):
    """The person behind a request: a stored account, or the one person of a desk without accounts."""

    user: User
    solo: bool = False

    @property
    def name(self) -> str:
        return self.user.name

    @property
    def can_approve(self) -> bool:
        return self.user.can_approve

    def get_id(self) -> str:
        return self.user.name


def setup(app: Flask, memory: Memory, solo_name: str, hosts: list[str]) -> None:
    """Accounts, CSRF, the Host allow-list and security headers for the review app."""
    app.config.update(
        SECRET_KEY=secrets.token_bytes(32),  # sessions end with the server: nothing secret is kept on disk
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        REMEMBER_COOKIE_SAMESITE="Strict",
        MAX_CONTENT_LENGTH=MAX_BODY,
        TRUSTED_HOSTS=hosts,
        WTF_CSRF_TIME_LIMIT=None,  # a page left open all shift still saves; the token dies with the session
    )

    @app.before_request
    def same_origin():
        """A browser names the page that sent a request: one from another site (or a sandboxed
        page, Origin "null") never changes anything."""
        origin = request.headers.get("Origin")
        if request.method not in ("GET", "HEAD", "OPTIONS") and origin and urlsplit(origin).netloc != request.host:
            abort(403, f"refused: a request from {origin} (another site) may not change anything here")

    CSRFProtect(app)  # after the Origin check, so another site's request is named as such
    logins = LoginManager(app)
    logins.login_view = "login"
    logins.login_message = "Log in to review."

    @logins.user_loader
    def load(name: str) -> Account | None:
        user = memory.user(name)
        return Account(user) if user else None

    @logins.request_loader
    def solo(_request) -> Account | None:
        # No accounts: the desk is the one person at this machine's keyboard, never someone on the network.
        if not memory.users() and is_loopback(request.remote_addr or ""):
            return Account(User(solo_name, "admin"), solo=True)
        return None

    @app.before_request
    def logged_in():
        if request.endpoint in ("login", "static", "aligned_css") or current_user.is_authenticated:
            return None
        if request.is_json or request.method != "GET":
            abort(401, "log in first")
        return redirect(url_for("login", next=request.full_path if request.query_string else request.path))

    @app.after_request
    def headers(response):
        response.headers["Content-Security-Policy"] = CSP
        response.headers["X-Content-Type-Options"] = "nosniff"
        response.headers["X-Frame-Options"] = "DENY"
        response.headers["Referrer-Policy"] = "same-origin"
        response.headers["Cache-Control"] = "no-store"  # pages show unpublished text
        return response

    @app.route("/login", methods=["GET", "POST"])
    def login():
        error = ""
        if request.method == "POST":
            user = memory.authenticate(request.form.get("name", ""), request.form.get("password", ""))
            if user:
                login_user(Account(user))
                target = request.args.get("next", "")
                # only a path of this site: never an open redirect to somewhere else
                return redirect(target if target.startswith("/") and not target.startswith("//") else url_for("index"))
            error = "Wrong name or password."
        return render_template("review/login.html", error=error), 401 if error else 200

    @app.post("/logout")
    def logout():
        logout_user()
        return redirect(url_for("login"))


def approvers_only(view):
    """A translator's account edits; approving needs a reviewer's (checked here, not only hidden in the page)."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        if not current_user.can_approve:
            abort(403, f"{current_user.name} is a translator: only a reviewer or an admin may approve")
        return view(*args, **kwargs)

    return wrapper
